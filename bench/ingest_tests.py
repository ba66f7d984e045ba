"""Benchmark test-report ingestion against the raw XML parse of the same bytes, and parsing vs junitparser.

Usage: .venv/bin/python bench/ingest_tests.py [--scale 1.0] [--pg URL] [--skip-peer] [--uploads N]

Generates ``200 * scale`` JUnit files of 5,000 cases (≈5% failures with a message and a stack, 3% skipped,
1% flaky tests retried with a ``<flakyFailure>`` rerun element, pytest-like names), then measures on the same bytes:

* ``raw_parse``: the fastest plain parse we could write — pyexpat with no handlers, and
  ``xml.etree.ElementTree.fromstring`` (C); the faster one is the reference (the limit);
* ``raw_extract``: pyexpat with one trivial Python callback per element keeping each testcase's
  attributes — the least any parser handing cases to Python must do (a second, fairer reference);
* ``argus_parse``: :func:`parse_report_file` (streaming, typed cases, identities);
* ``ingest_sqlite`` / ``ingest_postgresql``: the path of ``argus ingest tests`` (hash, dedup check,
  parse, identities, bulk insert, a commit per batch of files) into a fresh database;
* ``*_write_ceiling``: the same number of prebuilt result rows written by the same bulk path
  (executemany / COPY) into the same schema — what the database alone costs;
* ``junitparser``: the peer parser (``JUnitXml.fromfile`` and iterating every case's result).

With ``--uploads N`` it measures instead the path of one server upload without HTTP: N reports of 1,000
cases (bench/server_uploads.py's), each through :func:`argus.app.uploads.store_upload` for its own CI
run, one after another, on SQLite and PostgreSQL: reports/s and CPU ms per report of this process and
of its PostgreSQL backends (CPU is the steadier figure on a shared machine). Compare another checkout
with ``PYTHONPATH=OTHER/src`` (same script).

Prints ``name: value unit (ratio vs reference)`` and writes bench/results/ingest_tests.json
(``--uploads``: bench/results/ingest_uploads.json).
Every run starts from empty databases; the PostgreSQL one uses a throw-away schema.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.parsers import expat

from _pg import pg_schema
from sqlalchemy import text

from argus.core.db import create_db_engine, unit_of_work
from argus.ingest.ci_env import CiMetadata
from argus.ingest.testreports import parse_report_file
from argus.ingest.testreports.service import FileStatus
from argus.store.migrate import upgrade
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory

REPO = Path(__file__).resolve().parents[1]
CASES_PER_FILE = 5000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate(folder: Path, files: int, seed: int = 7, shards: int = 20) -> tuple[list[Path], int]:
    """Write the report set; return the paths and the number of result rows they hold.

    File ``f`` holds the tests of shard ``f % shards``: the first ``shards`` files create the test
    identities, later files are further runs of the same tests (history accumulating), with
    different outcomes and durations (the bytes, hence content hashes, differ).
    """
    rng = random.Random(seed)
    paths, results = [], 0
    for f in range(files):
        parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" tests="{CASES_PER_FILE}" '
                 f'timestamp="2026-01-01T00:{f % 60:02d}:00">']
        for c in range(CASES_PER_FILE):
            module = f"tests.pkg{f % shards}.test_mod{c // 250}"
            head = f'<testcase classname="{module}.TestK{c % 10}" name="test_case_{f % shards}_{c}[param-{c % 3}]" ' \
                   f'file="{module.replace(".", "/")}.py" line="{c % 400 + 1}" time="{rng.random() / 10:.4f}"'
            roll = rng.random()
            if roll < 0.01:  # flaky: fails, then passes on a retry the report marks (Surefire-style element)
                parts.append(f'{head}><flakyFailure message="AssertionError: timeout" type="AssertionError">'
                             "<stackTrace>Traceback ...\nE   timeout</stackTrace></flakyFailure></testcase>")
                results += 2
                continue
            if roll < 0.06:
                parts.append(f'{head}><failure message="AssertionError: assert {c} == {c + 1}" type="AssertionError">'
                             f"def test():\n&gt;   assert {c} == {c + 1}\nE   AssertionError\n{module}.py:{c}: AssertionError"
                             f"</failure><system-out>log line {c}</system-out></testcase>")
            elif roll < 0.09:
                parts.append(f'{head}><skipped type="pytest.skip" message="needs gpu">skipped</skipped></testcase>')
            else:
                parts.append(f"{head}/>")
            results += 1
        parts.append("</testsuite></testsuites>\n")
        path = folder / f"report-{f:03d}.xml"
        path.write_text("\n".join(parts), encoding="utf-8")
        paths.append(path)
    return paths, results


CPU: dict[str, float] = {}  # CPU seconds of this process for the last timed call (shared machine: steadier)


def timed(fn: Any) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    CPU["last"] = time.process_time() - cpu
    return time.perf_counter() - start


def raw_expat(paths: list[Path]) -> None:
    for p in paths:
        parser = expat.ParserCreate()
        parser.Parse(p.read_bytes(), True)


def raw_expat_extract(paths: list[Path]) -> None:
    """The least a Python parser must do: one callback per element, keeping every testcase's attributes."""
    for p in paths:
        cases: list[dict[str, str]] = []
        parser = expat.ParserCreate()

        def start(tag: str, attrs: dict[str, str], append: Any = cases.append) -> None:
            if tag == "testcase":
                append(attrs)

        parser.StartElementHandler = start
        parser.Parse(p.read_bytes(), True)


