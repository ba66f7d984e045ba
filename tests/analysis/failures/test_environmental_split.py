"""Generic templates of environmental exception types are not split by code location."""

from __future__ import annotations

from argus.analysis.failures.algo import needs_split
from argus.core.settings import ClusterSettings


def test_environmental_types_never_split_but_assertions_do() -> None:
    s = ClusterSettings()
    assert not needs_split(["java.net.ConnectException:", "Connection", "refused:", "<*>"], s)
    assert not needs_split(["ConnectionRefusedError:", "<*>"], s)
    assert not needs_split(["java.lang.OutOfMemoryError:", "Java", "heap", "space"], s)
    assert needs_split(["AssertionError:", "assert", "<*>", "==", "<*>"], s)
    assert needs_split(["KeyError:", "<*>"], s)
    assert needs_split(["java.net.ConnectException:", "<*>"], s.model_copy(update={"stack_split": "always"}))
