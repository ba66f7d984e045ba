"""Validate option values before anything touches the database (one-line errors, exit 6).

The bounds are those of :mod:`argus.core.values`: a row id no ``BIGINT`` column holds (``insights
show 10^23``) would otherwise fail inside the database with a traceback printing SQL parameters, a
256-character ``--run-id`` fails on PostgreSQL only. Use them as Typer ``callback=``s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argus.core.errors import InputError
from argus.core.values import MAX_CI_TEXT, MAX_DAYS, MAX_INT32, MAX_INT64, is_commit_sha


def _show(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def db_id(what: str) -> Callable[[int | None], int | None]:
    """Callback: a stored row id (1 to ``MAX_INT64``), e.g. ``insights show ID``."""

    def check(value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_INT64:
            raise InputError(f"{what} {_show(value)}: expected a whole number from 1 to {MAX_INT64}")
        return value

    return check


def count(option: str) -> Callable[[int | None], int | None]:
    """Callback: a count or limit from 0 to ``MAX_INT32``."""

    def check(value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_INT32:
            raise InputError(f"{option} {_show(value)}: expected a whole number from 0 to {MAX_INT32}")
        return value

    return check


def ci_text(option: str) -> Callable[[str | None], str | None]:
    """Callback: at most ``MAX_CI_TEXT`` printable characters (run id, branch, job)."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_CI_TEXT:
            raise InputError(f"{option}: {len(value)} characters, expected at most {MAX_CI_TEXT}")
        if any(not ch.isprintable() for ch in value) or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise InputError(f"{option} {_show(value)}: expected printable text (no control characters)")
        return value

    return check


def commit_sha(value: str | None) -> str | None:
    """Callback: a commit SHA of 4 to 64 hexadecimal digits (abbreviated, SHA-1 or SHA-256)."""
    if value is not None and not is_commit_sha(value):
        raise InputError(f"--commit {_show(value)}: expected a commit SHA of 4 to 64 hexadecimal digits")
    return value


def attempt(value: str | None) -> str | None:
    """Callback: a CI attempt number from 1 to ``MAX_INT32`` (taken as text so that any input is one line)."""
    if value is None:
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_INT32):
        raise InputError(f"--attempt {_show(value)}: expected a whole number from 1 to {MAX_INT32}")
    return text


def as_attempt(value: str | None) -> int | None:
    """The ``--attempt`` value checked by :func:`attempt` as a number."""
    return None if value is None else int(value)


def days(value: int | None) -> int | None:
    """Callback: a window of 0 to ``MAX_DAYS`` days."""
    if value is not None and not 0 <= value <= MAX_DAYS:
        raise InputError(f"--days {_show(value)}: expected a whole number of days from 0 to {MAX_DAYS}")
    return value


def env_pairs(pairs: list[str]) -> dict[str, str]:
    """The ``--env KEY=VALUE`` options (repeatable) as a mapping; a pair without ``=`` or a key is bad input."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--env {pair!r}: expected KEY=VALUE")
        env[key.strip()] = value
    return env
