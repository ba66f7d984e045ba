"""Flaky analysis over millions of stored results vs one SQL scan of the results table (SQLite and PostgreSQL).

Generates a synthetic history straight into a fresh, migrated database with bulk inserts (SQLite
executemany, PostgreSQL COPY; secondary indexes dropped during the load and rebuilt after it, as a
bulk loader would): ``--tests`` tests, runs every 20 minutes until ``--results`` result rows exist.
5% of the tests are flaky (rate log-uniform 2–30%), 0.5% break at a random run (half get fixed),
2% of runs are outages (70% of tests error), 20% of runs are CI re-runs of the previous commit, 40%
run on feature branches, four environments, a third of the tests retried twice on failure
(Surefire-style), and every test fails at random with probability 3e-4 per run (noise).

Reference: ``SELECT count(*), sum(duration_s) FROM test_result WHERE project_id = ?`` — one full scan.
Measured (warm cache, best of ``--repeat``): the reference, ``analyze(persist=False)`` split into SQL
loading and per-test Python, and ``analyze(persist=True)`` (insights, evidence and lifecycle stored).

Usage: .venv/bin/python bench/flaky_scale.py --backend sqlite --results 10000000
       .venv/bin/python bench/flaky_scale.py --backend postgresql --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
Writes bench/results/flaky_scale_<backend>.json.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _pg import bench_database
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from argus.analysis.flaky.algo import assess
from argus.analysis.flaky.service import analyze, load_histories, params_from
from argus.core.db import create_db_engine
from argus.core.settings import FlakySettings
from argus.store.migrate import upgrade
from argus.store.models import TestCase, TestRun
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory

COLS = ("project_id", "run_id", "test_case_id", "outcome", "attempt", "duration_s", "message", "failure_type",
        "is_flaky_rerun")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENVS = ({"os": "linux", "python": "3.11"}, {"os": "linux", "python": "3.12"}, {"os": "windows", "python": "3.12"},
        {"os": "macos", "python": "3.11"})
MESSAGES = ("requests.exceptions.ConnectionError: Connection refused", "TimeoutError: timed out waiting for job",
            "AssertionError: assert 41 == 42", "database is locked", "AssertionError: assert ['b', 'a'] == ['a', 'b']")


@dataclass
class World:
    tests: int
    rate: np.ndarray  # per-test failure probability per run
    retried: np.ndarray  # bool: test gets up to two retries
    broken_from: np.ndarray  # run index from which it fails (-1: never)
    broken_to: np.ndarray  # run index where it is fixed (runs: open)
    duration: np.ndarray


def make_world(tests: int, runs: int, rng: np.random.Generator) -> World:
    rate = np.full(tests, 3e-4)
    flaky = rng.random(tests) < 0.05
    rate[flaky] = np.exp(rng.uniform(math.log(0.02), math.log(0.3), flaky.sum()))
    broken = (~flaky) & (rng.random(tests) < 0.005)
    start = np.where(broken, rng.integers(runs // 4, runs, tests), -1)
    fixed = rng.random(tests) < 0.5
    end = np.where(broken & fixed, np.minimum(start + rng.integers(3, 60, tests), runs), runs)
    return World(tests, rate, rng.random(tests) < 1 / 3, start, end, rng.lognormal(-1.0, 0.8, tests))


def generate(world: World, runs: int, pid: int, run_ids: list[int], case_ids: list[int],
             rng: np.random.Generator) -> Iterator[list[tuple[Any, ...]]]:
    """Yield result rows in batches of about 100 runs."""
    batch: list[tuple[Any, ...]] = []
    idx = np.arange(world.tests)
    cases = np.asarray(case_ids)
    for r in range(runs):
        outage = rng.random() < 0.02
        p = world.rate.copy()
        broken = (world.broken_from >= 0) & (world.broken_from <= r) & (r < world.broken_to)
        p[broken] = 1.0
        if outage:
            p[rng.random(world.tests) < 0.7] = 1.0
        fail0 = rng.random(world.tests) < p
        durs = world.duration * rng.lognormal(0.0, 0.2, world.tests)
        rid = run_ids[r]
        outcomes = np.where(fail0, "error" if outage else "failed", "passed")
        msgs = [MESSAGES[i % len(MESSAGES)] for i in idx[fail0]]
        failing = set(idx[fail0].tolist())
        mi = iter(msgs)
        for t, tc, oc, d in zip(idx.tolist(), cases.tolist(), outcomes.tolist(), durs.tolist(), strict=True):
            if t in failing:
                m = next(mi)
                batch.append((pid, rid, tc, oc, 0, d, m, "AssertionError", False))
                if world.retried[t]:
                    for a in (1, 2):
                        again = rng.random() < p[t]
                        batch.append((pid, rid, tc, oc if again else "passed", a, d, m if again else None,
                                      "AssertionError" if again else None, not again))
                        if not again:
                            break
            else:
                batch.append((pid, rid, tc, "passed", 0, d, None, None, False))
        if r % 100 == 99 or r == runs - 1:
            yield batch
            batch = []


def setup_runs(session: Session, runs: int, tests: int, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    pid = get_or_create_project(session, "bench").id
    case_rows = [{"project_id": pid, "identity": f"tests.test_mod{i // 25}::test_{i}", "name": f"test_{i}",
                  "file": f"tests/test_mod{i // 25}.py"} for i in range(tests)]
    session.execute(insert(TestCase), case_rows)
    case_ids = [r[0] for r in session.execute(text("SELECT id FROM test_case ORDER BY id"))]
    run_rows = []
    commit = 0
    for r in range(runs):
        rerun = r > 0 and rng.random() < 0.2
        if not rerun:
            commit += 1
        branch = "main" if rng.random() < 0.6 else f"feature-{commit % 37}"
        run_rows.append({
            "project_id": pid, "commit_sha": f"{commit:040x}", "branch": "main" if rerun else branch,
            "environment": ENVS[r % len(ENVS)], "started_at": T0 + timedelta(minutes=20 * r), "tests": tests,
            "ci_provider": "github", "ci_run_id": str(commit), "ci_job": f"test-{r % len(ENVS)}",
            "ci_attempt": 2 if rerun else 1, "duration_s": 600.0,
        })
    session.execute(insert(TestRun), run_rows)
    run_ids = [r[0] for r in session.execute(text("SELECT id FROM test_run ORDER BY id"))]
    session.commit()
    return run_ids, case_ids


INDEXES = ("ix_test_result_case_run", "ix_test_result_run", "ix_test_result_project_outcome",
           "ix_test_result_report_id", "ix_test_result_cluster_id")


def index_ddl(engine: Engine) -> list[str]:
    from sqlalchemy.schema import CreateIndex

    from argus.store.models import TestResult

    return [str(CreateIndex(ix).compile(engine)) for ix in TestResult.__table__.indexes]


def load(engine: Engine, rows: Iterator[list[tuple[Any, ...]]]) -> int:
    """Bulk-load result rows with secondary indexes dropped; rebuild them; return the row count."""
    ddl = index_ddl(engine)
    n = 0
    with engine.begin() as conn:
        for ix in INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {ix}"))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            sql = f"INSERT INTO test_result ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})"
            for batch in rows:
                cur.executemany(sql, batch)
                n += len(batch)
        else:
            for batch in rows:
                buf = io.StringIO()
                for row in batch:
                    buf.write("\t".join("\\N" if v is None else ("t" if v is True else "f" if v is False else str(v))
                                        for v in row))
                    buf.write("\n")
                with cur.copy(f"COPY test_result ({', '.join(COLS)}) FROM STDIN") as cp:  # type: ignore[attr-defined]
                    cp.write(buf.getvalue())
                n += len(batch)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for stmt in ddl:
            conn.execute(text(stmt))
        conn.execute(text("ANALYZE"))
    return n


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def measure(engine: Engine, repeat: int) -> dict[str, Any]:
    sf = make_session_factory(engine)
    settings = FlakySettings()
    p = params_from(settings)

    def scan() -> Any:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*), sum(duration_s) FROM test_result WHERE project_id = 1")).one()

    scan()  # warm the cache
    ref_s, (rows, _) = best(scan, repeat)

    def load_only() -> Any:
        with sf() as s:
            get_or_create_project(s, "bench")
            return load_histories(s, p, default_branch="main", since=None, extra_tests=set())

    load_s, (histories, runs, outages, _) = best(load_only, repeat)
    py_s, assessed = best(lambda: [assess(h, p) for h in histories], repeat)

    def dry() -> Any:
        with sf() as s:
            get_or_create_project(s, "bench")
            return analyze(s, settings, persist=False)

    dry_s, res = best(dry, repeat)
    with sf() as s:
        get_or_create_project(s, "bench")
        t0 = time.perf_counter()
        stored = analyze(s, settings, persist=True)
        s.commit()
        persist_s = time.perf_counter() - t0
    return {
        "results": rows, "runs": len(runs), "tests_examined": len(histories), "outage_runs": len(outages),
        "folded_rows": sum(len(h.runs) for h in histories), "flaky": len(res.flaky), "broken": len(res.broken),
        "insights": len(stored.insight_ids), "reference_scan_s": ref_s, "load_sql_s": load_s,
        "assess_python_s": py_s, "analyze_dry_s": dry_s, "analyze_persist_s": persist_s,
        "assessed": len(assessed),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--results", type=int, default=1_000_000)
    ap.add_argument("--tests", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file to use (kept; reused if it holds data).")
    ap.add_argument("--pg-schema", default=None, help="PostgreSQL schema to use (kept; reused if it holds data).")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    runs = max(10, round(args.results / (args.tests * 1.004)))
    with tempfile.TemporaryDirectory(prefix="argus-flaky-scale-") as tmp, \
            bench_database(args.backend, args.pg_url, keep=args.pg_schema, sqlite_file=args.db or Path(tmp) / "bench.db") as url:
        run(url, args, runs, rng)
    return 0


def run(url: str, args: argparse.Namespace, runs: int, rng: Any) -> None:
    """Fill the database at ``url`` (unless it holds results already) and measure the analysis."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as c:
            existing = c.execute(text("SELECT count(*) FROM test_result")).scalar_one()
        gen_s = 0.0
        if not existing:
            t0 = time.perf_counter()
            with make_session_factory(engine)() as s:
                run_ids, case_ids = setup_runs(s, runs, args.tests, rng)
            world = make_world(args.tests, runs, rng)
            loaded = load(engine, generate(world, runs, 1, run_ids, case_ids, rng))
            gen_s = time.perf_counter() - t0
            print(f"generated {loaded:,} results in {gen_s:.0f} s", file=sys.stderr)
        m = measure(engine, args.repeat)
        m.update(backend=args.backend, generate_s=gen_s, tests=args.tests)
        ref = m["reference_scan_s"]
        print(f"reference_scan[{args.backend}, {m['results']:,} results]: {ref:.2f} s (1.00× reference)")
        for key in ("load_sql_s", "assess_python_s", "analyze_dry_s", "analyze_persist_s"):
            print(f"{key.removesuffix('_s')}[{args.backend}]: {m[key]:.2f} s ({m[key] / ref:.2f}× reference)")
        print(f"tests_examined: {m['tests_examined']} of {args.tests}; folded rows {m['folded_rows']:,}; "
              f"flaky {m['flaky']}, broken {m['broken']}, outage runs {m['outage_runs']}")
        out = Path(__file__).resolve().parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"flaky_scale_{args.backend}.json").write_text(json.dumps(m, indent=2, default=str))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
