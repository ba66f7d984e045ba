"""Read-only questions about what was ingested for the bound project (counts, latest commit).

Front doors ask these through a use case (:mod:`argus.app`); nothing here writes.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.store.models import BugLink, Commit, DeadLetter, TestCase, TestResult, TestRun

#: What :func:`stored_counts` counts: the name in its answer → the table.
COUNTED = {"runs": TestRun, "tests": TestCase, "results": TestResult, "commits": Commit,
           "bug_links": BugLink, "rejected_files": DeadLetter}


def stored_counts(session: Session) -> dict[str, int]:
    """How many runs, tests, results, commits, bug links and rejected files the project holds."""
    return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in COUNTED.items()}


def latest_commit_on_branch(session: Session, branch: str) -> str | None:
    """The commit of the latest test run on ``branch`` that names one (``None`` when there is none)."""
    return session.scalars(
        select(TestRun.commit_sha)
        .where(TestRun.branch == branch, TestRun.commit_sha.is_not(None))
        .order_by(TestRun.started_at.desc())
        .limit(1)
    ).first()
