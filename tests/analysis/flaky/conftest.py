"""A small builder that writes test runs and results straight into the store (bulk inserts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from argus.store.models import TestCase, TestResult, TestRun
from argus.store.session import current_project_id

_OUTCOME = {"P": "passed", "F": "failed", "E": "error", "S": "skipped"}
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class HistoryBuilder:
    """Write runs whose results are given as attempt strings: ``{"test_a": "FP"}`` = failed, then passed on retry.

    Runs are one hour apart; test cases are created on first use; ``messages`` sets the failure message
    of a test's failing attempts in that run.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pid = current_project_id(session)
        self.cases: dict[str, int] = {}
        self.runs: list[int] = []
        self.clock = T0

    def case(self, identity: str) -> int:
        if identity not in self.cases:
            name = identity.split("::")[-1]
            file = identity.split("::")[0] if "::" in identity else None
            res = self.session.execute(
                insert(TestCase).returning(TestCase.id),
                [{"project_id": self.pid, "identity": identity, "name": name, "file": file}],
            )
            self.cases[identity] = int(res.scalar_one())
        return self.cases[identity]

    def run(
        self,
        commit: str,
        results: Mapping[str, str],
        *,
        branch: str = "main",
        env: Mapping[str, str] | None = None,
        messages: Mapping[str, str] | None = None,
        durations: Mapping[str, float] | None = None,
        ci: tuple[str, int] | None = None,
        duration_s: float = 60.0,
    ) -> int:
        self.clock += timedelta(hours=1)
        row: dict[str, Any] = {
            "project_id": self.pid,
            "commit_sha": commit,
            "branch": branch,
            "environment": dict(env or {}),
            "started_at": self.clock,
            "tests": len(results),
            "duration_s": duration_s,
        }
        if ci is not None:
            row.update(ci_provider="github", ci_run_id=ci[0], ci_job="test", ci_attempt=ci[1])
        run_id = int(self.session.execute(insert(TestRun).returning(TestRun.id), [row]).scalar_one())
        rows = []
        for identity, attempts in results.items():
            tid = self.case(identity)
            for i, ch in enumerate(attempts):
                outcome = _OUTCOME[ch]
                failing = outcome in ("failed", "error")
                rows.append(
                    {
                        "project_id": self.pid,
                        "run_id": run_id,
                        "test_case_id": tid,
                        "outcome": outcome,
                        "attempt": i,
                        "duration_s": (durations or {}).get(identity, 1.0),
                        "message": (messages or {}).get(identity, "assert False") if failing else None,
                        "failure_type": "AssertionError" if failing else None,
                    }
                )
        if rows:
            self.session.execute(insert(TestResult), rows)
        self.runs.append(run_id)
        return run_id


@pytest.fixture
def history(project_session: Session) -> HistoryBuilder:
    return HistoryBuilder(project_session)
