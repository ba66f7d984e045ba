"""Fixtures of the use-case tests: a :class:`Runtime` on the test database (no CLI involved)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from argus.app.runtime import Runtime
from argus.core.settings import Settings


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Iterator[Runtime]:
    """A runtime on the test's database (``engine`` upgraded its schema)."""
    rt = Runtime(settings)
    yield rt
    rt.close()