def raw_etree(paths: list[Path]) -> None:
    for p in paths:
        ET.fromstring(p.read_bytes())


def argus_parse(paths: list[Path]) -> None:
    for p in paths:
        parse_report_file(p)


def peer_junitparser(paths: list[Path]) -> None:
    from junitparser import JUnitXml

    for p in paths:
        for suite in JUnitXml.fromfile(str(p)):
            for case in suite:
                _ = (case.classname, case.name, case.time, case.result)


def ingest(url: str, paths: list[Path], home: Path) -> float:
    """Seconds for the path of ``argus ingest tests`` (batched units of work, one run), minus printing."""
    from argus.app.ingest_tests import IngestReportsRequest, ingest_test_reports
    from argus.app.runtime import Runtime
    from argus.core.settings import load_settings

    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    runtime = Runtime(load_settings(database_url=url, home=home))
    meta = CiMetadata(provider="bench", run_id=uuid.uuid4().hex, commit_sha="0" * 40, branch="main")

    def run() -> None:
        out = ingest_test_reports(runtime, IngestReportsRequest(tuple(paths), meta, "bench")).files
        assert all(o.status is FileStatus.INGESTED for o in out), [o.reason for o in out if o.reason][:3]
        assert len({o.run_id for o in out}) == 1

    seconds = timed(run)
    runtime.close()
    return seconds


def db_ceiling(url: str, results: int) -> float:
    """Seconds to bulk-insert ``results`` prebuilt result rows (same path: executemany / COPY) into a fresh
    database with the real schema (its indexes and foreign keys) — the cost of the writes alone."""
    from argus.ingest.testreports.store import insert_results
    from argus.store.models import TestCase, TestReport

    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:  # type: ignore[arg-type]
        project = get_or_create_project(session, "ceiling")
        from argus.ingest.runs import find_or_create_run
        from argus.store.session import scoped_to

        scoped_to(session, project)

        run = find_or_create_run(session, CiMetadata())
        report = TestReport(project_id=project.id, run_id=run.id, content_hash="c", source_name="c", format="junit",
                            size_bytes=0)
        session.add(report)
        cases = [TestCase(project_id=project.id, identity=f"k::t{i}", name=f"t{i}") for i in range(CASES_PER_FILE)]
        session.add_all(cases)
        session.flush()
        ids = [c.id for c in cases]
        rows = [(project.id, run.id, report.id, ids[i % CASES_PER_FILE], "passed", 0, 0.01, None, None, None, None,
                 None, i % 400, None, False) for i in range(results)]

        def write() -> None:
            for i in range(0, len(rows), CASES_PER_FILE):
                insert_results(session, rows[i : i + CASES_PER_FILE])
            session.commit()

        seconds = timed(write)
    engine.dispose()
    return seconds


