"""Referential integrity of ``test_result`` (run and test case): foreign keys on SQLite, statement-level
triggers plus a per-project advisory lock on PostgreSQL (:mod:`argus.store.integrity`). Orphans are
refused, deletes cascade, and a delete racing an upload leaves no orphan."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from argus.app.runtime import ProjectScope, Runtime
from argus.core.settings import IngestSettings, Settings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.testreports.service import FileStatus, ingest_test_reports
from argus.jobs.retention import delete_batch
from argus.store.integrity import POSTGRESQL_TRIGGERS
from argus.store.models import TestRun
from argus.store.projects import get_or_create_project
from argus.testing.reports import junit

FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
ORPHANS = ("SELECT count(*) FROM test_result r WHERE NOT EXISTS (SELECT 1 FROM test_case c WHERE c.id = r.test_case_id)"
           " OR NOT EXISTS (SELECT 1 FROM test_run t WHERE t.id = r.run_id)")
RESULT = ("INSERT INTO test_result (project_id, run_id, test_case_id, outcome, attempt, is_flaky_rerun) "
          "VALUES (:p, :r, :c, 'passed', 0, false)")


def _project(engine: Engine, slug: str = "demo") -> int:
    with Session(engine) as s:
        project_id = get_or_create_project(s, slug).id
        s.commit()
    return project_id


def _parents(conn: Connection, project_id: int, name: str = "t") -> tuple[int, int]:
    """A new test run and test case of ``project_id``: (run id, test case id)."""
    run = conn.execute(text(
        "INSERT INTO test_run (project_id, ci_attempt, environment, started_at, ingested_at, tests, passed, failed, "
        "errors, skipped, duration_s) VALUES (:p, 1, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0, 0, 0, 0, 0) "
        "RETURNING id"), {"p": project_id}).scalar_one()
    case = conn.execute(text(
        "INSERT INTO test_case (project_id, identity, name, first_seen_at, last_seen_at) "
        "VALUES (:p, :i, :n, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"), {"p": project_id, "i": name, "n": name}).scalar_one()
    return run, case


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_postgresql_replaces_the_two_foreign_keys_with_triggers(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            fks = conn.execute(text("SELECT \"from\" FROM pragma_foreign_key_list('test_result')")).scalars().all()
            assert {"run_id", "test_case_id"} <= set(fks)
            return
        triggers = conn.execute(text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace")).all()
        fks = conn.execute(text("SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid "
                                "AND a.attnum = k.conkey[1] WHERE k.conrelid = 'test_result'::regclass "
                                "AND k.contype = 'f'")).scalars().all()
    assert {(table, name) for table, names in POSTGRESQL_TRIGGERS.items() for name in names} <= set(triggers)
    assert fks == ["cluster_id"]


@pytest.mark.parametrize("bad", ["test_case_id", "run_id"])
def test_a_result_without_its_test_case_or_run_is_refused(engine: Engine, bad: str) -> None:
    project_id = _project(engine)
    with engine.begin() as conn:
        run, case = _parents(conn, project_id)
    ids = {"p": project_id, "r": run, "c": case}
    ids["r" if bad == "run_id" else "c"] = 987654
    with pytest.raises(IntegrityError) as err, engine.begin() as conn:
        conn.execute(text(RESULT), {"p": project_id, "r": run, "c": case})  # a good row in the same transaction
        conn.execute(text(RESULT), ids)
    if engine.dialect.name == "postgresql":  # SQLite says "FOREIGN KEY constraint failed"
        assert f"{bad}=987654 is not a test" in str(err.value) and f"of project {project_id}" in str(err.value)
    assert _count(engine, "SELECT count(*) FROM test_result") == 0  # the transaction stored nothing


def test_a_bulk_copy_with_one_orphan_is_refused_whole(engine: Engine) -> None:
    """The ingest path's bulk insert (COPY on PostgreSQL) is checked as one statement."""
    from argus.ingest.testreports.store import RESULT_COLUMNS, insert_results
    from argus.store.session import scoped_to

    project_id = _project(engine)
    with engine.begin() as conn:
        run, case = _parents(conn, project_id)
    row = dict.fromkeys(RESULT_COLUMNS)
    row.update(project_id=project_id, run_id=run, test_case_id=case, outcome="passed", attempt=0, is_flaky_rerun=False)
    rows = [tuple(row.values())] * 500 + [tuple({**row, "test_case_id": case + 1000}.values())]
    with Session(engine) as s, pytest.raises(IntegrityError, match=r"FOREIGN KEY|test_case_id="):
        scoped_to(s, get_or_create_project(s, "demo"))
        insert_results(s, rows)
        s.commit()
    assert _count(engine, "SELECT count(*) FROM test_result") == 0


def test_a_result_pointing_at_another_projects_test_case_is_refused_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's foreign key checks the id only")
    mine, other = _project(engine, "mine"), _project(engine, "other")
    with engine.begin() as conn:
        run, _ = _parents(conn, mine)
        _, foreign_case = _parents(conn, other)
    with pytest.raises(IntegrityError, match=f"test_case_id={foreign_case} is not a test case of project {mine}"), \
            engine.begin() as conn:
        conn.execute(text(RESULT), {"p": mine, "r": run, "c": foreign_case})
    with engine.begin() as conn:  # nor can an update move a result there
        run, case = _parents(conn, mine, "u")
        conn.execute(text(RESULT), {"p": mine, "r": run, "c": case})
    with pytest.raises(IntegrityError, match="is not a test case of project"), engine.begin() as conn:
        conn.execute(text("UPDATE test_result SET test_case_id = :c"), {"c": foreign_case})
    with pytest.raises(IntegrityError, match="cannot change"), engine.begin() as conn:
        conn.execute(text("UPDATE test_case SET id = id + 1000 WHERE id = :c"), {"c": case})


