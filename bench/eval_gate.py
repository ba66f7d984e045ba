"""Score the quality gate end to end on the simulator's history (confusion matrix against planted events).

For each project of ``argus simulate`` (scale and seed as given): a fresh SQLite database; runs are
replayed in time order as CI would — ingest the run's JUnit reports, Cobertura coverage and Trivy scan
with the run's CI metadata (the services behind ``argus ingest tests|coverage|vulns``), optionally
run the flaky analysis on the history *before* the run (``--flaky``: what a scheduled analysis knows), then
evaluate the gate for that CI run (the service behind ``argus gate --run-id``; baseline = green
default-branch builds that started before it).

Ground truth (ground_truth.json ``runs``): a run *should fail* when a planted regression is active at
its commit (``regressions`` non-empty) or it hit a planted infrastructure outage; every other run
should pass (PASS or WARN). A second confusion matrix takes the gate's view that a change is only
blamed for what it broke: runs whose every active regression already failed on the default branch
(another commit, earlier) — category ``regression_on_main`` — should not fail either (the gate shows
them as "already failing on main", rule already_failing, warn by default; ``--already-failing block``
makes them block). Reported: the confusion matrices (positive = FAIL), per-category counts,
which rules caused the false positives / which runs were missed, and — as the reference measured in
the same run — the confusion matrix of the original pipeline's static gate (fail on any failing test or
coverage < 90 %).

Usage: .venv/bin/python bench/eval_gate.py [--scale small] [--seed 42] [--flaky] [--sim-dir DIR]
       [--already-failing block|warn|off]
Writes bench/results/eval_gate_<scale>[_flaky][_already_<mode>].json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from argus.analysis.gates.schemas import RuleStatus, Verdict
from argus.analysis.gates.service import run_gate
from argus.core.db import create_db_engine
from argus.core.settings import FlakySettings, GateSettings, IngestSettings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.service import ingest_coverage
from argus.ingest.testreports.service import ingest_test_reports
from argus.ingest.vulns.service import ingest_vulns
from argus.store.migrate import upgrade
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory


def category(truth_run: dict[str, Any], inherited: bool = False) -> str:
    """clean | flaky_failures | outage | regression | regression_on_main (every active regression of the
    run already failed on a default-branch run of another commit before it: main was already red)."""
    if truth_run["regressions"]:
        return "regression_on_main" if inherited else "regression"
    if truth_run["outage"]:
        return "outage"
    return "flaky_failures" if truth_run["failed_tests"] else "clean"


def replay(pdir: Path, db_url: str, use_flaky: bool, gate: GateSettings) -> list[dict[str, Any]]:
    truth = json.loads((pdir / "ground_truth.json").read_text())
    by_key = {r["key"]: r for r in truth["runs"]}
    main_fail: dict[str, list[tuple[str, str]]] = {}  # regression id → (started_at, commit) of its default-branch runs
    for reg in truth["regressions"]:
        main_fail[reg["id"]] = [(by_key[k]["started_at"], by_key[k]["commit"]) for k in reg["failing_runs"]
                                if k in by_key and by_key[k]["branch"] == truth["default_branch"]]

    def inherited(t: dict[str, Any]) -> bool:
        return bool(t["regressions"]) and all(
            any(at < t["started_at"] and c != t["commit"] for at, c in main_fail.get(r, ())) for r in t["regressions"]
        )

    metas = sorted((json.loads(p.read_text()) for p in pdir.glob("runs/*/run.json")), key=lambda m: m["started_at"])
    engine = create_db_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    ingest = IngestSettings()
    rows: list[dict[str, Any]] = []
    for m in metas:
        rdir = pdir / "runs" / m["key"]
        meta = CiMetadata(provider=m["ci_provider"], run_id=str(m["run_id"]), job=m["job"],
                          attempt=int(m["attempt"]), commit_sha=m["commit"], branch=m["branch"],
                          url=m.get("ci_url"), environment=dict(m["environment"]))
        with factory() as s:
            project = get_or_create_project(s, truth["project"], default_branch=truth["default_branch"])
            if use_flaky and rows:
                from datetime import datetime

                from argus.analysis.flaky.service import analyze

                # flaky knowledge from earlier runs only (as a scheduled analysis would have it)
                analyze(s, FlakySettings(), now=datetime.fromisoformat(m["started_at"]))
            t_ingest = time.perf_counter()
            ingest_test_reports(s, [rdir / p for p in m["reports"]["junit"]], meta, ingest)
            if m["reports"].get("coverage"):
                path = rdir / m["reports"]["coverage"]
                ingest_coverage(s, path.read_bytes(), str(path), meta)
            if m["reports"].get("vulnerabilities"):
                path = rdir / m["reports"]["vulnerabilities"]
                ingest_vulns(s, path.read_bytes(), str(path), meta)
            s.commit()
            t_gate = time.perf_counter()
            out = run_gate(s, project, gate, ci_run_id=str(m["run_id"]))
            t_end = time.perf_counter()
        t = by_key[m["key"]]
        failing = [r.rule.value for r in out.result.rules if r.status is RuleStatus.FAIL]
        cat = category(t, inherited(t))
        rows.append({
            "project": truth["project"], "run": m["key"], "branch": m["branch"], "category": cat,
            "expected_fail": cat in ("regression", "regression_on_main", "outage"),
            "expected_fail_change": cat in ("regression", "outage"),
            "verdict": out.result.verdict.value, "failing_rules": failing,
            "warning_rules": [r.rule.value for r in out.result.rules if r.status is RuleStatus.WARN],
            "failing_tests": [
                {"test": f.name, "known_flaky": f.known_flaky,
                 "already_failing_since": f.already_failing.since_commit if f.already_failing else None}
                for f in out.failures
            ],
            "baseline_builds": len(out.baseline_builds), "coverage": out.build.coverage_pct,
            "failed_tests": out.build.failed_tests,
            "ingest_ms": round(1000 * (t_gate - t_ingest), 1), "gate_ms": round(1000 * (t_end - t_gate), 1),
            # reference: the static gate of the original pipeline (any failing test, coverage < 90 %)
            "static_verdict": "fail" if out.build.failed_tests or (out.build.coverage_pct or 0.0) < 90.0 else "pass",
        })
    engine.dispose()
    return rows


def confusion(rows: list[dict[str, Any]], key: str = "verdict", truth: str = "expected_fail") -> dict[str, Any]:
    """Positive = FAIL. ``truth`` "expected_fail": every run with an active regression should fail;
    "expected_fail_change": only runs whose regression was not already failing on the default branch."""
    tp = sum(r[truth] and r[key] == Verdict.FAIL.value for r in rows)
    fn = sum(r[truth] and r[key] != Verdict.FAIL.value for r in rows)
    fp = sum(not r[truth] and r[key] == Verdict.FAIL.value for r in rows)
    tn = sum(not r[truth] and r[key] != Verdict.FAIL.value for r in rows)
    return {
        "tp": tp, "fn": fn, "fp": fp, "tn": tn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "accuracy": round((tp + tn) / len(rows), 3) if rows else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="small")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--flaky", action="store_true", help="Run the flaky analysis before each gate.")
    ap.add_argument("--sim-dir", type=Path, help="Use an existing simulator output instead of generating one.")
    ap.add_argument("--already-failing", choices=("block", "warn", "off"), default=None,
                    help="Mode of rule already_failing (default: the documented default, warn).")
    args = ap.parse_args()
    overrides: dict[str, Any] = {"rules": {"already_failing": args.already_failing}} if args.already_failing else {}
    gate = GateSettings.model_validate(overrides)  # documented defaults (bare seed env vars would apply too)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        sim_dir = args.sim_dir
        if sim_dir is None:
            from argus.sim import scale_config, simulate

            sim_dir = Path(tmp) / "sim"
            simulate(scale_config(args.scale, seed=args.seed), sim_dir, scale=args.scale)
        rows: list[dict[str, Any]] = []
        for i, pdir in enumerate(sorted(p.parent for p in sim_dir.glob("*/ground_truth.json"))):
            rows += replay(pdir, f"sqlite:///{tmp}/gate{i}.db", args.flaky, gate)
    seconds = time.perf_counter() - t0
    cm = confusion(rows)
    cm_change = confusion(rows, truth="expected_fail_change")
    ref = confusion(rows, "static_verdict")
    per_cat = {c: dict(Counter(r["verdict"] for r in rows if r["category"] == c)) for c in
               sorted({r["category"] for r in rows})}
    fp_rules = Counter(rule for r in rows if not r["expected_fail"] and r["verdict"] == "fail"
                       for rule in r["failing_rules"])
    missed = [r["run"] for r in rows if r["expected_fail"] and r["verdict"] != "fail"]
    gate_ms = statistics.median(r["gate_ms"] for r in rows)
    ingest_ms = statistics.median(r["ingest_ms"] for r in rows)
    result = {"scale": args.scale, "seed": args.seed, "flaky_analysis": args.flaky, "runs": len(rows),
              "already_failing_mode": gate.rules.get("already_failing"),
              "confusion": cm, "confusion_change_truth": cm_change, "static_gate_confusion": ref, "verdicts_by_category": per_cat, "false_positive_rules": dict(fp_rules),
              "missed_runs": missed, "gate_ms_median": gate_ms, "ingest_ms_median": ingest_ms,
              "seconds": round(seconds, 1), "rows": rows}
    suffix = f"_{args.scale}" + ("_flaky" if args.flaky else "") + (
        f"_already_{args.already_failing}" if args.already_failing else "")
    out = Path(__file__).parent / "results" / f"eval_gate{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    label = f"gate[{args.scale}, seed {args.seed}{', flaky' if args.flaky else ''}]"
    print(f"{label} runs: {len(rows)}")
    print(f"{label} confusion (positive = FAIL): TP {cm['tp']}  FN {cm['fn']}  FP {cm['fp']}  TN {cm['tn']}")
    c2 = cm_change
    print(f"{label} confusion, regressions already failing on main not expected to fail: TP {c2['tp']}  "
          f"FN {c2['fn']}  FP {c2['fp']}  TN {c2['tn']}; accuracy {c2['accuracy']} (ratio)")
    print(f"{label} precision: {cm['precision']} (ratio)  recall: {cm['recall']} (ratio)  "
          f"accuracy: {cm['accuracy']} (ratio)")
    ratio = round(cm["accuracy"] / ref["accuracy"], 2) if cm["accuracy"] and ref["accuracy"] else None
    print(f"{label} reference static gate (any failing test or coverage < 90 %): TP {ref['tp']}  FN {ref['fn']}  "
          f"FP {ref['fp']}  TN {ref['tn']}; accuracy {ref['accuracy']} (ratio)")
    print(f"{label} accuracy: {cm['accuracy']} ratio ({ratio}x vs static gate)")
    print(f"{label} verdicts by category: {per_cat}")
    print(f"{label} rules behind false positives: {dict(fp_rules)}")
    print(f"{label} gate evaluation: {gate_ms:.1f} ms median per build "
          f"({gate_ms / ingest_ms:.2f}x vs ingesting that run's reports, {ingest_ms:.1f} ms)")
    print(f"{label} replay time: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
