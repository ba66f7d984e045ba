"""DORA metrics at scale: ingest delivery CSVs and compute the report / per-PR detail (SQLite or PostgreSQL).

Generates ``--prs`` merged pull requests on one repo's linear main history (each PR a branch commit
merged by a merge commit: 2 commits per PR in ``commits.csv``), 1–3 PR commits and 0–3 comments per PR,
``--deployments`` PRODUCTION deployment rows (``deployments.csv``: 8 % failed, each deploying the
main tip of its time) over two years, and ``--incidents`` incidents. The generator knows which
deployment ships each PR (the first successful deployment whose commit is at or after the PR's merge
commit, unless that is the first successful deployment), so the rules' links are checked against it.

Reference: reading the same CSV files with the standard ``csv`` module (no parsing of values, no
database). Measured: ``argus ingest delivery`` (parse + upsert, one unit of work), the DORA report
over the whole period (load + rules + monthly aggregation, no insight saved), and the ``--detail``
document.

Usage: .venv/bin/python bench/dora_scale.py --backend postgresql --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
Writes bench/results/dora_scale_<backend>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argus.app import delivery as uc
from argus.app.runtime import Runtime
from argus.core.settings import Settings
from argus.store.migrate import upgrade
from argus.testing.databases import fresh_database

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def iso(t: datetime) -> str:
    return t.isoformat()


def generate(out: Path, prs: int, deployments: int, incidents: int, seed: int) -> dict[str, str]:
    """Write the CSV files; return the expected shipping deployment of each PR (ground truth)."""
    rnd = random.Random(seed)
    step = SPAN / prs
    merges = [T0 + step * (i + 1) for i in range(prs)]  # main commit m{i} at the merge of PR i
    with (out / "commits.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["repo", "sha", "parent_shas", "authored_at", "committed_at"])
        for i, t in enumerate(merges):
            base = f"m{i - 1}" if i else ""
            w.writerow(["app", f"b{i}", base, iso(t - timedelta(hours=5)), iso(t - timedelta(hours=5))])
            w.writerow(["app", f"m{i}", f"{base} b{i}".strip(), iso(t), iso(t)])
    with (out / "pull_requests.csv").open("w", newline="") as f, \
            (out / "pr_commits.csv").open("w", newline="") as fc, (out / "pr_comments.csv").open("w", newline="") as fm:
        w, wc, wm = csv.writer(f), csv.writer(fc), csv.writer(fm)
        w.writerow(["id", "repo", "number", "title", "status", "base_branch", "created_at", "merged_at",
                    "closed_at", "merge_commit_sha", "first_commit_at", "first_review_at"])
        wc.writerow(["pr_id", "commit_sha", "authored_at"])
        wm.writerow(["pr_id", "id", "account_id", "created_at", "by_pr_author"])
        n_comment = 0
        for i, t in enumerate(merges):
            created = t - timedelta(minutes=rnd.randint(30, 4000))
            w.writerow([f"pr{i}", "app", i + 1, f"change {i}", "MERGED", "main", iso(created), iso(t), iso(t),
                        f"m{i}", "", ""])
            for k in range(rnd.randint(1, 3)):
                wc.writerow([f"pr{i}", f"b{i}" if k == 0 else f"x{i}_{k}",
                             iso(created - timedelta(minutes=rnd.randint(1, 3000)))])
            for k in range(rnd.randint(0, 3)):
                n_comment += 1
                wm.writerow([f"pr{i}", f"cm{n_comment}", f"user{rnd.randint(1, 50)}",
                             iso(created + (t - created) * rnd.random()), "true" if k == 0 and rnd.random() < 0.3
                             else "false"])
    expected: dict[str, str] = {}
    dstep = SPAN / deployments
    rows = []
    for j in range(deployments):
        finished = T0 + dstep * (j + 1) + timedelta(minutes=7)
        tip = min(prs - 1, int((finished - T0) / step) - 1)  # the last PR merged before it finished
        ok = rnd.random() >= 0.08
        rows.append((f"d{j}", finished, tip, ok))
    with (out / "deployments.csv").open("w", newline="") as f, \
            (out / "deployment_commits.csv").open("w", newline="") as fc:
        w, wc = csv.writer(f), csv.writer(fc)
        w.writerow(["id", "name", "environment", "result", "started_at", "finished_at", "scope", "deployment_group"])
        wc.writerow(["deployment_id", "repo", "commit_sha", "previous_commit_sha"])
        for did, finished, tip, ok in rows:
            w.writerow([did, "deploy app", "PRODUCTION", "SUCCESS" if ok else "FAILURE",
                        iso(finished - timedelta(minutes=12)), iso(finished), "ci/app", ""])
            wc.writerow([did, "app", f"m{max(tip, 0)}", ""])
    # ground truth: successful rows in finish order; each after the first ships (prev tip, tip]
    prev_tip = None
    for did, _, tip, ok in rows:
        tip = max(tip, 0)
        if not ok:
            continue
        if prev_tip is not None:
            for i in range(prev_tip + 1, tip + 1):
                expected[f"pr{i}"] = did
        prev_tip = tip
    with (out / "incidents.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "status", "created_at", "resolved_at", "repo_or_service"])
        for k in range(incidents):
            c = T0 + SPAN * rnd.random()
            w.writerow([f"inc{k}", "outage", "DONE", iso(c), iso(c + timedelta(minutes=rnd.randint(5, 3000))), "app"])
    return expected


def read_reference(folder: Path) -> float:
    t = time.perf_counter()
    for p in sorted(folder.glob("*.csv")):
        with p.open(newline="") as f:
            for _ in csv.reader(f):
                pass
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--prs", type=int, default=100_000)
    ap.add_argument("--deployments", type=int, default=10_000)
    ap.add_argument("--incidents", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    results: dict[str, object] = {"backend": args.backend, "prs": args.prs, "deployments": args.deployments,
                                  "incidents": args.incidents}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "csv"
        folder.mkdir()
        t = time.perf_counter()
        expected = generate(folder, args.prs, args.deployments, args.incidents, args.seed)
        results["generate_s"] = time.perf_counter() - t
        ref = read_reference(folder)
        results["reference_csv_read_s"] = ref
        rows = sum(sum(1 for _ in p.open()) - 1 for p in folder.glob("*.csv"))
        results["csv_rows"] = rows
        with fresh_database(Path(tmp), args.pg_url if args.backend == "postgresql" else None, prefix="bench_") as url:
            runtime = Runtime(Settings(home=Path(tmp) / "home", database_url=url))  # type: ignore[arg-type]
            upgrade(runtime.engine(check_schema=False))
            t = time.perf_counter()
            uc.ingest_delivery(runtime, uc.IngestRequest(folder, "bench"))
            results["ingest_s"] = time.perf_counter() - t
            t = time.perf_counter()
            report = uc.dora_report(runtime, uc.DoraRequest("bench", save=False))
            results["report_s"] = time.perf_counter() - t
            t = time.perf_counter()
            detail = uc.dora_detail(runtime, "bench")
            results["detail_s"] = time.perf_counter() - t
            runtime.close()
        got = {k: v["deployment_id"] for k, v in detail["pull_requests"].items() if v["deployment_id"]}
        results["links_expected"] = len(expected)
        results["links_found"] = len(got)
        results["links_agree"] = got == expected
        results["months"] = len(report.months)
        results["metrics"] = {m.key: {"value": m.value, "buckets": {b.report: b.bucket for b in m.benchmarks}}
                              for m in report.metrics}
    print(f"csv rows: {rows}; reference csv read: {ref:.2f} s")
    for key in ("ingest_s", "report_s", "detail_s"):
        v = float(results[key])  # type: ignore[arg-type]
        print(f"{key[:-2]}: {v:.2f} s ({v / ref:.1f}x reference)")
    print(f"PR links: {results['links_found']} found, {results['links_expected']} expected, "
          f"identical: {results['links_agree']}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"dora_scale_{args.backend}.json").write_text(json.dumps(results, indent=2, default=str))
    return 0 if results["links_agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
