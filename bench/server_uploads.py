"""Bounded upload load on loopback: reports/s of 1,000-case JUnit files through the real server, with
latency percentiles, and no loss (every count verified in the database afterwards).

Usage: .venv/bin/python bench/server_uploads.py [--reports 300] [--concurrency 16] [--workers N]
                                                [--cases 1000] [--pg URL | --sqlite] [--no-synchronous-commit]
                                                [--experiment-drop-fk test_case_id|run_id ...]

Database: PostgreSQL when ``--pg`` or ``ARGUS_BENCH_DATABASE_URL`` / ``ARGUS_TEST_DATABASE_URL`` is set
(a throw-away schema), else SQLite in a temporary folder. The server is ``argus serve`` (uvicorn in a
subprocess on 127.0.0.1, :mod:`argus.testing.server`), ``--workers`` processes (default 2 on
PostgreSQL, 1 on SQLite: SQLite has one writer), with the per-token rate limit off (one token makes
every request here; the limit is per token and would measure itself).

Every upload is one report file of ``--cases`` test cases (5% failing with a message and a stack) for
its own CI run, sent by ``--concurrency`` client threads with :func:`argus.cli.commands.upload.
send_upload` (the client ``argus upload`` uses, retries included), one reused HTTP client per thread
and a new connection per upload (``Connection: close``, as separate CI jobs would: spread over the
server's workers). The files are generated and a few warm-up uploads sent before the clock starts.
On PostgreSQL procrastinate's schema is applied first (as ``argus jobs schema`` / ``argus worker``
do), so every upload's jobs are really deferred; no worker runs them here. Prints throughput
(reports/s and results/s), p50/p95/p99 latency, CPU milliseconds per report of the server processes,
of their PostgreSQL backends (told apart by ``application_name``) and of the client (on a shared
machine the steadier figure: what bounds throughput once the cores are saturated), retries and the
verification (runs, reports and results exactly as sent; job records); writes
bench/results/server_uploads.json. Exit 1 when anything was lost or doubled. Goal (issue 14): ≥ 50
reports/s of 1,000 cases on PostgreSQL. Compare another checkout with ``PYTHONPATH=OTHER/src`` (same
script; a checkout whose ``send_upload`` has no ``client`` builds an HTTP client per upload).

``result_integrity`` in the output says how the schema under test keeps ``test_result``'s references to
its run and test case: two foreign keys checked row by row (``main`` before the integrity round), or the
statement-level check trigger of :mod:`argus.store.integrity` (since). ``--experiment-drop-fk``
(PostgreSQL, measurement only) drops that foreign key of ``test_result`` in the throw-away schema, to see
what its per-row check costs (a no-op on a schema that has none).

Figures, before/after and where the time goes: ``docs/benchmarks.md`` ("Team server").
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from argus.cli.commands.upload import send_upload
from argus.testing.databases import fresh_database, upgrade_database
from argus.testing.processes import argus_environment
from argus.testing.server import running_server
from argus.testing.uploads import counts, make_token

REPO = Path(__file__).resolve().parents[1]
#: Uploads before the clock starts (imports, connections), stored and verified like the others.
WARMUP = 6


def report(index: int, cases: int) -> str:
    """A JUnit file of ``cases`` cases over 50 classes; ~5% fail with a message and a short stack."""
    parts = []
    for i in range(cases):
        fail = (i * 7 + index) % 20 == 0
        body = (f'<failure message="expected {i} got {index}" type="AssertionError">Traceback:\n'
                f'  File "tests/test_mod{i % 50}.py", line {i % 300}, in test_{i}\nAssertionError</failure>'
                if fail else "")
        parts.append(f'<testcase classname="tests.test_mod{i % 50}" name="test_case_{i}" '
                     f'time="0.{(i * 13 + index) % 1000:03d}">{body}</testcase>')
    failures = sum(1 for i in range(cases) if (i * 7 + index) % 20 == 0)
    return (f'<?xml version="1.0"?>\n<testsuite name="bench" tests="{cases}" failures="{failures}" '
            f'timestamp="2026-01-01T00:00:00">{"".join(parts)}</testsuite>\n')


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes ``pids`` (Linux ``/proc``; 0 for one that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> list[int]:
    pids = [root]
    for pid in pids:
        with contextlib.suppress(OSError):  # gone meanwhile
            pids += [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def _backends(database_url: str, application: str) -> list[int]:
    """PostgreSQL backend pids of the server (its connections carry ``application_name``)."""
    if not database_url.startswith("postgresql"):
        return []
    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            return [int(r[0]) for r in c.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": application})]
    finally:
        engine.dispose()


def _drop_result_foreign_keys(database_url: str, columns: list[str]) -> list[str]:
    """Experiment only (``--experiment-drop-fk``): drop ``test_result``'s foreign keys on ``columns`` in the
    throw-away schema, to measure what they cost. Only checkouts before the integrity round have them
    (``PYTHONPATH=OTHER/src``); the current schema replaces them with a statement-level check (docs/benchmarks.md)."""
    engine = create_engine(database_url)
    dropped = []
    try:
        with engine.begin() as c:
            rows = c.execute(text(
                "SELECT con.conname, att.attname FROM pg_constraint con JOIN pg_attribute att "
                "ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1] "
                "WHERE con.conrelid = 'test_result'::regclass AND con.contype = 'f'")).all()
            for name, column in rows:
                if column in columns:
                    c.execute(text(f'ALTER TABLE test_result DROP CONSTRAINT "{name}"'))
                    dropped.append(column)
    finally:
        engine.dispose()
    return sorted(dropped)


def _result_integrity(database_url: str) -> str:
    """How the schema under test keeps ``test_result``'s references (old and new trees differ on PostgreSQL)."""
    if not database_url.startswith("postgresql"):
        return "foreign keys (SQLite)"
    engine = create_engine(database_url)
    try:
        with engine.connect() as c:
            fks = c.execute(text("SELECT count(*) FROM pg_constraint WHERE conrelid = 'test_result'::regclass "
                                 "AND contype = 'f' AND conname <> 'fk_test_result_cluster_id_failure_cluster'"))
            triggers = c.execute(text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'test_result'::regclass "
                                      "AND tgname = 'test_result_check_insert'"))
            n_fks, n_triggers = int(fks.scalar_one()), int(triggers.scalar_one())
    finally:
        engine.dispose()
    return (f"{n_fks} row-checked foreign keys" if n_fks else "no foreign key") + \
        (" + statement-level check trigger (argus.store.integrity)" if n_triggers else "")