def _backend_cpu_s(url: str, application: str) -> float:
    """CPU seconds so far of the PostgreSQL backends whose ``application_name`` is ``application``."""
    import os

    engine = create_db_engine(url)
    try:
        with engine.connect() as c:
            pids = [int(r[0]) for r in c.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": application})]
    finally:
        engine.dispose()
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def upload_path(url: str | None, folder: Path, reports: int, cases: int = 1000) -> dict[str, Any]:
    """N 1,000-case reports through ``store_upload`` (the server's use case), one CI run each."""
    import os

    from server_uploads import report as make_report

    from argus.app.runtime import Runtime
    from argus.app.uploads import UploadedFile, UploadRequest, store_upload, upload_metadata
    from argus.core.settings import load_settings
    from argus.testing.databases import fresh_database, upgrade_database
    from argus.testing.uploads import make_token

    warmup = 3
    files = []
    for i in range(reports + warmup):
        path = folder / "uploads" / f"r{i:05d}.xml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make_report(i, cases))
        files.append(path)
    with fresh_database(folder / "uploads", url, prefix="bench_") as db:
        upgrade_database(db)
        engine = create_db_engine(db)
        make_token(engine, "bench", "web")  # the organisation and project the server would have
        engine.dispose()
        application = f"argus-ingest-bench-{os.getpid()}"
        pg = db.startswith("postgresql")
        runtime_url = f"{db}&application_name={application}" if pg else db
        runtime = Runtime(load_settings(database_url=runtime_url, home=folder))

        def one(i: int) -> None:
            meta = upload_metadata([("provider", "bench"), ("run_id", f"run-{i}"), ("job", "unit"),
                                    ("commit", f"{i:040x}"), ("branch", "main")])
            f = files[i]
            out = store_upload(runtime, UploadRequest("web", (UploadedFile(f.name, f, f.stat().st_size),), meta,
                                                      org="bench"))
            assert out.stored == 1, out

        try:
            for i in range(warmup):
                one(reports + i)
            db_cpu = _backend_cpu_s(db, application) if pg else 0.0
            start, cpu = time.perf_counter(), time.process_time()
            for i in range(reports):
                one(i)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            db_cpu = (_backend_cpu_s(db, application) - db_cpu) if pg else 0.0
        finally:
            runtime.close()
    per = 1000 / reports
    return {"database": "postgresql" if pg else "sqlite", "reports": reports, "cases_per_report": cases,
            "wall_s": round(wall, 2), "reports_per_s": round(reports / wall, 1),
            "cpu_ms_per_report": {"python": round(cpu * per, 1), "postgresql": round(db_cpu * per, 1),
                                  "total": round((cpu + db_cpu) * per, 1)}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the 200 files (0.05 = 10 files)")
    ap.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL ('' to skip)")
    ap.add_argument("--skip-peer", action="store_true", help="do not time junitparser")
    ap.add_argument("--uploads", type=int, default=0,
                    help="instead: N 1,000-case reports through the server's upload use case (no HTTP)")
    args = ap.parse_args()
    if args.uploads:
        sys.path.insert(0, str(REPO / "bench"))
        results_: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory() as tmp:
            for url in (None, args.pg or None):
                if url is None and results_:
                    continue
                sub = Path(tmp) / ("pg" if url else "sqlite")
                sub.mkdir()
                figures_ = upload_path(url, sub, args.uploads)
                results_.append(figures_)
                print(f"upload_path_{figures_['database']}: {figures_['reports_per_s']} reports/s of 1,000 cases "
                      f"({figures_['wall_s']} s for {args.uploads}); CPU ms per report {figures_['cpu_ms_per_report']}")
        out = REPO / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "ingest_uploads.json").write_text(json.dumps(results_, indent=2))
        return 0
    files = max(1, round(200 * args.scale))
    figures: dict[str, Any] = {"files": files, "cases_per_file": CASES_PER_FILE}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths, results = generate(folder, files)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        figures.update(results=results, megabytes=round(size_mb, 1))
        print(f"input: {files} files, {results} results, {size_mb:.1f} MB")
        raw_etree(paths[:1])  # warm the page cache
        t_expat = timed(lambda: raw_expat(paths))
        cpu_expat = CPU["last"]
        t_etree = timed(lambda: raw_etree(paths))
        t_extract = timed(lambda: raw_expat_extract(paths))
        reference = min(t_expat, t_etree)
        figures["raw_parse_s"] = {"pyexpat_no_handlers": t_expat, "pyexpat_no_handlers_cpu": cpu_expat,
                                  "etree_fromstring": t_etree,
                                  "pyexpat_testcase_attrs": t_extract}

        cpu_reference = cpu_expat

        def report(name: str, seconds: float) -> None:
            cpu = CPU["last"]
            figures[name] = {"seconds": seconds, "results_per_s": results / seconds,
                             "ratio_vs_raw_parse": seconds / reference, "ratio_vs_extract": seconds / t_extract,
                             "cpu_s": cpu, "cpu_ratio_vs_raw_parse": cpu / cpu_reference}
            print(f"{name}: {results / seconds:,.0f} results/s ({seconds / reference:.2f}x raw parse, "
                  f"{seconds / t_extract:.2f}x attribute extraction, {seconds:.2f} s; "
                  f"CPU {cpu:.2f} s = {cpu / cpu_reference:.2f}x raw parse CPU)")

        print(f"raw_parse: {results / reference:,.0f} results/s (reference: "
              f"{'pyexpat' if t_expat <= t_etree else 'etree'}; pyexpat {t_expat:.2f} s, etree {t_etree:.2f} s)")
        print(f"raw_extract: {results / t_extract:,.0f} results/s (pyexpat + one Python callback per element "
              f"keeping testcase attributes, {t_extract:.2f} s)")
        report("argus_parse", timed(lambda: argus_parse(paths)))
        if not args.skip_peer:
            report("junitparser_parse", timed(lambda: peer_junitparser(paths)))
        db_file = folder / "bench.db"
        report("ingest_sqlite", ingest(f"sqlite:///{db_file}", paths, folder))
        ceiling = db_ceiling(f"sqlite:///{folder / 'ceiling.db'}", results)
        figures["sqlite_write_ceiling"] = {"seconds": ceiling, "results_per_s": results / ceiling}
        print(f"sqlite_write_ceiling: {results / ceiling:,.0f} results/s (prebuilt rows, executemany, same schema)")
        if args.pg:
            with pg_schema(args.pg) as pg:
                report("ingest_postgresql", ingest(pg.url, paths, folder))
                pg.reset()
                ceiling = db_ceiling(pg.url, results)
                figures["postgresql_write_ceiling"] = {"seconds": ceiling, "results_per_s": results / ceiling}
                print(f"postgresql_write_ceiling: {results / ceiling:,.0f} results/s (prebuilt rows, COPY, same schema)")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_tests.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
