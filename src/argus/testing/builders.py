"""Builders of a project's history for tests and probes: CI runs with test results (outcomes, retries,
durations, messages), coverage and vulnerability scans.

Everything is written into a **project-bound** session (a :class:`~argus.app.runtime.ProjectScope`'s, or
one bound by :func:`argus.store.projects.get_or_create_project`): runs, test identities and results by
bulk inserts, shaped as ingestion stores them; coverage and scans through the real ingest services.
Nothing is committed: the caller owns the transaction.

    history = History(scope.session)
    history.run("c01", {"tests/test_api.py::test_get": "FP"})       # failed, then passed on retry
    history.run("c02", {"t::a": ["passed"]}, coverage=(90, 100))    # outcome names work too
    run_id, result_ids = history.results(None, [Attempt("t::a", "failed", message="boom")], commit="c03")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.service import CoverageIngestResult, ingest_coverage
from argus.ingest.vulns.service import VulnIngestResult, ingest_vulns
from argus.store.models import TestCase, TestResult, TestRun
from argus.store.models.testing import ci_key_of
from argus.store.session import current_project_id
from argus.testing.reports import lcov, trivy, vulnerability

#: Default time of the first run of a :class:`History` (later runs follow one ``step`` apart).
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: One-letter outcome codes of an attempt string ("FP": failed, then passed on retry).
OUTCOME_CODES = {"P": "passed", "F": "failed", "E": "error", "S": "skipped"}
FAILING = ("failed", "error")
#: (test identity, outcome, message, failure type, stack) of one first attempt: see :class:`Attempt`.
AttemptRow = tuple[str, str, str | None, str | None, str | None]
#: (CVE, package, severity) of a finding in a scan.
Finding = tuple[str, str, str]


class HasSession(Protocol):
    """Anything holding a project-bound session (e.g. ``argus.app.runtime.ProjectScope``)."""

    @property
    def session(self) -> Session: ...


def bound_session(target: Session | HasSession) -> Session:
    """The session of ``target``, checked to be bound to a project (raises otherwise)."""
    session = target if isinstance(target, Session) else target.session
    current_project_id(session)
    return session


@dataclass(frozen=True)
class Attempt:
    """One stored attempt of one test (``attempt`` 0 is the first try)."""

    test: str
    outcome: str
    message: str | None = None
    failure_type: str | None = None
    stack: str | None = None
    duration_s: float | None = None
    attempt: int = 0


def outcomes(attempts: str | Sequence[str]) -> list[str]:
    """Outcome names of an attempt string (``"FP"``) or of a list of names (``["failed", "passed"]``)."""
    if isinstance(attempts, str):
        return [OUTCOME_CODES[ch] for ch in attempts]
    return list(attempts)


class History:
    """Writes one project's CI history: runs ``step`` apart from ``start``, test cases on first use.

    ``message`` and ``failure_type`` are what a failing attempt says unless :meth:`run` is given its
    ``messages``; ``run_duration_s`` is a run's duration unless given; ``ci_job`` names the job of runs
    given a CI run id; ``ci_run_ids`` (e.g. ``"r-{commit}"``) gives every :meth:`run` one by default.
    """

    def __init__(self, target: Session | HasSession, *, start: datetime = T0, step: timedelta = timedelta(hours=1),
                 message: str = "assert False", failure_type: str | None = "AssertionError",
                 ci_job: str = "test", run_duration_s: float = 60.0, ci_run_ids: str | None = None) -> None:
        self.session = bound_session(target)
        self.clock = start
        self.step = step
        self.message = message
        self.failure_type = failure_type
        self.ci_job = ci_job
        self.run_duration_s = run_duration_s
        self.ci_run_ids = ci_run_ids
        self.cases: dict[tuple[int, str], int] = {}  # (project id, identity) -> test case id
        self.runs: list[int] = []

    @property
    def project_id(self) -> int:
        """The project the session is bound to now (a test may bind it to another meanwhile)."""
        return current_project_id(self.session)

    # -- test identities --------------------------------------------------------------------------

    def case_ids(self, identities: Sequence[str]) -> dict[str, int]:
        """Ids of the test cases ``identities`` (created when new: name after the last ``::``, file before)."""
        pid = self.project_id
        wanted = [i for i in dict.fromkeys(identities) if (pid, i) not in self.cases]
        if wanted:
            stmt = select(TestCase.identity, TestCase.id).where(TestCase.identity.in_(wanted))
            self.cases.update({(pid, k): int(v) for k, v in self.session.execute(stmt).all()})
            missing = [i for i in wanted if (pid, i) not in self.cases]
            if missing:
                rows = [{"project_id": pid, "identity": i, "name": i.split("::")[-1],
                         "file": i.split("::")[0] if "::" in i else None} for i in missing]
                self.session.execute(insert(TestCase), rows)
                self.cases.update({(pid, k): int(v) for k, v in self.session.execute(stmt).all()})
        return {i: self.cases[pid, i] for i in identities}

    def case(self, identity: str) -> int:
        return self.case_ids([identity])[identity]

    # -- runs ------------------------------------------------------------------------------------

    def next_time(self, at: datetime | None = None) -> datetime:
        """``at``, or the next tick of the history's clock."""
        if at is not None:
            return at
        self.clock += self.step
        return self.clock

    def _insert_run(self, commit: str | None, *, started_at: datetime, tests: int, branch: str | None,
                    env: Mapping[str, str] | None, ci_run_id: str | None, attempt: int,
                    duration_s: float | None) -> int:
        row: dict[str, Any] = {"project_id": self.project_id, "commit_sha": commit, "branch": branch,
                               "environment": dict(env or {}), "started_at": started_at, "tests": tests}
        if duration_s is not None:
            row["duration_s"] = duration_s
        if ci_run_id is not None:
            row.update(ci_provider="github", ci_run_id=ci_run_id, ci_job=self.ci_job, ci_attempt=attempt,
                       ci_key=ci_key_of("github", ci_run_id, self.ci_job, attempt, None))
        run_id = int(self.session.execute(insert(TestRun).returning(TestRun.id), [row]).scalar_one())
        self.runs.append(run_id)
        return run_id

    def results(self, at: datetime | None, attempts: Sequence[Attempt | AttemptRow], *, commit: str | None = "abc",
                branch: str | None = "main", env: Mapping[str, str] | None = None, ci_run_id: str | None = None,
                ci_attempt: int = 1, duration_s: float | None = None, tests: int | None = None,
                ) -> tuple[int, list[int]]:
        """One run started ``at`` (default: the clock's next tick) holding exactly ``attempts`` (bulk
        insert); return (run id, result ids in order). ``tests`` (the run's counter) defaults to the
        number of attempts."""
        tried = [a if isinstance(a, Attempt) else Attempt(*a) for a in attempts]
        run_id = self._insert_run(commit, started_at=self.next_time(at), tests=len(tried) if tests is None
                                  else tests, branch=branch, env=env, ci_run_id=ci_run_id, attempt=ci_attempt,
                                  duration_s=duration_s)
        cases = self.case_ids([a.test for a in tried])
        pid = self.project_id
        rows = [{"project_id": pid, "run_id": run_id, "test_case_id": cases[a.test],
                 "outcome": a.outcome, "attempt": a.attempt, "duration_s": a.duration_s, "message": a.message,
                 "failure_type": a.failure_type, "stack": a.stack} for a in tried]
        if not rows:
            return run_id, []
        self.session.execute(insert(TestResult), rows)
        ids = self.session.scalars(select(TestResult.id).where(TestResult.run_id == run_id).order_by(TestResult.id))
        return run_id, [int(i) for i in ids]

    def run(
        self,
        commit: str,
        results: Mapping[str, str | Sequence[str]],
        *,
        branch: str = "main",
        env: Mapping[str, str] | None = None,
        messages: Mapping[str, str] | None = None,
        durations: Mapping[str, float] | None = None,
        duration_s: float | None = None,
        ci_run_id: str | None = None,
        ci_attempt: int = 1,
        at: datetime | None = None,
        coverage: tuple[int, int] | None = None,
        vulns: Sequence[Finding] | None = None,
    ) -> int:
        """One CI run of ``commit``: each test's attempts (``"FP"`` or ``["failed", "passed"]``), then its
        coverage (``(covered, total)`` lines) and scan (see :meth:`coverage`, :meth:`vulns`), which
        join the run through its CI run id; return the run id."""
        if duration_s is None:
            duration_s = self.run_duration_s
        if ci_run_id is None and self.ci_run_ids is not None:
            ci_run_id = self.ci_run_ids.format(commit=commit)
        attempts = []
        for test, tries in results.items():
            for i, outcome in enumerate(outcomes(tries)):
                failing = outcome in FAILING
                attempts.append(Attempt(
                    test, outcome, attempt=i, duration_s=(durations or {}).get(test, 1.0),
                    message=(messages or {}).get(test, self.message) if failing else None,
                    failure_type=self.failure_type if failing else None,
                ))
        run_id, _ = self.results(at, attempts, commit=commit, branch=branch, env=env, ci_run_id=ci_run_id,
                                 ci_attempt=ci_attempt, duration_s=duration_s, tests=len(results))
        if coverage is not None:
            self.coverage(commit, *coverage, branch=branch, ci_run_id=ci_run_id, ci_attempt=ci_attempt)
        if vulns is not None:
            self.vulns(commit, vulns, branch=branch, ci_run_id=ci_run_id, ci_attempt=ci_attempt)
        return run_id

    # -- quality reports (through the ingest services) ---------------------------------------------

    def _meta(self, commit: str, branch: str | None, ci_run_id: str | None, ci_attempt: int) -> CiMetadata:
        job = self.ci_job if ci_run_id is not None else None
        provider = "github" if ci_run_id is not None else None
        return CiMetadata(provider=provider, run_id=ci_run_id, job=job, attempt=ci_attempt, commit_sha=commit,
                          branch=branch)

    def coverage(self, commit: str, covered: int, total: int = 100, *, branch: str | None = "main",
                 ci_run_id: str | None = None, ci_attempt: int = 1, path: str = "src/app.py") -> CoverageIngestResult:
        """An LCOV report of ``covered`` of ``total`` lines, ingested by ``argus ingest coverage``'s service."""
        return ingest_coverage(self.session, lcov(covered, total, path).encode(), f"lcov-{commit}.info",
                               self._meta(commit, branch, ci_run_id, ci_attempt))

    def vulns(self, commit: str, findings: Sequence[Finding], *, branch: str | None = "main",
              ci_run_id: str | None = None, ci_attempt: int = 1) -> VulnIngestResult:
        """A Trivy scan with ``findings``, ingested by ``argus ingest vulns``'s service."""
        report = trivy([vulnerability(c, p, s, installed="1.0", fixed="1.1") for c, p, s in findings])
        return ingest_vulns(self.session, report.encode(), f"trivy-{commit}.json",
                            self._meta(commit, branch, ci_run_id, ci_attempt))