def test_deleting_a_test_case_a_run_or_the_project_deletes_their_results(engine: Engine) -> None:
    project_id, kept = _project(engine), _project(engine, "kept")
    with engine.begin() as conn:
        runs_cases = [_parents(conn, project_id, f"t{i}") for i in range(3)]
        other_run, other_case = _parents(conn, kept)
        for _run, case in runs_cases:
            for r, _c in runs_cases:
                conn.execute(text(RESULT), {"p": project_id, "r": r, "c": case})
        conn.execute(text(RESULT), {"p": kept, "r": other_run, "c": other_case})
    assert _count(engine, "SELECT count(*) FROM test_result") == 10
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM test_case WHERE id = :c"), {"c": runs_cases[0][1]})
    assert _count(engine, "SELECT count(*) FROM test_result") == 7
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM test_run WHERE id = :r"), {"r": runs_cases[1][0]})
    assert _count(engine, "SELECT count(*) FROM test_result") == 5
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM project WHERE id = :p"), {"p": project_id})
    assert _count(engine, "SELECT count(*) FROM test_result") == 1  # the other project's
    assert _count(engine, ORPHANS) == 0


def _wait_for_lock_wait(engine: Engine, pid: int) -> None:
    """Until backend ``pid`` waits for a lock (an advisory lock here)."""
    for _ in range(500):
        if _count(engine, "SELECT count(*) FROM pg_stat_activity WHERE pid = :p AND wait_event_type = 'Lock'", p=pid):
            return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _second_waits_for_first(engine: Engine, first: str, second: str) -> list[BaseException]:
    """Run ``first`` uncommitted on a new project's run and test case, then ``second`` in a thread until it
    waits for a lock, then commit ``first``; the errors ``second`` raised."""
    project_id = _project(engine)
    with engine.begin() as conn:
        run, case = _parents(conn, project_id)
    ids = {"p": project_id, "r": run, "c": case}
    with engine.connect() as holder:
        holder.execute(text(first), ids)
        with engine.connect() as waiter:
            pid = waiter.execute(text("SELECT pg_backend_pid()")).scalar_one()

            def work() -> None:
                waiter.execute(text(second), ids)
                waiter.commit()

            thread, errors = _in_thread(work)
            _wait_for_lock_wait(engine, pid)
            holder.commit()
            thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.parametrize("delete", ["DELETE FROM test_case WHERE id = :c", "DELETE FROM test_run WHERE id = :r",
                                    "DELETE FROM project WHERE id = :p"])
def test_a_delete_waits_for_an_uncommitted_upload_and_then_deletes_its_results(engine: Engine, delete: str) -> None:
    """Upload first: its results are checked (parents there) but not committed; the delete, which cannot
    see them yet, waits for the upload's shared lock and deletes them once they are committed."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with its write lock")
    errors = _second_waits_for_first(engine, RESULT, delete)  # the upload, checked, holds the lock shared
    assert not errors, errors
    assert _count(engine, "SELECT count(*) FROM test_result") == 0
    assert _count(engine, ORPHANS) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("delete", ["DELETE FROM test_case WHERE id = :c", "DELETE FROM test_run WHERE id = :r"])
def test_an_upload_waits_for_an_uncommitted_delete_and_is_then_refused(engine: Engine, delete: str) -> None:
    """Delete first (not committed): the upload's check waits for its lock, then sees the parent gone."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with its write lock")
    errors = _second_waits_for_first(engine, delete, RESULT)
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError), errors
    assert "is not a test" in str(errors[0])
    assert _count(engine, "SELECT count(*) FROM test_result") == 0


@pytest.mark.postgres
def test_results_are_not_written_outside_read_committed(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    project_id = _project(engine)
    with engine.begin() as conn:
        run, case = _parents(conn, project_id)
    with pytest.raises(Exception, match="READ COMMITTED only"), \
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text(RESULT), {"p": project_id, "r": run, "c": case})


def test_concurrent_uploads_and_run_deletes_leave_no_orphans(settings: Settings, engine: Engine,
                                                              tmp_path: Path) -> None:
    """Real uploads (the ingest service) of one project in 4 threads while retention deletes every run in a
    loop: whatever interleaving, every stored result has its run and test case; uploads either stored
    or were refused whole."""
    runtime = Runtime(settings)
    runtime.in_project("demo", lambda scope: None, create=True)
    files = []
    for i in range(6):
        path = tmp_path / f"r{i}.xml"
        path.write_text(junit("tests.test_mod", 60, failures=i % 3))
        files.append(path)
    stop = threading.Event()
    outcomes: list[FileStatus] = []
    errors: list[BaseException] = []

    def uploader(n: int) -> None:
        try:
            for i, path in enumerate(files):
                meta = CiMetadata(provider="github", run_id=f"{n}-{i}", job="unit", commit_sha="c" * 40)

                def work(scope: ProjectScope, path: Path = path, meta: CiMetadata = meta) -> FileStatus:
                    return ingest_test_reports(scope.session, [path], meta, IngestSettings())[0].status

                outcomes.append(runtime.in_project("demo", work))
        except BaseException as exc:
            errors.append(exc)

    def deleter() -> None:
        try:
            while not stop.is_set():
                runtime.in_project("demo", lambda scope: delete_batch(scope, TestRun, TestRun.started_at, FUTURE, 1000))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=uploader, args=(n,)) for n in range(4)]
    cleaner = threading.Thread(target=deleter)
    cleaner.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    cleaner.join()
    runtime.close()
    assert not errors, errors
    assert len(outcomes) == 24 and set(outcomes) <= {FileStatus.INGESTED, FileStatus.REJECTED}
    assert _count(engine, ORPHANS) == 0
