"""Read one input file safely and ingest it in isolation (its own SAVEPOINT, dead letter on refusal).

Shared by the coverage and vulnerability ingesters (test reports have the same rules in their own
service): a missing path, a directory, a FIFO or a device is refused without being opened (a FIFO
would block forever), an oversized file is refused after reading only its head, and a database
error while storing one file rolls back that file only and is recorded as its dead letter.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.core.errors import RejectedInputError
from argus.core.hashing import sha256_bytes
from argus.core.values import clean_text
from argus.ingest.deadletter import HEAD_BYTES, record_dead_letter

T = TypeVar("T")


class InputFileError(RejectedInputError):
    """A path is missing, unreadable or not a regular file."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_regular_reason(path: Path) -> str | None:
    """Why ``path`` cannot be read as a report (missing, a FIFO, a directory …), or ``None`` for a regular file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "file does not exist"
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    return None if stat.S_ISREG(mode) else f"{_kind(mode)}, expected a regular file"


def read_input(path: Path, max_bytes: int, name: str | None = None) -> bytes:
    """The file's bytes (only the head past ``max_bytes``, for the parser to refuse); refuse non-files."""
    name = clean_text(name if name is not None else str(path))
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputFileError(name, "file does not exist") from None
    except OSError as exc:
        raise InputFileError(name, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise InputFileError(name, f"{_kind(mode)}, expected a regular file")
    try:
        with path.open("rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputFileError(name, f"cannot read: {exc.strerror or exc}") from None


def db_error_detail(exc: BaseException) -> str:
    """The first line of a database error (no SQL, parameters or row values: they may quote the input)."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return type(exc).__name__
    lines = str(orig).strip().splitlines()
    return (lines[0] if lines else type(orig).__name__)[:300]


def ingest_file_isolated(
    session: Session, source: DeadLetterSource, path: Path, max_bytes: int,
    ingest: Callable[[bytes, str], T], name: str | None = None,
) -> T:
    """Read ``path`` and run ``ingest(data, name)`` inside a SAVEPOINT; re-raise a refusal as
    :class:`RejectedInputError` after recording its dead letter (outside the rolled-back SAVEPOINT).

    ``ingest`` records the dead letters of parse errors itself (before writing anything), so a
    :class:`RejectedInputError` from it keeps the SAVEPOINT; a database error rolls it back. ``name``
    names the input (default: the path; an upload names the client's file, not its temporary copy).
    """
    name = clean_text(name if name is not None else str(path))
    try:
        data = read_input(path, max_bytes, name)
    except InputFileError as exc:
        record_dead_letter(session, source, name, exc.reason)
        raise
    savepoint = session.begin_nested()
    try:
        result = ingest(data, name)
    except RejectedInputError:
        savepoint.commit()
        raise
    except (SQLAlchemyError, OverflowError, UnicodeEncodeError) as exc:
        savepoint.rollback()
        detail = db_error_detail(exc)
        reason = f"database refused the report: {detail}"
        record_dead_letter(session, source, name, reason, content_hash=sha256_bytes(data),
                           size_bytes=len(data), excerpt=data[:HEAD_BYTES])
        raise RejectedInputError(name, reason) from None
    savepoint.commit()
    return result
