"""Ingestion service on a real database: bulk store, attempts, idempotency, dead letters, isolation."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.core.settings import IngestSettings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.testreports.service import FileStatus, ingest_test_reports
from argus.store.models import DeadLetter, TestCase, TestReport, TestResult, TestRun
from argus.store.session import unscoped

FIXTURES = Path(__file__).parent / "fixtures"
META = CiMetadata(provider="github", run_id="42", job="test", commit_sha="a" * 40, branch="main")


def _count(session: Session, model: type) -> int:
    with unscoped(session, reason="test: count rows of every project"):
        return session.scalar(select(func.count()).select_from(model)) or 0


def _rows(session: Session, query):  # type: ignore[no-untyped-def]
    with unscoped(session, reason="test: rows of every project"):
        return session.execute(query).all()


def test_ingest_stores_every_attempt_in_bulk(project_session: Session) -> None:
    s = project_session
    out = ingest_test_reports(s, [FIXTURES / "surefire_flaky.xml", FIXTURES / "pytest_xunit1.xml"], META,
                              IngestSettings())
    assert [o.status for o in out] == [FileStatus.INGESTED, FileStatus.INGESTED]
    assert out[0].run_id == out[1].run_id
    assert (_count(s, TestReport), _count(s, TestCase), _count(s, TestResult)) == (2, 9, 13)
    charges = _rows(s, select(TestResult.attempt, TestResult.outcome, TestResult.is_flaky_rerun, TestResult.stdout)
                    .join(TestCase, TestCase.id == TestResult.test_case_id)
                    .where(TestCase.identity == "com.acme.PaymentTest::charges").order_by(TestResult.attempt))
    assert [tuple(r) for r in charges] == [(0, "failed", True, "attempt 1"), (1, "error", True, None),
                                           (2, "passed", True, None)]
    run = _rows(s, select(TestRun.tests, TestRun.passed, TestRun.failed, TestRun.errors, TestRun.skipped,
                          TestRun.ci_run_id, TestRun.commit_sha))[0]
    assert tuple(run) == (9, 4, 2, 1, 2, "42", "a" * 40)
    props = _rows(s, select(TestResult.properties).join(TestCase, TestCase.id == TestResult.test_case_id)
                  .where(TestCase.identity == "tests.test_cart.TestCart::test_add"))
    assert props[0][0] == {"owner": "shop"}


def test_same_content_is_stored_once_and_history_accumulates(project_session: Session, tmp_path: Path) -> None:
    s = project_session
    copy = tmp_path / "renamed-copy.xml"
    shutil.copy(FIXTURES / "pytest_xunit1.xml", copy)
    first = ingest_test_reports(s, [FIXTURES / "pytest_xunit1.xml"], META, IngestSettings())
    again = ingest_test_reports(s, [copy], META, IngestSettings())
    assert again[0].status is FileStatus.DUPLICATE and again[0].report_id == first[0].report_id
    assert again[0].reason is not None and "already ingested" in again[0].reason
    other_run = ingest_test_reports(s, [FIXTURES / "pytest_xunit2.xml"], CiMetadata(run_id="43", provider="github"),
                                    IngestSettings())
    assert other_run[0].run_id != first[0].run_id
    # xunit2 names the same tests as xunit1: identities are reused, results accumulate
    assert (_count(s, TestReport), _count(s, TestCase), _count(s, TestResult)) == (2, 5, 8)


def test_rejected_file_is_dead_lettered_and_others_still_ingest(project_session: Session, tmp_path: Path) -> None:
    s = project_session
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b'<testsuite><testcase classname="a" name="b"><failure>')
    dtd = tmp_path / "dtd.xml"
    dtd.write_bytes(b'<!DOCTYPE x [<!ENTITY a "b">]><testsuite/>')
    out = ingest_test_reports(s, [broken, FIXTURES / "go_junit.xml", dtd, tmp_path / "missing.xml"], META,
                              IngestSettings())
    assert [o.status for o in out] == [FileStatus.REJECTED, FileStatus.INGESTED, FileStatus.REJECTED,
                                       FileStatus.REJECTED]
    letters = _rows(s, select(DeadLetter.source, DeadLetter.source_name, DeadLetter.reason, DeadLetter.content_hash,
                              DeadLetter.excerpt).order_by(DeadLetter.id))
    assert [(r[0], Path(r[1]).name) for r in letters] == [("test_report", "broken.xml"), ("test_report", "dtd.xml"),
                                                          ("test_report", "missing.xml")]
    assert "truncated" in letters[0][2] and letters[0][3] is not None and letters[0][4].startswith("<testsuite>")
    assert "DTD" in letters[1][2] and "does not exist" in letters[2][2]
    assert (_count(s, TestReport), _count(s, TestResult)) == (1, 4)


def test_all_files_rejected_creates_no_run(project_session: Session, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    out = ingest_test_reports(project_session, [empty], META, IngestSettings())
    assert out[0].status is FileStatus.REJECTED and out[0].reason == "file is empty"
    assert _count(project_session, TestRun) == 0


def _refuse_message(session: Session, message: str) -> None:
    """Install a real database trigger that refuses results with ``message``."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "CREATE FUNCTION refuse_result() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.message = '{message}' THEN RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"))
        session.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON test_result FOR EACH ROW "
                             "EXECUTE FUNCTION refuse_result()"))
    else:
        session.execute(text(f"CREATE TRIGGER refuse BEFORE INSERT ON test_result WHEN NEW.message = '{message}' "
                             "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"))


