"""The flaky tests' history: runs one hour apart whose results are attempt strings (``"FP"``: failed,
then passed on retry), written by the shared builder :class:`argus.testing.builders.History`."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from argus.testing.builders import History


@pytest.fixture
def history(project_session: Session) -> History:
    return History(project_session)
