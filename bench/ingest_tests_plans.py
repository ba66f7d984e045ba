"""Show how the analyses' queries on test results are planned (which index serves each one).

Usage: .venv/bin/python bench/ingest_tests_plans.py --url URL [--sim DIR [--runs N]] [--project P ...]
       [--ddl SQL ...]

Runs ``argus flaky analyze``, ``argus failures analyze`` and ``argus gate`` (on the newest commit
with results) for each project in-process, captures every SQL statement that touches
``test_result``, ``test_run`` or ``test_case``, and asks the database for its plan with the same
parameters (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL). With ``--sim`` (the folder
``argus simulate`` wrote, e.g. ``argus-demo/sim``), the first ``--runs`` CI runs of every project
are ingested first through the real ``argus ingest`` commands (an empty database is enough).

Prints each distinct statement's plan lines about those tables and flags full scans of
``test_result`` (``SCAN test_result`` / ``Seq Scan on test_result``); writes
bench/results/ingest_tests_plans.json. A check to run after changing an index: compare the
output before and after (the plans, not the timings).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text

from argus.cli.app import main as argus_main
from argus.cli.context import CliState
from argus.core.settings import load_settings
from argus.store.migrate import upgrade
from argus.store.models import Project, TestRun

REPO = Path(__file__).resolve().parents[1]
_TABLES = re.compile(r"\b(test_result|test_run|test_case)\b")
_FULL_SCAN = re.compile(r"SCAN test_result\b(?! USING)|Seq Scan on test_result\b")


def _ingest_sim(state: CliState, sim: Path, runs: int) -> None:
    from argus.cli.demo.steps import CommandLog, ingest_run, load_runs

    manifest = json.loads((sim / "manifest.json").read_text())
    per_project: dict[str, int] = {}
    log = CommandLog()
    for ref in load_runs(manifest, sim):
        if per_project.get(ref.project, 0) >= runs:
            continue
        per_project[ref.project] = per_project.get(ref.project, 0) + 1
        ingest_run(state, ref, log)
    if log.failed:
        raise SystemExit(f"ingestion failed: {log.failed[:3]}")


def _explain(conn: Any, dialect: str, statement: str, params: Any) -> list[str]:
    if dialect == "sqlite":
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        return [str(r[-1]) for r in rows]
    rows = conn.exec_driver_sql(f"EXPLAIN {statement}", params).all()
    return [str(r[0]).strip() for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="database URL (SQLite file or PostgreSQL)")
    ap.add_argument("--sim", type=Path, help="simulated CI data to ingest first (argus-demo/sim)")
    ap.add_argument("--runs", type=int, default=40, help="runs per project to ingest with --sim")
    ap.add_argument("--project", action="append", default=[], help="project slug (default: all)")
    ap.add_argument("--ddl", action="append", default=[],
                    help="SQL run after the schema upgrade, e.g. to recreate an index being compared")
    args = ap.parse_args()
    state = CliState(_settings=load_settings(database_url=args.url, home=Path.cwd()))
    engine = state.engine(check_schema=False)
    upgrade(engine)
    with engine.begin() as conn:
        for ddl in args.ddl:
            conn.execute(text(ddl))
    if args.sim:
        with contextlib.redirect_stdout(io.StringIO()):
            _ingest_sim(state, args.sim, args.runs)
    captured: dict[str, Any] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        head = statement.lstrip().split(None, 1)[0].upper()
        if not many and head in ("SELECT", "WITH", "UPDATE", "DELETE") and _TABLES.search(statement):
            captured.setdefault(" ".join(statement.split()), params)

    with state.session() as session:
        slugs = args.project or list(session.scalars(select(Project.slug).order_by(Project.slug)))
    for slug in slugs:
        with contextlib.redirect_stdout(io.StringIO()):  # the commands' JSON is not the point here
            argus_main(["flaky", "analyze", "-p", slug, "--json"], cli_state=state)
            argus_main(["failures", "analyze", "-p", slug, "--json"], cli_state=state)
            with state.project_session(slug) as (session, _):
                commit = session.scalar(
                    select(TestRun.commit_sha).where(TestRun.commit_sha.is_not(None))
                    .order_by(TestRun.started_at.desc())
                )
            if commit:
                argus_main(["gate", "-p", slug, "--commit", commit, "--json", "--no-github"], cli_state=state)
    event.remove(engine, "before_cursor_execute", _capture)
    report: list[dict[str, Any]] = []
    with engine.connect() as conn:
        dialect = engine.dialect.name
        if dialect == "postgresql":
            conn.execute(text("ANALYZE"))
        for statement, params in captured.items():
            try:
                plan = _explain(conn, dialect, statement, params)
            except Exception as exc:  # a statement that cannot be explained is reported as such
                plan = [f"(not explained: {type(exc).__name__})"]
                conn.rollback()
            full = any(_FULL_SCAN.search(line) for line in plan)
            report.append({"statement": statement, "plan": plan, "full_scan_of_test_result": full})
    state.close()
    for item in report:
        lines = [p for p in item["plan"] if _TABLES.search(p) or "Index" in p or "INDEX" in p]
        print(("FULL SCAN  " if item["full_scan_of_test_result"] else "ok         ") + item["statement"][:150])
        for line in lines[:6]:
            print(f"           {line[:150]}")
    scans = sum(i["full_scan_of_test_result"] for i in report)
    print(f"statements: {len(report)}; full scans of test_result: {scans}")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ingest_tests_plans_{engine.dialect.name}.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
