"""Score flaky/broken detection against the simulator's ground truth at one or more scales.

For each scale: ``argus simulate`` into a temporary folder, ingest every run's JUnit reports (with the
run's commit, branch, CI run id/attempt and environment from its run.json) into a fresh SQLite
database through the real ingestion service, run ``argus.analysis.flaky.service.analyze``, and
compare with ground_truth.json:

* flaky: predicted = verdict FLAKY (P(flaky) > investigate threshold) vs planted flaky tests;
* broken: predicted = an open or fixed regression found for the test vs tests broken by a planted
  regression (also reported: currently broken = BROKEN verdict vs regressions still open at the end);
* time to flag: for each planted flaky test that was found, the number of its runs (in time order)
  after which the analysis first calls it flaky (prefixes re-assessed with the pure algorithm);
* category: share of found flaky tests whose category matches the planted one;
* Brier score of P(flaky) over tests that failed at least once.

Usage: .venv/bin/python bench/eval_flaky.py [--scales small default] [--seed 42]
Writes bench/results/eval_flaky.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from argus.analysis.flaky.algo import assess
from argus.analysis.flaky.schemas import TestHistory, Verdict
from argus.analysis.flaky.service import analyze, load_histories, params_from
from argus.core.db import create_db_engine
from argus.core.settings import FlakySettings, IngestSettings
from argus.evaluation.identity import truth_identity
from argus.evaluation.metrics import binary_counts
from argus.evaluation.truth import GroundTruth, load_ground_truth
from argus.ingest.ci_env import CiMetadata
from argus.ingest.testreports.service import ingest_test_reports
from argus.reasoning.calibration import Sample, reliability
from argus.sim import scale_config, simulate
from argus.store.migrate import upgrade
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory

CATEGORY_MAP = {
    "timing": "async_wait", "order_dependency": "order_dependency", "network": "network",
    "resource": "resource_leak", "randomness": "randomness", "time_date": "time_date", "concurrency": "concurrency",
}


def ingest_project(session: Any, pdir: Path) -> tuple[int, float]:
    runs = sorted((json.loads(p.read_text()) for p in pdir.glob("runs/*/run.json")), key=lambda m: m["started_at"])
    settings = IngestSettings()
    t0 = time.perf_counter()
    for m in runs:
        rdir = pdir / "runs" / m["key"]
        meta = CiMetadata(
            provider=m["ci_provider"], run_id=str(m["run_id"]), job=m["job"], attempt=int(m["attempt"]),
            commit_sha=m["commit"], branch=m["branch"], url=m.get("ci_url"), environment=dict(m["environment"]),
        )
        paths = [rdir / p for p in m["reports"]["junit"]]
        ingest_test_reports(session, paths, meta, settings)
    return len(runs), time.perf_counter() - t0


def runs_to_flag(histories: list[TestHistory], ids: set[int], settings: FlakySettings) -> list[int]:
    """For each history in ``ids``: the number of informative runs after which it is first called flaky."""
    p = params_from(settings)
    out = []
    for h in histories:
        if h.test_case_id not in ids:
            continue
        for k in range(1, len(h.runs) + 1):
            if assess(TestHistory(h.test_case_id, h.identity, h.runs[:k]), p).verdict is Verdict.FLAKY:
                out.append(sum(1 for r in h.runs[:k] if r.status.value != "skip"))
                break
    return out


def evaluate_project(pdir: Path, gt: GroundTruth, workdir: Path, settings: FlakySettings) -> dict[str, Any]:
    engine = create_db_engine(f"sqlite:///{workdir / (gt.project + '.db')}")
    upgrade(engine)
    sf = make_session_factory(engine)
    with sf() as s:
        get_or_create_project(s, gt.project, default_branch=gt.default_branch)
        n_runs, ingest_s = ingest_project(s, pdir)
        s.commit()
        t0 = time.perf_counter()
        res = analyze(s, settings)
        analyze_s = time.perf_counter() - t0
        s.commit()
        ident_to_truth = {truth_identity(t.id): t.id for t in gt.tests}
        ident_to_truth.update({truth_identity(r.new): r.new for r in gt.renamed_tests})
        ident_to_truth.update({truth_identity(r.old): r.old for r in gt.renamed_tests})
        unmapped = [a.identity for a in res.assessments if a.identity not in ident_to_truth]
        tid = {a.identity: ident_to_truth.get(a.identity, a.identity) for a in res.assessments}
        flaky_pred = {tid[a.identity] for a in res.assessments if a.verdict is Verdict.FLAKY}
        broken_pred = {tid[a.identity] for a in res.assessments if a.broken is not None or a.past_regressions}
        open_pred = {tid[a.identity] for a in res.assessments if a.verdict is Verdict.BROKEN}
        universe = set(gt.test_labels())
        flaky = binary_counts(gt.flaky_ids(), flaky_pred, universe)
        broken = binary_counts(gt.broken_ids(), broken_pred, universe)
        open_truth = {t for r in gt.regressions if r.fixed_at is None for t in r.tests}
        broken_now = binary_counts(open_truth, open_pred, universe)
        truth_cat = {f.test: CATEGORY_MAP.get(f.category, f.category) for f in gt.flaky_tests}
        found = [a for a in res.assessments if a.verdict is Verdict.FLAKY and tid[a.identity] in truth_cat]
        cat_ok = sum(1 for a in found if a.category.category.value == truth_cat[tid[a.identity]])
        cat_miss = [
            {"test": tid[a.identity], "planted": truth_cat[tid[a.identity]], "found": a.category.category.value,
             "reasons": list(a.category.reasons)}
            for a in found
            if a.category.category.value != truth_cat[tid[a.identity]]
        ]
        flaky_truth = gt.flaky_ids()
        brier = [(a.probability - (tid[a.identity] in flaky_truth)) ** 2 for a in res.assessments]
        calibration = [(a.probability, tid[a.identity] in flaky_truth) for a in res.assessments]
        histories, *_ = load_histories(
            s, params_from(settings), default_branch=gt.default_branch, since=None, extra_tests=set()
        )
        found_ids = {a.test_case_id for a in found}
        flag_runs = runs_to_flag(histories, found_ids, settings)
        fp_labels = {t: gt.test_labels().get(t, "unknown") for t in flaky_pred - flaky_truth}
        quarantined = {tid.get(c.identity, c.identity) for c in res.changes if c.after == "quarantined"}
        by_truth = {tid[a.identity]: a for a in res.assessments}

        def brief(t: str) -> dict[str, Any]:
            a = by_truth.get(t)
            if a is None:
                return {"test": t, "assessed": False}
            return {"test": t, "verdict": a.verdict.value, "p": round(a.probability, 3), "runs": a.clean_runs,
                    "failing": a.failing_runs, "retry": len(a.retry_pass_runs), "same_code": len(a.same_code_runs),
                    "regressions": len(a.past_regressions) + (a.broken is not None)}

        misses = {
            "flaky_fn": [brief(t) for t in sorted(flaky_truth - flaky_pred)],
            "broken_fn": [brief(t) for t in sorted(gt.broken_ids() - broken_pred)],
            "broken_fp": [brief(t) for t in sorted(broken_pred - gt.broken_ids())],
        }
    engine.dispose()
    return {
        "project": gt.project,
        "runs": n_runs,
        "tests": len(gt.tests),
        "results_ingest_s": round(ingest_s, 2),
        "analyze_s": round(analyze_s, 3),
        "planted_flaky": len(flaky_truth),
        "planted_broken": len(gt.broken_ids()),
        "flaky": flaky.as_dict(),
        "broken_ever": broken.as_dict(),
        "broken_now": broken_now.as_dict(),
        "misses": misses,
        "auto_quarantined": len(quarantined),
        "auto_quarantined_planted_flaky": len(quarantined & flaky_truth),
        "auto_quarantined_not_flaky": sorted(str(t) for t in quarantined - flaky_truth),
        "flaky_false_positive_labels": {str(k): str(v) for k, v in sorted(fp_labels.items())},
        "missed_flaky_rates": sorted(round(f.rate, 3) for f in gt.flaky_tests if f.test not in flaky_pred),
        "category_accuracy": cat_ok / len(found) if found else None,
        "category_mismatches": cat_miss,
        "runs_to_flag": {
            "median": statistics.median(flag_runs) if flag_runs else None,
            "p90": sorted(flag_runs)[int(0.9 * (len(flag_runs) - 1))] if flag_runs else None,
            "values": flag_runs,
        },
        "brier": sum(brier) / len(brier) if brier else None,
        "calibration_samples": [[round(p, 4), bool(y)] for p, y in calibration],
        "unmapped_identities": len(unmapped),
        "outage_runs_found": res.outage_runs,
        "outage_runs_planted": len(gt.outages),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", default=["small", "default"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--projects", type=int, default=None, help="Override the number of projects per scale.")
    ap.add_argument("--sim-dir", type=Path, default=None, help="Keep/reuse simulator output here (per scale).")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="FlakySettings overrides.")
    args = ap.parse_args()
    settings = FlakySettings(**dict(kv.split("=", 1) for kv in args.set))
    report: dict[str, Any] = {"seed": args.seed, "settings": settings.model_dump(), "scales": {}}
    for scale in args.scales:
        with tempfile.TemporaryDirectory(prefix=f"argus-eval-{scale}-") as tmp:
            if args.sim_dir is not None:  # reuse earlier simulator output (same data for every variant)
                out = args.sim_dir / scale
                if not (out / "manifest.json").exists():
                    simulate(scale_config(scale, seed=args.seed, projects=args.projects), out, scale=scale)
            else:
                out = Path(tmp) / "sim"
                simulate(scale_config(scale, seed=args.seed, projects=args.projects), out, scale=scale)
            manifest = json.loads((out / "manifest.json").read_text())
            projects = []
            for proj in manifest["projects"]:
                gt = load_ground_truth(out / proj["ground_truth"])
                projects.append(evaluate_project(out / proj["path"], gt, Path(tmp), settings))
        report["scales"][scale] = projects
        for p in projects:
            f, b, bn = p["flaky"], p["broken_ever"], p["broken_now"]
            print(
                f"{scale}/{p['project']}: {p['runs']} runs × {p['tests']} tests; "
                f"flaky P {f['precision']:.2f} R {f['recall']:.2f} (tp {f['tp']} fp {f['fp']} fn {f['fn']}); "
                f"broken P {b['precision']:.2f} R {b['recall']:.2f}; broken-now P {bn['precision']:.2f} R {bn['recall']:.2f}; "
                f"runs to flag median {p['runs_to_flag']['median']} p90 {p['runs_to_flag']['p90']}; "
                f"category acc {p['category_accuracy']}; brier {p['brier']:.3f}; "
                f"auto-quarantined {p['auto_quarantined']} ({p['auto_quarantined_planted_flaky']} planted flaky); "
                f"analyze {p['analyze_s']} s"
            )
    pooled = [Sample(p, y) for projects in report["scales"].values() for pr in projects
              for p, y in pr["calibration_samples"]]
    if pooled:
        rel = reliability(pooled, bins=10)
        report["calibration"] = {
            "n": rel.n, "ece": rel.ece, "mce": rel.mce, "brier": rel.brier,
            "bins": [{"lower": b.lower, "upper": b.upper, "count": b.count, "mean_p": b.mean_confidence,
                      "flaky_share": b.accuracy} for b in rel.bins],
        }
        print(f"P(flaky) calibration over {rel.n} tests that failed at least once "
              f"(all scales and projects pooled): ECE {rel.ece:.3f}, MCE {rel.mce:.3f}, Brier {rel.brier:.3f}")
        print("  P(flaky) bin   tests   mean P   share planted flaky")
        for b in rel.bins:
            if b.count:
                print(f"  {b.lower:.1f}–{b.upper:.1f}   {b.count:>7}   {b.mean_confidence:.3f}    {b.accuracy:.3f}")
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "eval_flaky.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
