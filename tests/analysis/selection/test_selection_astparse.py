"""Concurrent parsing in the selection's scans (CPython 3.11's AST constructor, python/cpython gh-106905)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.analysis.selection import astparse
from argus.analysis.selection.astparse import parse_python

SOURCE = (Path(astparse.__file__).parent / "symbols.py").read_text(encoding="utf-8")


class _Finalised:
    """Cyclic garbage with a finaliser: the collector runs Python code in the middle of building an AST,
    which lets another thread run and parse."""

    other: _Finalised

    def __del__(self) -> None:
        sum(range(50))


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _stress(parse: object) -> list[BaseException]:
    errors: list[BaseException] = []

    def parse_many() -> None:
        for _ in range(100):
            try:
                parse(SOURCE)  # type: ignore[operator]
            except SystemError as e:  # the 3.11 "recursion depth mismatch"
                errors.append(e)

    def garbage() -> None:
        for _ in range(200_000):
            a, b = _Finalised(), _Finalised()
            a.other, b.other = b, a

    threads = [threading.Thread(target=parse_many) for _ in range(3)] + [threading.Thread(target=garbage)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.usefixtures("tiny_switch_interval")
def test_parsing_from_several_threads_never_fails() -> None:
    assert _stress(parse_python) == []


def test_parse_python_raises_what_ast_parse_raises() -> None:
    with pytest.raises(SyntaxError):
        parse_python("def (:", "broken.py")
    with pytest.raises((SyntaxError, ValueError)):  # a NUL byte: ValueError or SyntaxError by version
        parse_python("x = 1\0", "nul.py")
    assert parse_python("x = 1").body
