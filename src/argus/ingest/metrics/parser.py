"""Parse metric files (pure): a ``timestamp,value`` CSV or OpenMetrics / Prometheus text → :class:`ParsedSeries`.

CSV: the header ``timestamp,value``, ISO 8601 times (UTC when no offset). OpenMetrics text: one sample a
line, ``name{label="v",...} value [timestamp]`` (``# HELP``/``# TYPE``/``# EOF`` lines skipped); the
timestamp is in seconds (OpenMetrics) or, when above 10^11, milliseconds (Prometheus text); a sample
without one is taken at ``now``. Only the samples named ``name`` are kept, one series per label set.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from argus.core.errors import InputError

_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:.\-]*$")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(\S+))?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_MS_ABOVE = 1e11


class MetricFormat(StrEnum):
    AUTO = "auto"
    CSV = "csv"
    OPENMETRICS = "openmetrics"


@dataclass(frozen=True)
class ParsedSeries:
    """One series read from a file: its name, labels, and points in time order (UTC, naive)."""

    name: str
    labels: dict[str, str]
    times: tuple[datetime, ...]
    values: tuple[float, ...]


def series_key(name: str, labels: dict[str, str]) -> str:
    """``name{k="v",...}`` with the labels sorted (just ``name`` without labels): a series' identity."""
    if not labels:
        return name
    inner = ",".join(f'{k}="{v}"'.replace("\n", "\\n") for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def check_name(name: str) -> str:
    if not _NAME.match(name) or len(name) > 255:
        raise InputError(f"--series {name!r}: a series name is letters, digits, '_', ':', '.', '-' "
                         "(starting with a letter, '_' or ':'), at most 255 characters")
    return name


def detect(lines: Sequence[str]) -> MetricFormat:
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        # OpenMetrics lines are "# ..." or "name{...} value": a comma outside braces means CSV
        head = text.split("{", 1)[0]
        return MetricFormat.OPENMETRICS if text.startswith("#") or "," not in head else MetricFormat.CSV
    return MetricFormat.CSV


def _iso(text: str, where: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{where}: timestamp {text!r} is not an ISO 8601 date-time") from None
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo is not None else t


def _number(text: str, where: str, what: str = "value") -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(v):
        raise InputError(f"{where}: {what} {text!r} is not a finite number")
    return v


def _sorted_unique(times: list[datetime], values: list[float], where: str) -> tuple[tuple[datetime, ...], tuple[float, ...]]:
    """Points in time order; a time given twice keeps its last value."""
    last: dict[datetime, float] = {}
    for t, v in zip(times, values, strict=True):
        last[t] = v
    order = sorted(last)
    if not order:
        raise InputError(f"{where}: no points")
    return tuple(order), tuple(last[t] for t in order)


def parse_csv(lines: Sequence[str], name: str, source: str) -> ParsedSeries:
    rows = csv.reader(lines)
    header = next(rows, None)
    if header is None or tuple(h.strip().lower() for h in header[:2]) != ("timestamp", "value"):
        got = ",".join(header) if header else "an empty file"
        raise InputError(f"{source}: expected the header 'timestamp,value', got {got!r}")
    times: list[datetime] = []
    values: list[float] = []
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        where = f"{source}:{rows.line_num}"
        if len(row) < 2:
            raise InputError(f"{where}: expected 'timestamp,value', got {','.join(row)!r}")
        times.append(_iso(row[0], where))
        values.append(_number(row[1].strip(), where))
    t, v = _sorted_unique(times, values, source)
    return ParsedSeries(name, {}, t, v)


def _labels(text: str | None, where: str) -> dict[str, str]:
    if not text:
        return {}
    inner = text[1:-1]
    out: dict[str, str] = {}
    pos = 0
    while pos < len(inner):
        m = _LABEL.match(inner, pos)
        if m is None or m.end() == pos:
            raise InputError(f"{where}: cannot read the labels {text!r} (expected name=\"value\", ...)")
        out[m.group(1)] = m.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        pos = m.end()
    return out


def parse_openmetrics(lines: Sequence[str], name: str, source: str, now: datetime) -> list[ParsedSeries]:
    found: dict[str, tuple[dict[str, str], list[datetime], list[float]]] = {}
    names: set[str] = set()
    for i, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{source}:{i}"
        m = _SAMPLE.match(text)
        if m is None:
            raise InputError(f"{where}: expected 'name{{labels}} value [timestamp]', got {text[:80]!r}")
        names.add(m.group(1))
        if m.group(1) != name:
            continue
        labels = _labels(m.group(2), where)
        value = _number(m.group(3), where)
        if m.group(4) is None:
            at = now
        else:
            secs = _number(m.group(4), where, "timestamp")
            secs = secs / 1000.0 if secs > _MS_ABOVE else secs
            at = datetime.fromtimestamp(secs, UTC).replace(tzinfo=None)
        entry = found.setdefault(series_key(name, labels), (labels, [], []))
        entry[1].append(at)
        entry[2].append(value)
    if not found:
        known = ", ".join(sorted(names)[:10]) or "none"
        raise InputError(f"{source}: no sample named {name!r} (names in the file: {known})")
    out = []
    for _key, (labels, times, values) in sorted(found.items()):
        t, v = _sorted_unique(times, values, source)
        out.append(ParsedSeries(name, labels, t, v))
    return out


def parse_metrics(lines: Sequence[str], name: str, source: str, now: datetime,
                  fmt: MetricFormat = MetricFormat.AUTO) -> list[ParsedSeries]:
    """The series of ``name`` in a metric file (CSV: one; OpenMetrics: one per label set)."""
    check_name(name)
    kind = detect(lines) if fmt is MetricFormat.AUTO else fmt
    if kind is MetricFormat.CSV:
        return [parse_csv(lines, name, source)]
    return parse_openmetrics(lines, name, source, now)
