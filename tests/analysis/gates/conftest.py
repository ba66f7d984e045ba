"""Builders for gate tests: real rows through the real ingest services (coverage, vulnerabilities) and
ORM rows for test runs and results."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.service import ingest_coverage
from argus.ingest.vulns.service import ingest_vulns
from argus.store.models import TestCase, TestResult, TestRun
from argus.store.session import current_project_id

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def lcov(covered: int, total: int, path: str = "src/app.py") -> bytes:
    """An LCOV record with ``total`` executable lines of which the first ``covered`` were hit."""
    lines = [f"SF:{path}"] + [f"DA:{i},{1 if i <= covered else 0}" for i in range(1, total + 1)]
    return ("\n".join([*lines, "end_of_record", ""])).encode()


def trivy(findings: list[tuple[str, str, str]]) -> bytes:
    """A Trivy report with (CVE, package, SEVERITY) findings."""
    vulns = [{"VulnerabilityID": c, "PkgName": p, "InstalledVersion": "1.0", "FixedVersion": "1.1", "Severity": s}
             for c, p, s in findings]
    return json.dumps({"SchemaVersion": 2, "ArtifactName": ".", "Results": [
        {"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip", "Vulnerabilities": vulns}]}).encode()


class Builds:
    """Create builds (one CI run per commit) with tests, coverage and a scan."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = 0

    def add(
        self,
        commit: str,
        *,
        branch: str = "main",
        tests: dict[str, list[str]] | None = None,
        coverage: tuple[int, int] | None = None,
        vulns: list[tuple[str, str, str]] | None = None,
        duration_s: float = 0.0,
        at: datetime | None = None,
    ) -> TestRun:
        self.n += 1
        started = at or T0 + timedelta(hours=self.n)
        pid = current_project_id(self.s)
        run = TestRun(project_id=pid, commit_sha=commit, branch=branch, ci_provider="github", ci_run_id=f"r-{commit}",
                      ci_job="ci", started_at=started, tests=len(tests or {}), duration_s=duration_s)
        self.s.add(run)
        self.s.flush()
        for name, outcomes in (tests or {}).items():
            case = self.s.scalars(select(TestCase).where(TestCase.identity == name)).first()
            if case is None:
                case = TestCase(project_id=pid, identity=name, name=name)
                self.s.add(case)
                self.s.flush()
            for attempt, outcome in enumerate(outcomes):
                self.s.add(TestResult(project_id=pid, run_id=run.id, test_case_id=case.id, outcome=outcome,
                                      attempt=attempt, duration_s=1.0,
                                      message="AssertionError: boom" if outcome != "passed" else None))
        self.s.flush()
        meta = CiMetadata(provider="github", run_id=f"r-{commit}", job="ci", commit_sha=commit, branch=branch)
        if coverage is not None:
            ingest_coverage(self.s, lcov(*coverage), f"lcov-{commit}.info", meta)
        if vulns is not None:
            ingest_vulns(self.s, trivy(vulns), f"trivy-{commit}.json", meta)
        return run


@pytest.fixture
def builds(project_session: Session) -> Builds:
    return Builds(project_session)
