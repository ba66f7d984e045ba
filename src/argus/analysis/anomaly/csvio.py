"""Read a ``timestamp,value`` CSV into a :class:`Series` (pure: text in, typed series out)."""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from argus.analysis.anomaly.schemas import Series
from argus.core.errors import InputError

HEADER = ("timestamp", "value")


def _parse_time(text: str, where: str) -> np.datetime64:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{where}: timestamp {text!r} is not an ISO 8601 date-time") from None
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(t, "s")


def read_series(lines: Iterable[str], name: str) -> Series:
    """Parse CSV text with the header ``timestamp,value`` (ISO 8601 times, UTC if no offset).

    Raises :class:`InputError` naming ``name`` and the line for a bad header, an unparsable timestamp,
    a non-numeric or non-finite value, a short row, or a timestamp earlier than the row before.
    """
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None or tuple(h.strip().lower() for h in header[:2]) != HEADER:
        got = ",".join(header) if header else "an empty file"
        raise InputError(f"{name}: expected the header 'timestamp,value', got {got!r}")
    stamps: list[str] = []
    values: list[str] = []
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) < 2:
            raise InputError(f"{name}:{rows.line_num}: expected 'timestamp,value', got {','.join(row)!r}")
        stamps.append(row[0])
        values.append(row[1])
    try:
        with warnings.catch_warnings():  # numpy warns that it converts offsets to UTC: that is what we want
            warnings.simplefilter("ignore", UserWarning)
            ts = np.array(stamps, dtype="datetime64[s]")
    except ValueError:
        ts = np.array([_parse_time(s, f"{name}:{i + 2}") for i, s in enumerate(stamps)], dtype="datetime64[s]")
    try:
        vs = np.array(values, dtype=np.float64)
    except ValueError:
        vs = np.empty(len(values))
        for i, s in enumerate(values):
            try:
                vs[i] = float(s)
            except ValueError:
                raise InputError(f"{name}:{i + 2}: value {s!r} is not a number") from None
    bad = np.flatnonzero(~np.isfinite(vs))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}:{i + 2}: value {values[i]!r} is not a finite number")
    if ts.size and np.isnat(ts).any():
        i = int(np.flatnonzero(np.isnat(ts))[0])
        raise InputError(f"{name}:{i + 2}: timestamp {stamps[i]!r} is not a date-time")
    back = np.flatnonzero(ts[1:] < ts[:-1])
    if back.size:
        i = int(back[0]) + 1
        raise InputError(f"{name}:{i + 2}: timestamp {stamps[i]!r} is earlier than the row before (sort the file)")
    return Series(timestamps=ts, values=vs)


def format_value(x: float) -> str:
    """Shortest text that reads back to the same float (integers without '.0')."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)