def test_database_error_rolls_back_only_that_file(project_session: Session, tmp_path: Path) -> None:
    s = project_session
    _refuse_message(s, "boom")
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b'<testsuite name="s"><testcase classname="k" name="ok"/>'
                    b'<testcase classname="k" name="bad"><failure message="boom"/></testcase></testsuite>')
    out = ingest_test_reports(s, [FIXTURES / "jest_junit.xml", bad, FIXTURES / "go_junit.xml"], META,
                              IngestSettings())
    assert [o.status for o in out] == [FileStatus.INGESTED, FileStatus.REJECTED, FileStatus.INGESTED]
    assert out[1].reason is not None and out[1].reason.startswith("database refused the report")
    assert "refused by trigger" in out[1].reason
    assert (_count(s, TestReport), _count(s, TestResult), _count(s, TestCase), _count(s, DeadLetter)) == (2, 7, 7, 1)
    run = _rows(s, select(TestRun.tests))[0]
    assert run[0] == 7  # counters of the rolled-back file were rolled back too


def test_tests_seen_in_several_files_of_one_call(project_session: Session, tmp_path: Path) -> None:
    """Ids resolved by earlier files are reused; a rolled-back file's new tests are not."""
    s = project_session
    _refuse_message(s, "boom")
    files = []
    for name, body in (
        ("one.xml", b'<testcase classname="k" name="a"/>'),
        ("bad.xml", b'<testcase classname="k" name="a"/><testcase classname="k" name="b"><failure message="boom"/>'
                    b"</testcase>"),
        ("three.xml", b'<testcase classname="k" name="a"/><testcase classname="k" name="b"/>'),
        ("four.xml", b'<testcase classname="k" name="b"><failure message="again"/></testcase>'),
    ):
        path = tmp_path / name
        path.write_bytes(b'<testsuite name="s">' + body + b"</testsuite>")
        files.append(path)
    out = ingest_test_reports(s, files, META, IngestSettings())
    assert [o.status for o in out] == [FileStatus.INGESTED, FileStatus.REJECTED, FileStatus.INGESTED,
                                       FileStatus.INGESTED]
    cases = _rows(s, select(TestCase.identity, TestCase.first_seen_at, TestCase.last_seen_at).order_by(TestCase.identity))
    assert [c[0] for c in cases] == ["k::a", "k::b"]
    assert cases[0][2] == cases[1][2]  # one last_seen_at per call
    results = _rows(s, select(TestCase.identity, TestResult.outcome).join(TestCase, TestCase.id == TestResult.test_case_id)
                    .order_by(TestResult.id))
    assert [tuple(r) for r in results] == [("k::a", "passed"), ("k::a", "passed"), ("k::b", "passed"),
                                           ("k::b", "failed")]
    later = ingest_test_reports(s, [FIXTURES / "go_junit.xml", files[2]], META, IngestSettings())
    assert later[1].status is FileStatus.DUPLICATE  # same run, same content
    bumped = _rows(s, select(TestCase.last_seen_at).where(TestCase.identity == "k::a"))[0][0]
    assert bumped == cases[0][2]  # not in the later call's new files: unchanged


def test_last_seen_moves_forward_at_the_configured_resolution(project_session: Session, tmp_path: Path) -> None:
    """A known test's last_seen_at is bumped only when older than ingest.test_seen_resolution_s, never back."""
    from datetime import timedelta

    from sqlalchemy import update

    from argus.core.clock import as_utc, utcnow

    s = project_session

    def ingest(n: int, resolution_s: float) -> None:
        path = tmp_path / f"r{n}.xml"
        path.write_bytes(f'<testsuite name="s"><testcase classname="k" name="a" time="0.{n}"/></testsuite>'.encode())
        out = ingest_test_reports(s, [path], META, IngestSettings(test_seen_resolution_s=resolution_s))
        assert out[0].status is FileStatus.INGESTED

    def set_seen(at: object) -> None:
        with unscoped(s, reason="test: age the test"):
            s.execute(update(TestCase).values(last_seen_at=at))

    def seen() -> object:
        return as_utc(_rows(s, select(TestCase.last_seen_at))[0][0])

    ingest(1, 60)
    first = seen()
    recent = as_utc(first) - timedelta(seconds=10)
    set_seen(recent)
    ingest(2, 60)
    assert seen() == recent  # seen 10 s ago: within the resolution, not rewritten
    ingest(3, 0)
    assert seen() > recent  # resolution 0: every ingestion bumps it
    old = utcnow() - timedelta(hours=2)
    set_seen(old)
    ingest(4, 60)
    assert seen() > old + timedelta(hours=1)
    future = utcnow() + timedelta(days=1)
    set_seen(future)
    ingest(5, 0)
    assert seen() == future  # never moved back
    assert _count(s, TestCase) == 1 and _count(s, TestResult) == 5
