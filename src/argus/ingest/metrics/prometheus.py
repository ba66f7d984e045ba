"""Pull a series from Prometheus: ``GET /api/v1/query_range`` (httpx) → :class:`ParsedSeries`.

One series per label set of the result (``__name__`` dropped), points in time order, values that are
not finite (``NaN``, ``+Inf``: Prometheus writes them for empty rates) skipped. Prometheus refuses a
range of more than 11,000 steps per series, so a longer range is fetched in consecutive windows of at
most ``max_points`` steps and joined.

Errors, one line each: an unreachable server, a timeout, an HTTP 5xx or a body that is not
Prometheus's JSON → :class:`PrometheusError` (exit 1: try again later); a query Prometheus refuses
(HTTP 400/422, ``errorType`` ``bad_data``/``execution``) → :class:`~argus.core.errors.InputError`
(exit 6), with Prometheus's own message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from argus.core.errors import ArgusError, InputError
from argus.ingest.metrics.parser import ParsedSeries

#: Prometheus's own limit of points per series in one range query.
PROMETHEUS_MAX_POINTS = 11_000
#: Most windows one pull may fetch (a bound on a mistyped --start).
MAX_WINDOWS = 1000


class PrometheusError(ArgusError):
    """Prometheus could not be reached or answered with an error that is not the query's fault."""

    exit_code = 1


@dataclass(frozen=True)
class RangeQuery:
    """A PromQL range query: ``query`` over [start, end] every ``step_s`` seconds at ``url``."""

    url: str
    query: str
    start: datetime
    end: datetime
    step_s: float
    timeout_s: float = 30.0
    max_points: int = PROMETHEUS_MAX_POINTS
    #: ``Authorization`` header value (e.g. ``Bearer …``), when the server wants one.
    authorization: str | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise InputError(f"--prometheus {self.url!r}: give the server's http:// or https:// URL")
        if not self.query.strip() or len(self.query) > 10_000 or "\x00" in self.query:
            raise InputError("--query: give a PromQL expression (at most 10,000 characters)")
        if not (math.isfinite(self.step_s) and self.step_s > 0):
            raise InputError(f"--step {self.step_s}: give a positive number of seconds")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InputError("--start/--end: give times with a zone (UTC is assumed when none is given)")
        if self.end < self.start:
            raise InputError(f"--start {self.start.isoformat()} is after --end {self.end.isoformat()}")
        if self.windows() > MAX_WINDOWS:
            raise InputError(f"--start/--end/--step: {self.windows()} requests of {self.max_points} steps; "
                             f"at most {MAX_WINDOWS} (a larger --step or a shorter range)")

    def windows(self) -> int:
        steps = int((self.end - self.start).total_seconds() // self.step_s) + 1
        return max(1, math.ceil(steps / self.max_points))

    def describe(self) -> str:
        return f"prometheus {self.url.rstrip('/')} query_range {self.query[:200]}"


def _ts(value: datetime) -> str:
    return f"{value.timestamp():.3f}"


def _fail(q: RangeQuery, resp: httpx.Response) -> None:
    """Raise the error of a non-success answer."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    kind = message = None
    if isinstance(body, dict) and body.get("status") == "error":
        kind, message = str(body.get("errorType", "")), str(body.get("error", ""))[:300]
    where = f"Prometheus {q.url.rstrip('/')}"
    if resp.status_code in (400, 422) or kind in ("bad_data", "execution"):
        raise InputError(f"{where} refused the query: {message or resp.text.strip()[:300]}")
    detail = f"{kind}: {message}" if kind else resp.text.strip()[:200] or resp.reason_phrase
    raise PrometheusError(f"{where}: HTTP {resp.status_code} ({detail})")


def _window(client: httpx.Client, q: RangeQuery, start: datetime, end: datetime) -> list[dict[str, Any]]:
    params = {"query": q.query, "start": _ts(start), "end": _ts(end), "step": f"{q.step_s:g}"}
    try:
        resp = client.get(q.url.rstrip("/") + "/api/v1/query_range", params=params)
    except httpx.TimeoutException:
        raise PrometheusError(f"Prometheus {q.url}: no answer within {q.timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise PrometheusError(f"Prometheus {q.url}: {exc}") from None
    if resp.status_code != 200:
        _fail(q, resp)
    try:
        body = resp.json()
    except ValueError:
        raise PrometheusError(f"Prometheus {q.url}: the answer is not JSON (is this a Prometheus server?)") from None
    if not isinstance(body, dict) or body.get("status") != "success":
        _fail(q, resp)
    data = body.get("data")
    if not isinstance(data, dict) or data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
        got = data.get("resultType") if isinstance(data, dict) else None
        raise PrometheusError(f"Prometheus {q.url}: expected a matrix result of query_range, got {got!r}")
    return list(data["result"])


def query_range(q: RangeQuery, name: str, *, transport: httpx.BaseTransport | None = None) -> list[ParsedSeries]:
    """The series ``name`` (one per label set of the result) of ``q``; empty when the query matched
    nothing in the range."""
    found: dict[tuple[tuple[str, str], ...], dict[datetime, float]] = {}
    span = timedelta(seconds=q.step_s * (q.max_points - 1))
    headers = {"Accept": "application/json"}
    if q.authorization:
        headers["Authorization"] = q.authorization
    with httpx.Client(timeout=q.timeout_s, transport=transport, headers=headers, follow_redirects=True) as client:
        start = q.start
        while start <= q.end:
            end = min(q.end, start + span)
            for item in _window(client, q, start, end):
                if not isinstance(item, dict) or not isinstance(item.get("values"), list):
                    raise PrometheusError(f"Prometheus {q.url}: a result without values")
                metric = item.get("metric") or {}
                labels = tuple(sorted((str(k), str(v)) for k, v in metric.items() if k != "__name__"))
                points = found.setdefault(labels, {})
                for pair in item["values"]:
                    try:
                        at, raw = float(pair[0]), float(pair[1])
                    except (TypeError, ValueError, IndexError):
                        raise PrometheusError(f"Prometheus {q.url}: a point that is not [time, \"value\"]: "
                                              f"{str(pair)[:80]}") from None
                    if math.isfinite(raw) and math.isfinite(at):
                        points[datetime.fromtimestamp(at, UTC).replace(tzinfo=None)] = raw
            start = end + timedelta(seconds=q.step_s)
    out = []
    for labels, points in sorted(found.items()):
        times = tuple(sorted(points))
        if times:
            out.append(ParsedSeries(name, dict(labels), times, tuple(points[t] for t in times)))
    return out
