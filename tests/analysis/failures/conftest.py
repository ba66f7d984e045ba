"""Runs of first attempts with their failure texts, written by the shared builder
:class:`argus.testing.builders.History` (``store.results(at, rows)``)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from argus.testing.builders import History


@pytest.fixture
def store(project_session: Session) -> History:
    return History(project_session)
