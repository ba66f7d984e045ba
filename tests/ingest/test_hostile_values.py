"""Hostile values through the real CLI on the test database (SQLite, or PostgreSQL in CI).

Issue 11 items 6–8: unbounded numbers and timestamps, NUL bytes and lone surrogates, binary files
and deep JSON next to good files, non-regular files. Each case: no traceback, the good files of the
same command stored, the bad ones dead-lettered, ``parse`` and ``ingest`` agreeing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from argus.cli.app import main
from argus.core.db import create_db_engine

GOOD_JUNIT = '<testsuite name="s"><testcase classname="c" name="ok" time="0.5"/></testsuite>'


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def scalar(env: dict[str, str], sql: str) -> object:
    engine = create_db_engine(env["ARGUS_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


@pytest.fixture
def db(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    return cli_env


def _write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize("report", [
    '<testsuite name="s"><testcase classname="c" name="huge" time="1e15"/></testsuite>',
    '<testsuite name="s" timestamp="9999-12-31T23:59:59"><testcase classname="c" name="t" time="1"/></testsuite>',
    '<testsuite name="s" timestamp="0001-01-01T00:00:00+14:00"><testcase classname="c" name="t"/></testsuite>',
    '{"stats": {"start": "9999-12-31T23:59:59Z"}, "tests": [{"title": "t", "fullTitle": "s t", "duration": 1e400,'
    ' "err": {}}], "pending": []}',
])
def test_out_of_range_numbers_and_timestamps_are_ignored_with_a_warning(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path, report: str) -> None:
    path = _write(tmp_path, "r.json" if report.startswith("{") else "r.xml", report)
    code, out, _ = run(capsys, "parse", "tests", str(path), "--json")
    assert code == 0
    doc = json.loads(out)  # strict JSON: Infinity / NaN would not parse
    json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert any(("out" in w and "range" in w) or "outside" in w or "implausible" in w for w in doc[0]["warnings"])
    code, out, err = run(capsys, "ingest", "tests", str(path), "--run-id", "R1")
    assert code == 0, err
    assert "warning:" in out
    assert scalar(db, "SELECT count(*) FROM test_result") == 1
    assert scalar(db, "SELECT count(*) FROM dead_letter") == 0


def test_nul_and_lone_surrogates_in_json_values_are_stored_replaced(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mocha = {"stats": {}, "pending": [], "tests": [
        {"title": "a\u0000b", "fullTitle": "suite a\u0000b", "file": "x\u0000.js", "duration": 3,
         "err": {"message": "boom\u0000\ud800", "stack": "at x\u0000", "name": "Error"}}]}
    path = _write(tmp_path, "m.json", json.dumps(mocha))  # json.dumps writes \u0000 and \ud800 escapes
    code, out, _ = run(capsys, "parse", "tests", str(path), "--json")
    assert code == 0 and "\\u0000" not in out
    code, _, err = run(capsys, "ingest", "tests", str(path))
    assert code == 0, err
    assert scalar(db, "SELECT name FROM test_case") == "a\ufffdb"
    assert scalar(db, "SELECT message FROM test_result") == "boom\ufffd\ufffd"


def test_binary_zip_and_oversize_files_are_dead_lettered_and_good_files_kept(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_INGEST__MAX_FILE_BYTES", "4000")
    good = _write(tmp_path, "good.xml", GOOD_JUNIT)
    binary = _write(tmp_path, "bin.xml", b"<\x00\x01\x02" + bytes(range(256)) * 4)
    zipped = _write(tmp_path, "a.zip.xml", b"PK\x03\x04" + b"\x00secret=hunter2\x00" * 50)
    big = _write(tmp_path, "big.xml", "<testsuite>" + "x" * 5000)
    code, _, err = run(capsys, "ingest", "tests", str(good), str(binary), str(zipped), str(big))
    assert code == 6 and "Traceback" not in err
    assert scalar(db, "SELECT count(*) FROM test_report") == 1
    assert scalar(db, "SELECT count(*) FROM dead_letter") == 3
    assert scalar(db, "SELECT count(*) FROM dead_letter WHERE excerpt LIKE '%hunter2%'") == 0
    assert scalar(db, "SELECT content_type FROM dead_letter WHERE source_name LIKE '%a.zip.xml'") == "zip"


@pytest.mark.parametrize("kind,good,bad_doc", [
    ("coverage", "SF:src/a.py\nDA:1,1\nend_of_record\n", "{\"files\": " + "[" * 100_000 + "]" * 100_000 + "}"),
    ("vulns", '{"SchemaVersion": 2, "Results": []}', "{\"Results\": " + "[" * 100_000 + "]" * 100_000 + "}"),
])
def test_deep_json_and_missing_paths_do_not_discard_good_files(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, good: str,
        bad_doc: str) -> None:
    good_path = _write(tmp_path, "good.txt", good)
    deep = _write(tmp_path, "deep.json", bad_doc)
    code, _, err = run(capsys, "ingest", kind, str(good_path), str(deep), str(tmp_path / "missing.json"))
    assert code == 6 and "Traceback" not in err and "nested too deeply" in err and "does not exist" in err
    table = "coverage_report" if kind == "coverage" else "vuln_report"
    assert scalar(db, f"SELECT count(*) FROM {table}") == 1
    assert scalar(db, "SELECT count(*) FROM dead_letter") == 2


def test_nul_in_a_coverage_path_and_a_package_name_is_stored_replaced(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lcov = _write(tmp_path, "lcov.info", b"SF:src/a\x00b.py\nDA:1,1\nend_of_record\n")
    trivy = _write(tmp_path, "trivy.json", json.dumps({"SchemaVersion": 2, "Results": [{"Target": "t\u0000", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "p\u0000kg", "Severity": "HIGH", "Title": "x\ud83d"}]}]}))
    assert run(capsys, "ingest", "coverage", str(lcov))[0] == 0
    assert run(capsys, "ingest", "vulns", str(trivy))[0] == 0
    assert scalar(db, "SELECT path FROM coverage_file") == "src/a\ufffdb.py"
    assert scalar(db, "SELECT package FROM vuln_finding") == "p\ufffdkg"


def test_huge_coverage_counts_are_rejected_not_overflowed(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = _write(tmp_path, "good.info", "SF:src/a.py\nDA:1,1\nend_of_record\n")
    huge = _write(tmp_path, "huge.json", json.dumps({"files": {"a.py": {
        "executed_lines": [1], "missing_lines": [], "summary": {"num_branches": 10**30}}}}))
    cob = _write(tmp_path, "cob.xml", '<coverage><packages><package><classes><class filename="a.py">'
                 '<lines><line number="1" hits="1" branch="true" condition-coverage="50% (1/' + "9" * 5000
                 + ')"/></lines></class></classes></package></packages></coverage>')
    code, _, err = run(capsys, "ingest", "coverage", str(good), str(huge), str(cob))
    assert "Traceback" not in err and code == 6
    assert scalar(db, "SELECT count(*) FROM coverage_report") == 2  # cob: the absurd condition is ignored
    assert scalar(db, "SELECT count(*) FROM dead_letter") == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("kind", ["tests", "coverage", "vulns"])
def test_a_named_pipe_or_directory_is_refused_without_blocking(
        db: dict[str, str], tmp_path: Path, kind: str) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.xml"
    folder.mkdir()
    good = _write(tmp_path, "good.xml", GOOD_JUNIT if kind == "tests" else
                  ("SF:a.py\nDA:1,1\nend_of_record\n" if kind == "coverage" else '{"SchemaVersion": 2, "Results": []}'))
    # a subprocess with a timeout: a regression would block on open() forever
    proc = subprocess.run([sys.executable, "-c", "from argus.cli.app import run; run()", "ingest", kind, str(fifo),
                           str(good), *([str(folder)] if kind != "tests" else [])],
                          env={**os.environ, **db}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 6, proc.stderr
    err = " ".join(proc.stderr.split())
    assert "Traceback" not in err and "a named pipe (FIFO), expected a regular file" in err
    table = {"tests": "test_report", "coverage": "coverage_report", "vulns": "vuln_report"}[kind]
    assert scalar(db, f"SELECT count(*) FROM {table}") == 1


def test_oversized_values_from_the_ci_environment_are_fitted_not_fatal(
        db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "9" * 300, "GITHUB_RUN_ATTEMPT": "9" * 20,
                       "GITHUB_JOB": "j" * 400, "GITHUB_SHA": "a" * 40, "GITHUB_REF_NAME": "b" * 300,
                       "GITHUB_REPOSITORY": "acme/shop"}.items():
        monkeypatch.setenv(key, value)
    report = _write(tmp_path, "r.xml", GOOD_JUNIT)
    code, _, err = run(capsys, "ingest", "tests", str(report))
    assert code == 0, err
    assert scalar(db, "SELECT ci_attempt FROM test_run") == 1
    assert scalar(db, "SELECT length(ci_run_id) FROM test_run") == 255
