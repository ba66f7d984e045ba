"""What PostgreSQL spends on the result rows of one 1,000-case upload, per way of writing them.

Usage: .venv/bin/python bench/results_copy_pg.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
                                                [--rounds 40] [--cases 1000]

The real schema (``argus db upgrade`` in a throw-away PostgreSQL schema, one per variant), one
project and ``--cases`` test identities; each round writes, per variant, a new run and report and
then its ``--cases`` result rows (5% failing with a message and a stack, as ``bench/server_uploads.py``
sends) in one transaction, the variants alternated within a round so a busy machine affects all alike.
Measured: CPU of the PostgreSQL backend (``/proc/<pid>/stat`` of ``pg_backend_pid()``: the database
runs on this machine) and wall time of the COPY, and of the COMMIT. Variants:

* ``text``: what the ingest does (``COPY … FROM STDIN``, text format), every constraint, trigger and index
  of the schema (since the integrity round: ``run_id``/``test_case_id`` checked by the statement-level
  trigger of :mod:`argus.store.integrity`, one anti-join per COPY);
* ``row_fks``: the schema before that round: the two foreign keys back (checked row by row), the
  triggers dropped;
* ``no_check``: neither (the insert trigger dropped, no foreign key): what the check costs;
* ``binary``: the same rows in ``COPY … (FORMAT BINARY)``;
* ``no_project_report_fk``: without the foreign keys ``project_id`` and ``report_id``;
* ``no_fk``: without any of the four foreign keys (``project_id``, ``run_id``, ``report_id``,
  ``test_case_id``);
* ``one_index``: every foreign key, only the ``(test_case_id, run_id)`` and ``run_id`` indexes kept;
* ``async_commit``: ``text`` with ``SET LOCAL synchronous_commit = off`` (the commit does not wait
  for the WAL flush).

Prints a table (CPU: mean per round, × ``text``; wall: median, p90) and writes bench/results/results_copy_pg.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from _pg import pg_schema

from argus.core.db import create_db_engine
from argus.ingest.testreports.store import RESULT_COLUMNS
from argus.store.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results" / "results_copy_pg.json"
VARIANTS = ("text", "row_fks", "no_check", "binary", "no_project_report_fk", "no_fk", "one_index", "async_commit")
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


class Target:
    """One variant: its schema, one connection, the ids rows refer to."""

    def __init__(self, name: str, url: str, cases: int) -> None:
        from sqlalchemy import insert

        from argus.store.models import Organisation, Project, TestCase, TestReport, TestRun

        self.name = name
        self.engine = create_db_engine(url)
        upgrade(self.engine)
        self.conn = self.engine.connect()
        self.raw: Any = self.conn.connection.driver_connection
        self.pid = int(self.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        c = self.conn
        org = c.execute(insert(Organisation).values(slug="b", name="b").returning(Organisation.id)).scalar_one()
        self.project = c.execute(insert(Project).values(org_id=org, slug="p", name="p").returning(Project.id)).scalar_one()
        self.case_ids = list(c.execute(insert(TestCase).returning(TestCase.id), [
            {"project_id": self.project, "identity": f"tests/m.py::test_{i}", "name": f"test_{i}"}
            for i in range(cases)]).scalars())
        self.new_run = insert(TestRun).returning(TestRun.id)
        self.new_report = insert(TestReport).returning(TestReport.id)
        fks = {"no_project_report_fk": ("project_id", "report_id"),
               "no_fk": ("project_id", "run_id", "report_id", "test_case_id")}.get(name, ())
        cur = self.raw.cursor()
        for fk in _constraints(cur, fks):
            cur.execute(f'ALTER TABLE test_result DROP CONSTRAINT "{fk}"')
        if name in ("row_fks", "no_check"):
            cur.execute("DROP TRIGGER IF EXISTS test_result_check_insert ON test_result")
        if name == "row_fks":
            cur.execute("ALTER TABLE test_result ADD FOREIGN KEY (run_id) REFERENCES test_run (id) ON DELETE CASCADE, "
                        "ADD FOREIGN KEY (test_case_id) REFERENCES test_case (id) ON DELETE CASCADE")
        if name == "one_index":
            cur.execute("DROP INDEX ix_test_result_project_outcome")
            cur.execute("DROP INDEX ix_test_result_cluster_id")
        cur.execute("SELECT column_name, udt_name FROM information_schema.columns "
                    "WHERE table_name = 'test_result' AND table_schema = current_schema()")
        types = dict(cur.fetchall())
        self.types = [types[col] for col in RESULT_COLUMNS]
        c.commit()
        self.round = 0

    def write(self, failing: list[bool]) -> tuple[float, float, float, float]:
        """One upload's rows: (COPY CPU, COPY wall, COMMIT CPU, COMMIT wall) in seconds."""
        self.round += 1
        c = self.conn
        run = c.execute(self.new_run, {"project_id": self.project, "commit_sha": f"{self.round:040x}",
                                       "branch": "main"}).scalar_one()
        report = c.execute(self.new_report, {"project_id": self.project, "run_id": run,
                                             "content_hash": f"{self.round:064x}", "source_name": "r.xml",
                                             "format": "junit", "size_bytes": 1}).scalar_one()
        cur = self.raw.cursor()
        if self.name == "async_commit":
            cur.execute("SET LOCAL synchronous_commit = off")
        rows = [(self.project, run, report, case, "failed" if bad else "passed", 0, 0.123,
                 f"expected {i} got 3" if bad else None, "AssertionError" if bad else None,
                 f'Traceback:\n  File "tests/m.py", line {i}\nAssertionError' if bad else None,
                 None, None, None, None, False) for i, (case, bad) in enumerate(zip(self.case_ids, failing, strict=True))]
        binary = self.name == "binary"
        sql = f"COPY test_result ({', '.join(RESULT_COLUMNS)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
        c0, t0 = _cpu(self.pid), time.perf_counter()
        with cur.copy(sql) as copy:
            if binary:
                copy.set_types(self.types)
            for row in rows:
                copy.write_row(row)
        t1 = time.perf_counter()
        time.sleep(0.02)  # the backend's CPU counter moves in clock ticks: let it settle before reading
        c1 = _cpu(self.pid)
        t2 = time.perf_counter()
        c.commit()
        t3 = time.perf_counter()
        time.sleep(0.02)
        c2 = _cpu(self.pid)
        return c1 - c0, t1 - t0, c2 - c1, t3 - t2

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def _constraints(cur: Any, columns: tuple[str, ...]) -> list[str]:
    if not columns:
        return []
    cur.execute("""SELECT con.conname FROM pg_constraint con
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                   WHERE con.conrelid = 'test_result'::regclass AND con.contype = 'f' AND a.attname = ANY(%s)""",
                (list(columns),))
    return [r[0] for r in cur.fetchall()]


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pg", default=os.environ.get("ARGUS_TEST_DATABASE_URL"), required=False)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="Comma-separated subset (default: all).")
    args = ap.parse_args()
    if not args.pg:
        raise SystemExit("--pg URL (or ARGUS_TEST_DATABASE_URL) is required")
    failing = [(i * 7) % 20 == 0 for i in range(args.cases)]
    chosen = [v for v in args.variants.split(",") if v]
    if unknown := set(chosen) - set(VARIANTS):
        raise SystemExit(f"unknown variants: {', '.join(sorted(unknown))} (known: {', '.join(VARIANTS)})")
    samples: dict[str, list[tuple[float, float, float, float]]] = {v: [] for v in chosen}
    with ExitStack() as stack:
        targets = []
        for v in chosen:
            pg = stack.enter_context(pg_schema(args.pg, prefix=f"copy_{v[:8]}_"))
            targets.append(Target(v, pg.url, args.cases))
            stack.callback(targets[-1].close)
        for t in targets:  # warm-up: plans, caches
            t.write(failing)
        for r in range(args.rounds):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for t in order:
                samples[t.name].append(t.write(failing))
    load = os.getloadavg()
    table: dict[str, dict[str, float]] = {}
    for v, rows in samples.items():  # CPU: the mean over the rounds (the counter moves in 10 ms ticks)
        copy_cpu, copy_wall, commit_cpu, commit_wall = (sorted(c) for c in zip(*rows, strict=True))
        table[v] = {"copy_cpu_mean_ms": round(1000 * statistics.fmean(copy_cpu), 2),
                    "commit_cpu_mean_ms": round(1000 * statistics.fmean(commit_cpu), 2),
                    "copy_wall_median_ms": round(1000 * statistics.median(copy_wall), 2),
                    "commit_wall_median_ms": round(1000 * statistics.median(commit_wall), 2),
                    "commit_wall_p90_ms": round(1000 * commit_wall[int(0.9 * (len(commit_wall) - 1))], 2)}
    base = table[chosen[0]]["copy_cpu_mean_ms"] or 1.0
    print(f"{args.rounds} rounds of {args.cases} rows; load average {load[0]:.1f}")
    print(f"{'variant':>22}  COPY CPU ms (x first)  COPY wall med ms  COMMIT CPU ms  COMMIT wall med / p90 ms")
    for v, t in table.items():
        print(f"{v:>22}  {t['copy_cpu_mean_ms']:7.2f} ({t['copy_cpu_mean_ms'] / base:4.2f})     "
              f"{t['copy_wall_median_ms']:10.2f}     {t['commit_cpu_mean_ms']:10.2f}     "
              f"{t['commit_wall_median_ms']:6.2f} / {t['commit_wall_p90_ms']:6.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rounds": args.rounds, "cases": args.cases, "loadavg": load, "variants": table},
                                   indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
