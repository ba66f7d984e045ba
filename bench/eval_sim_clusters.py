"""Score failure clustering against the simulator's root-cause ground truth (test failures, not logs).

For each scale: ``argus simulate`` into a temporary folder, ingest every run's JUnit reports into a
fresh SQLite database through the real ingestion service, run ``analyze_failures`` (the production
path: incremental, one pass per run in time order), and compare each failing (run, test) — its first
failed attempt — with ``ground_truth_failures.jsonl`` (one group per planted root cause). References
in the same run: Drain3 defaults and "identical first line" on the same failure texts.

Metrics: pairwise precision/recall/F1 and adjusted Rand index (argus.evaluation), and grouping
accuracy (GA, as for Loghub).

Usage: .venv/bin/python bench/eval_sim_clusters.py [--scales small default] [--seed 42]
Writes bench/results/eval_sim_clusters.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from argus.analysis.failures.algo import failure_text
from argus.analysis.failures.evaluate import grouping_accuracy
from argus.analysis.failures.service import analyze_failures
from argus.core.db import create_db_engine
from argus.core.settings import ClusterSettings, IngestSettings
from argus.evaluation.scoring import score_failure_clusters
from argus.evaluation.truth import FailureLabel, load_failure_labels
from argus.ingest.ci_env import CiMetadata
from argus.ingest.testreports.service import ingest_test_reports
from argus.sim import scale_config, simulate
from argus.store.migrate import upgrade
from argus.store.models import TestCase, TestResult, TestRun
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory

sys.path.insert(0, str(Path(__file__).parent))
from argus.evaluation.identity import truth_identity

Key = tuple[str, str]  # (run key, truth test id)


def drain_labels(lines: Sequence[str]) -> list[int]:
    from drain3 import TemplateMiner as DrainMiner
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    miner = DrainMiner(config=cfg)
    return [miner.add_log_message(line)["cluster_id"] for line in lines]


def exact_labels(lines: Sequence[str]) -> list[str]:
    return list(lines)


def run_project(
    pdir: Path, workdir: Path, settings: ClusterSettings
) -> tuple[dict[Key, int], dict[Key, str], float]:
    """Ingest and cluster run by run; (cluster per key, failure text per key, seconds in analyze)."""
    engine = create_db_engine(f"sqlite:///{workdir / (pdir.name + '-' + str(time.monotonic_ns()) + '.db')}")
    upgrade(engine)
    runs = sorted(
        (json.loads(p.read_text()) for p in pdir.glob("runs/*/run.json")), key=lambda m: m["started_at"]
    )
    analyze_s = 0.0
    with make_session_factory(engine)() as s:
        get_or_create_project(s, pdir.name)
        run_key: dict[int, str] = {}
        for m in runs:
            meta = CiMetadata(
                provider=m["ci_provider"],
                run_id=str(m["run_id"]),
                job=m["job"],
                attempt=int(m["attempt"]),
                commit_sha=m["commit"],
                branch=m["branch"],
                url=m.get("ci_url"),
                environment=dict(m["environment"]),
            )
            rdir = pdir / "runs" / m["key"]
            ingest_test_reports(s, [rdir / p for p in m["reports"]["junit"]], meta, IngestSettings())
            rid = s.scalars(
                select(TestRun.id).where(
                    TestRun.ci_run_id == str(m["run_id"]), TestRun.ci_attempt == int(m["attempt"])
                )
            ).first()
            if rid is not None:
                run_key[rid] = m["key"]
            t0 = time.perf_counter()
            analyze_failures(s, settings, emit_insights=False)
            analyze_s += time.perf_counter() - t0
        rows = s.execute(
            select(
                TestResult.run_id,
                TestCase.identity,
                TestResult.cluster_id,
                TestResult.message,
                TestResult.failure_type,
                TestResult.stack,
            )
            .join(TestCase, TestCase.id == TestResult.test_case_id)
            .where(TestResult.cluster_id.is_not(None))
            .order_by(TestResult.attempt, TestResult.id)
        ).all()
    engine.dispose()
    clusters: dict[Key, int] = {}
    texts: dict[Key, str] = {}
    for run_id, ident, cid, msg, ftype, stack in rows:
        key = (run_key.get(run_id, str(run_id)), ident)
        if key not in clusters:  # first failed attempt
            clusters[key] = cid
            texts[key] = failure_text(msg, ftype, stack)
    return clusters, texts, analyze_s


def score(labels: list[FailureLabel], predicted: dict[Key, Any]) -> dict[str, float]:
    keyed = [lab for lab in labels if (lab.run, lab.test) in predicted]
    sc = score_failure_clusters(keyed, predicted)
    ga = grouping_accuracy([lab.group for lab in keyed], [predicted[(lab.run, lab.test)] for lab in keyed])
    return {"items": sc.items, "precision": sc.precision, "recall": sc.recall, "f1": sc.f1,
            "ari": sc.adjusted_rand, "ga": ga}  # fmt: skip


def evaluate_scale(scale: str, seed: int, workdir: Path, variants: dict[str, ClusterSettings],
                   no_drain: bool) -> dict[str, Any]:  # fmt: skip
    out = workdir / f"sim-{scale}"
    simulate(scale_config(scale, seed=seed), out)
    refs: dict[str, Callable[[Sequence[str]], Sequence[Any]]] = {"exact_first_line": exact_labels}
    if not no_drain:
        refs["drain3_defaults"] = drain_labels
    totals: dict[str, list[dict[str, float]]] = {}
    for pdir in sorted(p for p in out.iterdir() if (p / "ground_truth_failures.jsonl").is_file()):
        labels = [
            FailureLabel(lab.run, truth_identity(lab.test), lab.cause, lab.group, lab.outcome, lab.attempts)
            for lab in load_failure_labels(pdir / "ground_truth_failures.jsonl")
        ]
        texts: dict[Key, str] = {}
        for name, settings in variants.items():
            clusters, texts, secs = run_project(pdir, workdir, settings)
            totals.setdefault(name, []).append({**score(labels, clusters), "analyze_s": secs})
        keys = sorted(texts)
        for name, fn in refs.items():
            pred = dict(zip(keys, fn([texts[k] for k in keys]), strict=True))
            totals.setdefault(name, []).append(score(labels, pred))
    result: dict[str, Any] = {}
    for name, per_project in totals.items():
        n = sum(p["items"] for p in per_project)
        result[name] = {m: sum(p[m] * p["items"] for p in per_project) / max(n, 1)
                        for m in ("precision", "recall", "f1", "ari", "ga")}  # fmt: skip
        result[name]["items"] = n
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scales", nargs="+", default=["small", "default"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-drain", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "eval_sim_clusters.json")
    args = ap.parse_args(argv)
    variants = {
        "argus": ClusterSettings(),
        "argus_stack_always": ClusterSettings(stack_split="always"),
        "argus_no_stack": ClusterSettings(stack_split="never"),
    }
    report: dict[str, Any] = {"seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            res = evaluate_scale(scale, args.seed, Path(tmp), variants, args.no_drain)
            report[scale] = res
            ref = res.get("drain3_defaults", {}).get("f1")
            for name, r in res.items():
                ratio = (
                    f" ({r['f1'] / ref:.2f}x drain3_defaults)" if ref and name != "drain3_defaults" else ""
                )
                print(f"{scale}_f1[{name}]: {r['f1']:.3f} pairwise F1{ratio}  "
                      f"P={r['precision']:.3f} R={r['recall']:.3f} ARI={r['ari']:.3f} GA={r['ga']:.3f} "
                      f"[{int(r['items'])} failures]")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
