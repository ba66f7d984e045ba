"""Uploads against the REAL server (``argus serve``: uvicorn in a subprocess on 127.0.0.1), on SQLite or,
with ARGUS_TEST_DATABASE_URL, PostgreSQL: many concurrent uploads (distinct runs and duplicates) store
exactly the expected runs and results; ``argus upload`` end to end (exit codes, oversize, hostile XML)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from argus.cli.commands.upload import send_upload
from argus.testing.databases import upgrade_database
from argus.testing.processes import argus_environment, run
from argus.testing.reports import junit
from argus.testing.server import ServerHandle, running_server
from argus.testing.uploads import BILLION_LAUGHS, counts, make_token

DISTINCT_RUNS = 40  # CI runs, each uploading two reports of its own
DUPLICATED = 12  # runs whose upload is fired a second time, concurrently (a CI retry, a double click)
LOCAL = 4  # uploads without a CI run id (a run per commit), each fired twice
CASES = 20
MAX_UPLOAD = 2_000_000


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[tuple[ServerHandle, str, str]]:
    upgrade_database(database_url)
    env = argus_environment(database_url, tmp_path / "home")
    env["ARGUS_INGEST__MAX_UPLOAD_BYTES"] = str(MAX_UPLOAD)
    engine = create_engine(database_url)
    try:
        token = make_token(engine, "acme", "web")
    finally:
        engine.dispose()
    with running_server(env, tmp_path / "srv") as srv:
        yield srv, token, database_url
    assert srv.stopped_cleanly(), srv.logs()[-3000:]


def _write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def test_concurrent_uploads_store_every_run_once(server: tuple[ServerHandle, str, str], tmp_path: Path) -> None:
    srv, token, url = server
    jobs: list[tuple[list[Path], list[tuple[str, str]]]] = []
    for i in range(DISTINCT_RUNS):
        files = [_write(tmp_path / f"run{i}", "unit.xml", junit(f"Unit{i}", CASES, i % 3)),
                 _write(tmp_path / f"run{i}", "api.xml", junit(f"Api{i}", CASES // 2))]
        fields = [("provider", "github"), ("run_id", str(1000 + i)), ("job", "test"), ("commit", f"{i:040x}"),
                  ("branch", "main")]
        jobs.append((files, fields))
    for i in range(LOCAL):
        files = [_write(tmp_path / f"local{i}", "local.xml", junit(f"Local{i}", CASES))]
        jobs.append((files, [("commit", f"{0xabc0 + i:040x}")]))
    jobs += jobs[:DUPLICATED] + jobs[DISTINCT_RUNS : DISTINCT_RUNS + LOCAL]
    assert len(jobs) >= 50

    def fire(job: tuple[list[Path], list[tuple[str, str]]]) -> dict[str, object]:
        resp = send_upload(srv.url, "web", token, job[0], job[1], tries=8, timeout=120.0)
        assert resp.status_code in (200, 201), resp.text
        body: dict[str, object] = resp.json()
        return body

    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(fire, jobs))

    runs = DISTINCT_RUNS + LOCAL
    reports = 2 * DISTINCT_RUNS + LOCAL
    results = DISTINCT_RUNS * (CASES + CASES // 2) + LOCAL * CASES
    assert sum(int(a["stored"]) for a in answers) == reports  # type: ignore[call-overload]
    assert sum(int(a["stored"]) + int(a["duplicates"]) for a in answers) == sum(len(j[0]) for j in jobs)  # type: ignore[call-overload]
    assert sum(int(a["results"]) for a in answers) == results  # type: ignore[call-overload]
    engine = create_engine(url)
    try:
        stored = counts(engine)
        assert (stored["test_run"], stored["test_report"], stored["test_result"]) == (runs, reports, results)
        assert stored["dead_letter"] == 0
        with engine.connect() as c:
            per_run = c.execute(text("SELECT ci_run_id, tests FROM test_run WHERE ci_run_id IS NOT NULL")).all()
            local = c.execute(text("SELECT count(DISTINCT commit_sha) FROM test_run WHERE ci_run_id IS NULL")).scalar()
    finally:
        engine.dispose()
    assert sorted((int(r), t) for r, t in per_run) == [(1000 + i, CASES + CASES // 2) for i in range(DISTINCT_RUNS)]
    assert local == LOCAL


def test_cli_upload_end_to_end(server: tuple[ServerHandle, str, str], tmp_path: Path) -> None:
    srv, token, url = server
    env = argus_environment(url, tmp_path / "cli-home")
    env.update(ARGUS_TOKEN=token, GITHUB_ACTIONS="true", GITHUB_RUN_ID="777", GITHUB_JOB="unit",
               GITHUB_SHA="b" * 40, GITHUB_REF_NAME="feature/x", GITHUB_RUN_ATTEMPT="2")
    env.pop("ARGUS_DATABASE_URL")  # the CI job has no database
    work = tmp_path / "ci"
    _write(work, "reports/a.xml", junit("A", 5, 1))
    _write(work, "reports/b.xml", junit("B", 3))
    _write(work, "coverage/lcov.info", "SF:src/app.py\nDA:1,1\nDA:2,0\nend_of_record\n")

    first = run(env, work, "upload", "--server", srv.url, "-p", "web", "reports", "coverage/*.info", "--pr", "12")
    assert first.code == 0, first.explain()
    assert "3 stored (8 results), 0 already stored, 0 rejected" in first.stdout and "CI run 777" in first.stdout
    again = run(env, work, "upload", "--server", srv.url, "-p", "web", "reports", "coverage/*.info", "--json")
    assert again.code == 0, again.explain()
    assert '"stored": 0' in again.stdout and '"duplicates": 3' in again.stdout

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            row = c.execute(text("SELECT ci_provider, ci_attempt, branch, commit_sha, tests FROM test_run "
                                 "WHERE ci_run_id = '777'")).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("github", 2, "feature/x", "b" * 40, 8)

    _write(work, "evil.xml", BILLION_LAUGHS)
    hostile = run(env, work, "upload", "--server", srv.url, "-p", "web", "evil.xml")
    assert hostile.code == 6 and "rejected: evil.xml: refused XML" in hostile.stderr, hostile.explain()
    _write(work, "huge.xml", junit("Huge", 30_000))
    assert (work / "huge.xml").stat().st_size > MAX_UPLOAD
    huge = run(env, work, "upload", "--server", srv.url, "-p", "web", "huge.xml")
    assert huge.code == 6 and "(413)" in huge.stderr and len(huge.stderr.strip().splitlines()) == 1, huge.explain()
    other = run(env, work, "upload", "--server", srv.url, "-p", "elsewhere", "reports")
    assert other.code == 5 and "(404)" in other.stderr, other.explain()
    bad = run({**env, "ARGUS_TOKEN": "argus_wrong"}, work, "upload", "--server", srv.url, "-p", "web", "reports")
    assert bad.code == 2 and "(401)" in bad.stderr, bad.explain()
    down = run(env, work, "upload", "--server", "http://127.0.0.1:9", "-p", "web", "--tries", "2", "reports")
    assert down.code == 3 and "after 2 tries" in down.stderr, down.explain()
