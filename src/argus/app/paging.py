"""Keyset pagination for the read use cases: an opaque cursor, a time window, a page of read models.

A cursor is the sort key of the last row of a page, encoded (base64url of JSON) together with the
list it belongs to. The next page starts strictly after that key in the list's deterministic order
(every order ends with the row id), so rows inserted while a client walks the pages never make it
see a row twice or skip one that existed when it started.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from argus.core.errors import InputError
from argus.core.values import MAX_INT64

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select
    from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")
R = TypeVar("R")

#: Largest page a caller may ask for.
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageRequest:
    """Which page of a project's list: ``limit`` rows after ``cursor``, within [since, until]."""

    project: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # text a database refuses (PostgreSQL: NUL) is bad input
            value = getattr(self, f.name)
            if isinstance(value, str) and "\x00" in value:
                raise InputError(f"{f.name}: NUL characters are not allowed")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InputError(f"limit {self.limit}: give a whole number from 1 to {MAX_LIMIT}")
        try:
            since, until = as_utc(self.since), as_utc(self.until)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00, before the first UTC day
            raise InputError(f"since {self.since} / until {self.until}: a time in UTC from year 1 to 9999") from None
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "until", until)
        if since is not None and until is not None and since > until:
            raise InputError(f"since {since.isoformat()} is after until {until.isoformat()}")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next one (None: this is the last page)."""

    items: tuple[T, ...]
    next_cursor: str | None


def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (a naive one is taken as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return {"t": as_utc(v).isoformat()}  # type: ignore[union-attr]
    return v


def _typed(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"t"} and isinstance(v["t"], str):
        return datetime.fromisoformat(v["t"])
    return v


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    """The opaque cursor of sort key ``key`` in list ``kind``."""
    raw = json.dumps([kind, [_plain(v) for v in key]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, types: Sequence[type]) -> list[Any]:
    """The sort key of ``cursor``, one value of each of ``types`` (``int``: a signed 64-bit integer,
    ``float``: a finite number, ``datetime``: aware UTC, ``str``: text a database stores). An
    :class:`InputError` when it is not a cursor of list ``kind``: a forged or damaged cursor is bad
    input, never a query the database refuses."""
    bad = InputError(f"cursor {cursor[:40]!r}: not a cursor of this list (use next_cursor of a previous page)")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        got_kind, key = data
        values = [_typed(v) for v in key]
        if got_kind != kind or len(values) != len(types):
            raise bad
        return [_checked(v, t) for v, t in zip(values, types, strict=True)]
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeError) as exc:
        raise bad from exc


def _checked(v: Any, t: type) -> Any:
    """``v`` as a key value of type ``t`` (a ValueError when it is not one)."""
    if isinstance(v, bool):
        raise ValueError(v)
    if t is int and isinstance(v, int) and -MAX_INT64 - 1 <= v <= MAX_INT64:
        return v
    if t is float and isinstance(v, (int, float)) and math.isfinite(value := float(v)):
        return value
    if t is datetime and isinstance(v, datetime):
        return as_utc(v)
    if t is str and isinstance(v, str) and "\x00" not in v:
        v.encode("utf-8")  # a lone surrogate: UnicodeEncodeError
        return v
    raise ValueError(v)


def after(order: Sequence[tuple[InstrumentedAttribute[Any] | ColumnElement[Any], bool]],
          key: Sequence[Any]) -> ColumnElement[bool]:
    """The SQL condition "strictly after ``key``" in ``order`` ((column, descending) pairs)."""
    from sqlalchemy import and_, or_

    terms = []
    for i, (col, desc) in enumerate(order):
        eq = [c == v for (c, _), v in zip(order[:i], key[:i], strict=True)]
        terms.append(and_(*eq, col < key[i] if desc else col > key[i]))
    return or_(*terms)


def order_by(order: Sequence[tuple[Any, bool]]) -> list[Any]:
    return [c.desc() if desc else c.asc() for c, desc in order]


def scan_chunks(session: Session, stmt: Select[Any], order: Sequence[tuple[Any, bool]],
                key_of: Callable[[Any], Sequence[Any]], key: Sequence[Any] | None, chunk: int) -> Iterator[list[Any]]:
    """The rows of ``stmt`` strictly after ``key`` in ``order``, ``chunk`` rows at a time (lazily: a
    consumer that stops early reads no further chunk)."""
    while True:
        q = stmt.where(after(order, key)) if key is not None else stmt
        rows = list(session.execute(q.order_by(*order_by(order)).limit(chunk)).all())
        if rows:
            yield rows
        if len(rows) < chunk:
            return
        key = key_of(rows[-1])


def scan(session: Session, stmt: Select[Any], order: Sequence[tuple[Any, bool]],
         key_of: Callable[[Any], Sequence[Any]], key: Sequence[Any] | None, chunk: int) -> Iterator[Any]:
    """:func:`scan_chunks`, row by row."""
    for rows in scan_chunks(session, stmt, order, key_of, key, chunk):
        yield from rows


def paginate(kind: str, rows: Iterable[R], limit: int, key_of: Callable[[R], Sequence[Any]],
             view_of: Callable[[R], T | None]) -> Page[T]:
    """The page of at most ``limit`` views of ``rows`` (in order; ``view_of`` may drop a row with None),
    with the cursor after the last one when another view follows."""
    items: list[T] = []
    last: R | None = None
    for row in rows:
        view = view_of(row)
        if view is None:
            continue
        if len(items) == limit:
            assert last is not None
            return Page(tuple(items), encode_cursor(kind, key_of(last)))
        items.append(view)
        last = row
    return Page(tuple(items), None)
