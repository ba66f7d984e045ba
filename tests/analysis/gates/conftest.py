"""Builds for gate tests (one CI run per commit with tests, coverage and a scan), written by the shared
builder :class:`argus.testing.builders.History`: coverage and scans through the real ingest services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from argus.testing.builders import History


@pytest.fixture
def builds(project_session: Session) -> History:
    return History(project_session, start=datetime(2026, 1, 1, tzinfo=UTC), message="AssertionError: boom",
                   failure_type=None, ci_job="ci", ci_run_ids="r-{commit}", run_duration_s=0.0)
