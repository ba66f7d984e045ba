"""Investigation on simulated incidents with planted causes (argus.sim.causes): top-1 / top-3 accuracy
of the ranked hypotheses, ECE of their calibrated confidences, the share of unobservable incidents left
INCONCLUSIVE, and the baseline "the most recent deployment is the cause", in the same run.

Usage: .venv/bin/python bench/incidents_investigate.py [--tune-seed 21] [--seeds 22 23 24] [--incidents 160]

Per seed (a different world and timeline): a fresh SQLite database; the service graph; every payload
taken in through :func:`argus.app.incidents.ingest` at its time; then the incidents in time order: the
first ``history`` (60) are investigated and their planted cause recorded as on-call would (the
hypothesis naming it, or ``<kind>:<service>`` when none did, or ``none`` when unobservable): that is
the precedent store, the F5 history, the learned weights and the calibration feedback. The remaining
incidents are investigated (``argus incidents investigate``'s use case) and scored against the truth,
without recording anything. Parameters were tuned by hand on ``--tune-seed`` only; the other seeds are
held out. Prints a table; writes bench/results/incidents_investigate.json. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from argus.app import incidents as uc
from argus.app import investigation as inv
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource
from argus.core.settings import Settings
from argus.reasoning.calibration import Sample, reliability
from argus.sim.causes import CauseConfig, write
from argus.store.models import Alert
from argus.testing.databases import upgrade_database

RESULTS = Path(__file__).parent / "results" / "incidents_investigate.json"
DUMP = "--dump" in sys.argv


def symptom_incidents(rt: Runtime, truth: list[dict[str, Any]]) -> dict[int, int]:
    """sim incident key → Argus incident id of its symptom alert."""
    def work(scope: Any) -> dict[int, int]:
        from argus.core.clock import as_utc

        want = {(str(t["key"]), t["service"], datetime.fromisoformat(t["at"])): t["key"] for t in truth}
        out: dict[int, int] = {}
        for a in scope.session.scalars(select(Alert).where(Alert.incident_id.is_not(None))):
            k = want.get((str((a.labels or {}).get("sim_incident")), a.service, as_utc(a.starts_at)))
            if k is not None and a.incident_id is not None:
                out[k] = a.incident_id
        return out

    return rt.in_project("sim", work)


def baseline(snap: dict[str, Any] | None) -> str | None:
    """The most recent deployment or config change (of the incident's services or their upstream) before
    the first symptom is the cause."""
    if not snap:
        return None
    c = snap["content"]
    own = [a["starts_at"] for a in c["alerts"] if a["in_incident"]]
    first = min(own) if own else c["opened_at"]
    cands = [x for x in c["changes"] if x["relation"] in ("self", "upstream") and x["at"] <= first]
    if not cands:
        return None
    last = max(cands, key=lambda x: x["at"])
    return f"{last['kind']}:{last['service']}"


def run_seed(seed: int, incidents: int, home: Path) -> dict[str, Any]:
    cfg = CauseConfig(incidents=incidents, seed=seed)
    folder = Path(write(home / f"sim{seed}", cfg)["folder"])
    truth = json.loads((folder / "truth.json").read_text())["incidents"]
    url = f"sqlite:///{home}/inv{seed}.db"
    upgrade_database(url)
    rt = Runtime(Settings(home=home, database_url=url))  # type: ignore[arg-type]
    rt.settings.investigation.snapshot_on_detection = False  # investigated below, in time order
    try:
        uc.load_services(rt, folder / "services.yaml", "sim")
        lines = [json.loads(line) for line in (folder / "payloads.jsonl").read_text().splitlines()]
        for i in range(0, len(lines), 100):  # 100 events a payload, in time order (each carries its own time)
            chunk = lines[i:i + 100]
            body = {"alerts": [a for p in chunk for a in p["body"].get("alerts", [])],
                    "deployments": [d for p in chunk for d in p["body"].get("deployments", [])]}
            uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, json.dumps(body).encode(), "sim", "sim",
                                           received_at=datetime.fromisoformat(chunk[-1]["at"])))
        by_key = symptom_incidents(rt, truth)
        rows = []
        seen_incidents: set[int] = set()
        for t in sorted(truth, key=lambda x: x["at"]):
            iid = by_key.get(t["key"])
            if iid is None or iid in seen_incidents:
                continue  # the symptom joined an earlier incident: not a separate case
            seen_incidents.add(iid)
            view = inv.investigate(rt, iid, "bench", "sim")
            if t["history"]:
                keys = [h.key for h in view.hypotheses if h.cause == t["cause"]]
                inv.record_cause(rt, iid, keys[0] if keys else (t["cause"] or "none"), "oncall", project="sim")
                continue
            ranked = [h.cause for h in view.hypotheses]
            rows.append({"key": t["key"], "kind": t["kind"], "cause": t["cause"], "verdict": view.verdict,
                         "ranked": ranked[:5], "shown": [h.cause for h in view.hypotheses if h.shown],
                         "confidences": [(h.confidence, h.cause == t["cause"]) for h in view.hypotheses],
                         "baseline": baseline(inv.snapshot(rt, iid, "sim")), "weights": view.weights,
                         "top": [(h.cause, round(h.base, 3), round(h.confidence, 3), h.factors)
                                 for h in view.hypotheses[:3]]})
    finally:
        rt.close()
    if DUMP:
        (RESULTS.parent / f"incidents_investigate_rows_{seed}.json").write_text(json.dumps(rows, indent=1))
    return summarise(rows) | {"seed": seed, "cases": len(rows)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    obs = [r for r in rows if r["cause"]]
    unobs = [r for r in rows if not r["cause"]]
    top1 = sum(1 for r in obs if r["ranked"][:1] == [r["cause"]]) / max(1, len(obs))
    top3 = sum(1 for r in obs if r["cause"] in r["ranked"][:3]) / max(1, len(obs))
    shown1 = sum(1 for r in obs if r["shown"][:1] == [r["cause"]]) / max(1, len(obs))
    inconc = sum(1 for r in unobs if r["verdict"] == "inconclusive") / max(1, len(unobs))
    false_inconc = sum(1 for r in obs if r["verdict"] == "inconclusive") / max(1, len(obs))
    samples = [Sample(c, ok) for r in rows for c, ok in r["confidences"]]
    top_samples = [Sample(r["confidences"][0][0], r["confidences"][0][1]) for r in rows if r["confidences"]]
    rel, rel1 = reliability(samples), reliability(top_samples)
    base1 = sum(1 for r in obs if r["baseline"] == r["cause"]) / max(1, len(obs))
    base_inconc = sum(1 for r in unobs if r["baseline"] is None) / max(1, len(unobs))
    per_kind: dict[str, list[int]] = {}
    for r in obs:
        k = per_kind.setdefault(r["kind"], [0, 0])
        k[0] += r["ranked"][:1] == [r["cause"]]
        k[1] += 1
    return {"observable": len(obs), "unobservable": len(unobs), "top1": top1, "top3": top3, "top1_shown": shown1,
            "ece": rel.ece, "ece_top1": rel1.ece, "hypotheses": rel.n, "inconclusive_correct": inconc,
            "inconclusive_false": false_inconc, "baseline_top1": base1, "baseline_inconclusive": base_inconc,
            "per_kind_top1": {k: v[0] / v[1] for k, v in sorted(per_kind.items())},
            "weights": rows[-1]["weights"] if rows else {}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune-seed", type=int, default=21)
    ap.add_argument("--seeds", type=int, nargs="*", default=[22, 23, 24])
    ap.add_argument("--incidents", type=int, default=160)
    ap.add_argument("--only-held-out", action="store_true", help="Skip the tuning seed (run it separately).")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--dump", action="store_true", help="Write every case (bench/results/..._rows_SEED.json).")
    args = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in ([] if args.only_held_out else [args.tune_seed]) + list(args.seeds):
            r = run_seed(seed, args.incidents, Path(tmp)) | {"role": "tune" if seed == args.tune_seed else "held-out"}
            out.append(r)
            print(f"seed {seed} ({r['role']}): cases {r['cases']} (obs {r['observable']}, unobs {r['unobservable']}) "
                  f"top1 {r['top1']:.3f} top3 {r['top3']:.3f} shown-top1 {r['top1_shown']:.3f} ECE {r['ece']:.3f} "
                  f"(top-1 ECE {r['ece_top1']:.3f}) inconclusive {r['inconclusive_correct']:.3f} "
                  f"(false {r['inconclusive_false']:.3f}) | baseline top1 {r['baseline_top1']:.3f} "
                  f"inconclusive {r['baseline_inconclusive']:.3f} | {r['per_kind_top1']}", flush=True)
    held = [r for r in out if r["role"] == "held-out"]
    if held:
        keys = ("top1", "top3", "top1_shown", "ece", "ece_top1", "inconclusive_correct", "inconclusive_false",
                "baseline_top1", "baseline_inconclusive")
        mean = {k: sum(r[k] for r in held) / len(held) for k in keys}
        print("held-out mean: " + ", ".join(f"{k} {v:.3f}" for k, v in mean.items()))
        out.append({"role": "held-out mean", **mean})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