def run(database_url: str, folder: Path, reports: int, concurrency: int, workers: int, cases: int,
        warmup: int = WARMUP, synchronous_commit: bool = True, drop_fk: list[str] | None = None) -> dict[str, Any]:
    upgrade_database(database_url)
    dropped = _drop_result_foreign_keys(database_url, drop_fk) if drop_fk else []
    integrity = _result_integrity(database_url)
    home = folder / "home"
    if database_url.startswith("postgresql"):  # procrastinate's schema, as `argus worker` / `argus jobs schema` apply
        from argus.app.runtime import Runtime
        from argus.core.settings import load_settings
        from argus.jobs.queue import ensure_schema

        runtime = Runtime(load_settings(database_url=database_url, home=home))
        try:
            ensure_schema(runtime)
        finally:
            runtime.close()
    engine = create_engine(database_url)
    try:
        token = make_token(engine, "bench", "web")
    finally:
        engine.dispose()
    total = reports + warmup
    files = []
    for i in range(total):
        path = folder / "reports" / f"r{i:05d}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report(i, cases))
        files.append(path)
    application = f"argus-bench-{os.getpid()}"
    server_url = database_url
    if database_url.startswith("postgresql"):  # the server's backends are told apart by application_name
        server_url += ("&" if "?" in database_url else "?") + f"application_name={application}"
    env = argus_environment(server_url, home)
    env["ARGUS_SERVER__RATE_LIMIT_ENABLED"] = "false"
    if not synchronous_commit:  # the opt-in of docs/ingest/test-reports.md (durability trade-off)
        env["ARGUS_INGEST__SYNCHRONOUS_COMMIT"] = "false"
    retries: list[str] = []
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    reuse = "client" in inspect.signature(send_upload).parameters  # older code: a client per upload
    local = threading.local()
    clients: list[httpx.Client] = []
    with running_server(env, folder / "srv", workers=workers) as srv:

        def one(i: int) -> None:
            fields = [("provider", "bench"), ("run_id", f"run-{i}"), ("job", "unit"), ("commit", f"{i:040x}"),
                      ("branch", "main")]
            extra: dict[str, Any] = {}
            if reuse:
                if not hasattr(local, "client"):  # a connection per upload, like CI jobs: spread over the workers
                    local.client = httpx.Client(headers={"Connection": "close"})
                    clients.append(local.client)
                extra["client"] = local.client
            t0 = time.perf_counter()
            resp = send_upload(srv.url, "web", token, [files[i]], fields, tries=8, timeout=300.0,
                               on_retry=lambda n, problem, _d: retries.append(problem), **extra)
            if i >= warmup:
                latencies.append(time.perf_counter() - t0)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1

        with ThreadPoolExecutor(workers) as pool:  # first requests import and connect: not measured
            list(pool.map(one, range(warmup)))
        server_pids = _process_tree(srv.process.pid)
        backends = _backends(database_url, application)
        cpu_server, cpu_client = _cpu_seconds(server_pids), time.process_time()
        cpu_db = {pid: _cpu_seconds([pid]) for pid in backends}
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(warmup, total)))
        wall = time.perf_counter() - start
        cpu_server = _cpu_seconds(_process_tree(srv.process.pid)) - cpu_server
        cpu_client = time.process_time() - cpu_client
        cpu_pg = sum(_cpu_seconds([pid]) - cpu_db.get(pid, 0.0) for pid in _backends(database_url, application))
        alive = srv.alive()
    for client in clients:
        client.close()
    engine = create_engine(database_url)
    try:
        stored = counts(engine)
        with engine.connect() as c:  # the jobs the uploads recorded (and, on PostgreSQL, handed to procrastinate)
            stored["job_record"] = int(c.execute(text("SELECT count(*) FROM job_record")).scalar_one())
            if database_url.startswith("postgresql"):
                stored["procrastinate_jobs"] = int(c.execute(text("SELECT count(*) FROM procrastinate_jobs"))
                                                   .scalar_one())
    finally:
        engine.dispose()
    expected = {"test_run": total, "test_report": total, "test_result": total * cases}
    lost_or_doubled = {k: (stored[k], v) for k, v in expected.items() if stored[k] != v}
    per = 1000 / reports
    return {
        "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "server_workers": workers, "client_concurrency": concurrency, "reports": reports, "cases_per_report": cases,
        "wall_s": round(wall, 2), "reports_per_s": round(reports / wall, 1),
        "results_per_s": round(reports * cases / wall), "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1), "statuses": statuses,
        # CPU per report: what bounds throughput once the cores are saturated (steadier than wall time
        # on a shared machine); PostgreSQL's is that of the server's own backends
        "cpu_ms_per_report": {"server": round(cpu_server * per, 1), "postgresql": round(cpu_pg * per, 1),
                              "client": round(cpu_client * per, 1),
                              "total": round((cpu_server + cpu_pg + cpu_client) * per, 1)},
        "result_integrity": integrity, "client_reuses_connections": reuse, "synchronous_commit": synchronous_commit,
        **({"experiment_dropped_result_fks": dropped} if drop_fk else {}),
        "retried_tries": len(retries), "retry_reasons": sorted(set(retries))[:5], "server_alive": alive,
        "stored": stored, "verified": not lost_or_doubled and statuses == {201: reports},
        "mismatches": lost_or_doubled, "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--pg", default=os.environ.get("ARGUS_BENCH_DATABASE_URL") or os.environ.get("ARGUS_TEST_DATABASE_URL"))
    ap.add_argument("--sqlite", action="store_true", help="Use SQLite even when a PostgreSQL URL is set.")
    ap.add_argument("--no-synchronous-commit", action="store_true",
                    help="Run the server with ingest.synchronous_commit = false (commits do not wait for the WAL flush).")
    ap.add_argument("--experiment-drop-fk", action="append", choices=("run_id", "test_case_id"), default=[],
                    help="PostgreSQL experiment: drop test_result's foreign key on this column in the throw-away "
                         "schema (what it costs per upload; Argus keeps it). Repeatable.")
    args = ap.parse_args()
    pg = None if args.sqlite else args.pg
    if args.experiment_drop_fk and not pg:
        ap.error("--experiment-drop-fk needs PostgreSQL")
    workers = args.workers or (2 if pg else 1)
    with tempfile.TemporaryDirectory(prefix="argus-bench-uploads-") as tmp:
        folder = Path(tmp)
        with fresh_database(folder, pg, prefix="bench_") as url:
            result = run(url, folder, args.reports, args.concurrency, workers, args.cases,
                         synchronous_commit=not args.no_synchronous_commit, drop_fk=args.experiment_drop_fk)
    for key, value in result.items():
        print(f"{key}: {value}")
    out = REPO / "bench" / "results" / "server_uploads.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
