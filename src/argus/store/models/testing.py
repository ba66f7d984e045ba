"""Test runs, uploaded reports, stable test identities and per-attempt results."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class TestRun(ProjectOwned, Base):
    """One CI job attempt (or one CLI ingestion when no CI run id is known) on one commit.

    ``ci_key`` is the CI identity (a hash of provider, run id, job, attempt and job id; see
    :mod:`argus.ingest.runs`), unique per project so that parallel jobs of one CI run share one row;
    ``NULL`` for ingestions without a CI run id, which never share. The counters are maintained in
    SQL (``tests = tests + n``), never read-modify-written.
    """

    __tablename__ = "test_run"
    __test__ = False
    __table_args__ = (
        Index("ix_test_run_project_started", "project_id", "started_at"),
        Index("ix_test_run_project_commit", "project_id", "commit_sha"),
        Index("ix_test_run_project_branch_started", "project_id", "branch", "started_at"),
        Index("ix_test_run_ci", "project_id", "ci_provider", "ci_run_id", "ci_job", "ci_attempt"),
        UniqueConstraint("project_id", "ci_key", name="uq_test_run_ci_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    tree_sha: Mapped[str | None] = mapped_column(String(64))
    branch: Mapped[str | None] = mapped_column(String(255))
    ci_provider: Mapped[str | None] = mapped_column(String(50))
    ci_job: Mapped[str | None] = mapped_column(String(255))
    ci_run_id: Mapped[str | None] = mapped_column(String(255))
    ci_job_id: Mapped[str | None] = mapped_column(
        String(255)
    )  # provider's per-attempt job id, when it has one
    ci_attempt: Mapped[int] = mapped_column(Integer, default=1)
    ci_key: Mapped[str | None] = mapped_column(String(64))
    ci_url: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tests: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)


def ci_key_of(provider: str | None, run_id: str | None, job: str | None, attempt: int | None,
              job_id: str | None) -> str | None:
    """The stored CI identity (``test_run.ci_key``): SHA-256 of the parts, ``None`` without a run id."""
    if run_id is None:
        return None
    parts = (provider or "", run_id, job or "", str(attempt or 1), job_id or "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@event.listens_for(TestRun, "before_insert")
def _set_ci_key(_mapper: Any, _connection: Any, run: TestRun) -> None:
    """Runs created as ORM objects get their CI identity too (bulk/Core paths set ``ci_key`` themselves)."""
    if run.ci_key is None:
        run.ci_key = ci_key_of(run.ci_provider, run.ci_run_id, run.ci_job, run.ci_attempt, run.ci_job_id)


class TestReport(ProjectOwned, Base):
    """One ingested report file; idempotency is run + content: a ``content_hash`` is stored once per run
    (the same bytes for another run are that run's report)."""

    __tablename__ = "test_report"
    __test__ = False
    __table_args__ = (
        UniqueConstraint("project_id", "run_id", "content_hash", name="uq_test_report_run_content"),
        Index("ix_test_report_project_hash", "project_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tests: Mapped[int] = mapped_column(Integer, default=0)  # distinct tests (retries of one test count once)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[int] = mapped_column(Integer, default=0)  # stored attempts (test_result rows)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)


class TestCase(ProjectOwned, Base):
    """A test with an identity stable across runs (``identity`` is the normalised key)."""

    __tablename__ = "test_case"
    __test__ = False
    __table_args__ = (UniqueConstraint("project_id", "identity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(1000))
    suite: Mapped[str | None] = mapped_column(Text)
    classname: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    file: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TestResult(ProjectOwned, Base):
    """One attempt of one test in one run (``attempt`` 0 is the first try, 1.. are retries)."""

    __tablename__ = "test_result"
    __test__ = False
    # Index upkeep is most of the cost of ingesting results, so only indexes a query uses exist:
    # * ``report_id`` has none: nothing selects results by report and reports are never deleted
    #   alone (a delete of a ``test_report`` row would scan ``test_result`` for its cascade);
    # * ``cluster_id`` is partial (only clustered failures): every query by cluster, and the
    #   ``ON DELETE SET NULL`` of ``failure_cluster``, says ``cluster_id = / IN / IS NOT NULL``,
    #   which both SQLite and PostgreSQL prove implies the predicate; fresh results cost nothing.
    # (Partial indexes on ``outcome`` were tried: SQLite cannot match ``outcome IN (?, ?)`` with
    # bound parameters against an index predicate, so they would not serve the analyses.)
    # Foreign keys: each one is a look-up (and, on PostgreSQL, a FOR KEY SHARE lock) of the parent row
    # per inserted result, also under COPY. ``run_id`` and ``test_case_id`` refer to their parents with
    # ON DELETE CASCADE: on SQLite as these foreign keys; on PostgreSQL the initial migration replaces
    # the two with statement-level triggers (one anti-join per INSERT/COPY, cascades on delete) and a
    # per-project advisory lock against the insert/delete race (argus.store.integrity,
    # docs/ingest/test-reports.md). ``project_id`` and ``report_id`` have none: results are written
    # only by the ingest service (store.py: ``result_rows``), inside the transaction that bound the
    # project and inserted the report, with those two ids; a project's results go with its runs and
    # test cases (both cascade from the project), and a report is never deleted on its own (its
    # results go with its run, retention deletes them by ``run_id`` first).
    __table_args__ = (
        Index("ix_test_result_case_run", "test_case_id", "run_id"),
        Index("ix_test_result_run", "run_id"),
        Index("ix_test_result_project_outcome", "project_id", "outcome"),
        Index(
            "ix_test_result_cluster_id", "cluster_id",
            sqlite_where=text("cluster_id IS NOT NULL"), postgresql_where=text("cluster_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigId)  # no foreign key: see above
    run_id: Mapped[int] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(BigId)  # no foreign key: see above
    test_case_id: Mapped[int] = mapped_column(ForeignKey("test_case.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(10))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str | None] = mapped_column(Text)
    failure_type: Mapped[str | None] = mapped_column(Text)
    stack: Mapped[str | None] = mapped_column(Text)
    stdout: Mapped[str | None] = mapped_column(Text)
    stderr: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    properties: Mapped[dict[str, Any] | None] = mapped_column(Json)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("failure_cluster.id", ondelete="SET NULL"))
    is_flaky_rerun: Mapped[bool] = mapped_column(Boolean, default=False)
