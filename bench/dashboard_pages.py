"""Server time of the dashboard's overview and test pages with a large result table (PostgreSQL or SQLite).

Loads a synthetic CI history with ``bench/flaky_scale.py``'s generator (bulk COPY; flaky, broken and
outage runs; retries; four environments; feature branches) until ``--results`` result rows exist,
fills the runs' counters from their results, runs the flaky and failure-clustering analyses (so
the pages have verdicts, lifecycle states and clusters to show), then requests each page
``--repeat`` times through the real app (FastAPI in process, Bearer token; the time is the whole
request: routing, auth, queries, template rendering) after one warm-up request, and reports the
median and the maximum.

Pages: the overview (all branches, all time), the overview of one branch over the last 7 days, and
the test page of the test with the most results (its strip and duration chart over its latest 50
runs, flaky verdict with evidence, lifecycle, clusters). For reference also the flaky, clusters and
tests lists. Reference: the JSON API's first page of runs (``GET /api/v1/projects/bench/runs``) in the
same run. Goal (issue 15): overview and test page ≤ 300 ms with 1M results on PostgreSQL.

    .venv/bin/python bench/dashboard_pages.py --backend postgresql --results 1000000
    .venv/bin/python bench/dashboard_pages.py --backend sqlite --results 200000

Writes bench/results/dashboard_pages_<backend>.json.
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

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import flaky_scale as fs
from _pg import bench_database

from argus.core.db import create_db_engine
from argus.store.migrate import upgrade
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to

PROJECT = "bench"


def fill_counters(engine: Any) -> None:
    """Each run's passed/failed/skipped counters and duration from its first attempts (as ingest does)."""
    with engine.begin() as c:
        c.execute(text("""
            UPDATE test_run SET
              passed = (SELECT count(*) FROM test_result r WHERE r.run_id = test_run.id AND r.attempt = 0
                        AND r.outcome = 'passed'),
              failed = (SELECT count(*) FROM test_result r WHERE r.run_id = test_run.id AND r.attempt = 0
                        AND r.outcome = 'failed'),
              errors = (SELECT count(*) FROM test_result r WHERE r.run_id = test_run.id AND r.attempt = 0
                        AND r.outcome = 'error'),
              duration_s = (SELECT coalesce(sum(duration_s), 0) FROM test_result r WHERE r.run_id = test_run.id)
        """))
        c.execute(text("ANALYZE"))


def analyse(url: str) -> dict[str, float]:
    from argus.app import failures, flaky
    from argus.app.runtime import Runtime
    from argus.core.settings import Settings

    rt = Runtime(Settings(database_url=url))  # type: ignore[arg-type]
    out = {}
    t0 = time.perf_counter()
    flaky.analyze(rt, flaky.AnalyzeRequest(PROJECT))
    out["flaky_analyze_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    failures.analyze(rt, failures.AnalyzeRequest(PROJECT))
    out["failures_analyze_s"] = time.perf_counter() - t0
    rt.close()
    return out


def measure(url: str, repeat: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from argus.api.app import create_app
    from argus.core.enums import Role
    from argus.core.settings import ServerSettings, Settings
    from argus.store.admin import create_token
    from argus.store.projects import get_or_create_org

    settings = Settings(database_url=url, server=ServerSettings(rate_limit_enabled=False))  # type: ignore[arg-type]
    app = create_app(settings)
    rt = app.state.runtime
    with rt.unit_of_work() as s:
        secret, _ = create_token(s, get_or_create_org(s, "default"), "bench", Role.VIEWER, "bench")
    with rt.engine().connect() as c:
        busiest = c.execute(text("SELECT test_case_id, count(*) n FROM test_result GROUP BY test_case_id "
                                 "ORDER BY n DESC LIMIT 1")).one()
        flaky_case = c.execute(text(
            "SELECT t.id FROM test_case t JOIN flaky_test_state f ON f.test_case_id = t.id ORDER BY f.probability DESC "
            "LIMIT 1")).scalar()
        results = c.execute(text("SELECT count(*) FROM test_result")).scalar_one()
        runs = c.execute(text("SELECT count(*) FROM test_run")).scalar_one()
    pages = {
        "reference_api_runs": f"/api/v1/projects/{PROJECT}/runs",  # the JSON API's first page of runs
        "overview": f"/p/{PROJECT}",
        "overview_main_7d": f"/p/{PROJECT}?branch=main&range=7d",
        "test_page_busiest": f"/p/{PROJECT}/tests/{busiest[0]}",
        "test_page_flaky": f"/p/{PROJECT}/tests/{flaky_case or busiest[0]}",
        "flaky_list": f"/p/{PROJECT}/flaky",
        "clusters_list": f"/p/{PROJECT}/clusters",
        "tests_list": f"/p/{PROJECT}/tests",
    }
    timings: dict[str, Any] = {"results": results, "runs": runs, "busiest_test_results": busiest[1]}
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as client:
        for name, path in pages.items():
            r = client.get(path, headers=headers)  # warm-up (and a check)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            ms = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                client.get(path, headers=headers)
                ms.append((time.perf_counter() - t0) * 1000)
            timings[name] = {"median_ms": round(statistics.median(ms), 1), "max_ms": round(max(ms), 1), "n": repeat}
            ref = timings.get("reference_api_runs", {}).get("median_ms") or statistics.median(ms)
            print(f"{name}[{results:,} results]: median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms "
                  f"({statistics.median(ms) / ref:.2f}× reference)   {path}")
    rt.close()
    return timings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument("--results", type=int, default=1_000_000)
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--pg-schema", default=None, help="PostgreSQL schema to use (kept; reused if it holds data).")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    runs = max(10, round(args.results / (args.tests * 1.004)))
    with tempfile.TemporaryDirectory(prefix="argus-dashboard-bench-") as tmp, \
            bench_database(args.backend, args.pg_url, keep=args.pg_schema, sqlite_file=Path(tmp) / "bench.db") as url:
        run(url, args, runs, rng)
    return 0


def run(url: str, args: argparse.Namespace, runs: int, rng: Any) -> None:
    """Fill the database at ``url`` (unless it holds results already), analyse it, measure the pages."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as c:
            existing = c.execute(text("SELECT count(*) FROM test_result")).scalar_one()
        m: dict[str, Any] = {"backend": args.backend, "tests": args.tests}
        if not existing:
            t0 = time.perf_counter()
            with make_session_factory(engine)() as s:
                scoped_to(s, get_or_create_project(s, PROJECT))  # tenancy: writes bound to the project
                run_ids, case_ids = fs.setup_runs(s, runs, args.tests, rng)
            world = fs.make_world(args.tests, runs, rng)
            loaded = fs.load(engine, fs.generate(world, runs, 1, run_ids, case_ids, rng))
            fill_counters(engine)
            m["generate_s"] = time.perf_counter() - t0
            print(f"generated {loaded:,} results in {m['generate_s']:.0f} s", file=sys.stderr)
            m.update(analyse(url))
            print(f"analyses: flaky {m['flaky_analyze_s']:.0f} s, clusters {m['failures_analyze_s']:.0f} s",
                  file=sys.stderr)
            with engine.begin() as c:  # fresh planner statistics, as autovacuum would gather after the analyses
                c.execute(text("ANALYZE"))
        engine.dispose()
        m.update(measure(url, args.repeat))
        out = Path(__file__).resolve().parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"dashboard_pages_{args.backend}.json").write_text(json.dumps(m, indent=2, default=str))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
