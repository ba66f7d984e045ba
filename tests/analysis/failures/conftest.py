"""Helpers that write runs, test cases and results directly (bulk inserts), as ingestion would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from argus.store.models import TestCase, TestResult, TestRun
from argus.store.session import current_project_id

#: (test identity, outcome, message, failure type, stack)
Row = tuple[str, str, str | None, str | None, str | None]


@dataclass
class Store:
    session: Session

    def case_ids(self, identities: Sequence[str]) -> dict[str, int]:
        pid = current_project_id(self.session)
        known = dict(
            self.session.execute(
                select(TestCase.identity, TestCase.id).where(TestCase.identity.in_(identities))
            ).all()
        )
        missing = sorted({i for i in identities if i not in known})
        if missing:
            self.session.execute(
                insert(TestCase),
                [{"project_id": pid, "identity": i, "name": i.split("::")[-1]} for i in missing],
            )
            known = dict(
                self.session.execute(
                    select(TestCase.identity, TestCase.id).where(TestCase.identity.in_(identities))
                ).all()
            )
        return known

    def run(
        self, started_at: datetime, rows: Sequence[Row], commit_sha: str = "abc"
    ) -> tuple[int, list[int]]:
        """Insert one run with its results; return (run id, result ids in row order)."""
        pid = current_project_id(self.session)
        run = TestRun(
            project_id=pid, commit_sha=commit_sha, branch="main", started_at=started_at, tests=len(rows)
        )
        self.session.add(run)
        self.session.flush()
        cases = self.case_ids([r[0] for r in rows])
        self.session.execute(
            insert(TestResult),
            [
                {
                    "project_id": pid,
                    "run_id": run.id,
                    "test_case_id": cases[ident],
                    "outcome": outcome,
                    "message": msg,
                    "failure_type": ftype,
                    "stack": stack,
                }
                for ident, outcome, msg, ftype, stack in rows
            ],
        )
        ids = list(
            self.session.scalars(
                select(TestResult.id).where(TestResult.run_id == run.id).order_by(TestResult.id)
            )
        )
        return run.id, ids


@pytest.fixture
def store(project_session: Session) -> Store:
    return Store(project_session)
