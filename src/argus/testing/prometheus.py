"""A fake Prometheus HTTP API on 127.0.0.1 for tests: ``/api/v1/query_range`` (GET and form POST) as
Prometheus answers it.

Faithful where Argus depends on it: the parameters (``start``/``end`` as Unix seconds or RFC 3339,
``step`` as seconds or a duration such as ``15s``), the 11,000 points per series limit, the error
envelope (``{"status": "error", "errorType": "bad_data", "error": …}`` with HTTP 400; 503
``unavailable``; 422 ``execution``), the matrix result (``[[unix_time, "value"], …]``, values as strings,
``NaN`` for an undefined rate, ``__name__`` in the metric), and the evaluation of an instant vector at
each step: the newest sample within the 5 minute look-back at or before the step.

The "query language" is a metric name with optional exact label matchers (``up{job="api"}``); a query
with unbalanced brackets is a parse error; an unknown name matches nothing (an empty matrix).
"""

from __future__ import annotations

import bisect
import json
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from argus.testing.http import serve

MAX_POINTS = 11_000
LOOKBACK_S = 300.0
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_SELECTOR = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$')
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)"\s*,?')


@dataclass
class FakeSeries:
    name: str
    labels: dict[str, str]
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def at(self, t: float) -> float | None:
        """The newest sample in (t - look-back, t]."""
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0 or self.times[i] <= t - LOOKBACK_S:
            return None
        return self.values[i]


@dataclass
class FakePrometheus:
    """The server's state: its series, what it was asked, and a failure to answer with."""

    series: list[FakeSeries] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    #: (HTTP status, errorType, message) to answer every request with, or None.
    fail_with: tuple[int, str, str] | None = None
    #: Answer with this raw body and status instead (e.g. an HTML error page of a proxy).
    raw: tuple[int, str] | None = None
    #: Hold every request until released (a server that does not answer).
    hang: threading.Event | None = None
    #: Bearer token the server wants (None: none).
    token: str | None = None
    url: str = ""

    def add(self, name: str, labels: dict[str, str], samples: list[tuple[float, float]]) -> None:
        s = FakeSeries(name, dict(labels))
        for t, v in sorted(samples):
            s.times.append(float(t))
            s.values.append(float(v))
        self.series.append(s)


def _time(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ValueError(f'invalid parameter "{what}": cannot parse "{text}" to a valid timestamp') from None


def _step(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f'invalid parameter "step": cannot parse "{text}" to a valid duration')
    return float(m.group(1)) * _UNITS[m.group(2)]


def _fmt(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v)) if v != int(v) or abs(v) >= 1e15 else str(int(v))


def evaluate(state: FakePrometheus, query: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
    if query.count("(") != query.count(")") or query.count("{") != query.count("}"):
        raise SyntaxError("1:1: parse error: unclosed left parenthesis")
    m = _SELECTOR.match(query)
    if m is None:
        raise SyntaxError(f'1:1: parse error: unexpected character: "{query[:1]}"')
    name, inner = m.group(1), m.group(2) or ""
    want = dict(_MATCHER.findall(inner))
    out = []
    for s in state.series:
        if s.name != name or any(s.labels.get(k) != v for k, v in want.items()):
            continue
        values: list[list[Any]] = []
        n = math.floor((end - start) / step + 1e-9) + 1
        for k in range(n):
            t = start + k * step
            v = s.at(t)
            if v is not None:
                values.append([round(t, 3), _fmt(v)])
        if values:
            metric: dict[str, str] = {"__name__": s.name, **s.labels}
            out.append({"metric": metric, "values": values})
    return out


def _handler(state: FakePrometheus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: dict[str, Any] | str, content_type: str = "application/json") -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, kind: str, message: str) -> None:
            self._send(status, {"status": "error", "errorType": kind, "error": message})

        def do_GET(self) -> None:
            url = urlparse(self.path)
            self._answer(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            params.update({k: v[-1] for k, v in parse_qs(body).items()})
            self._answer(url.path, params)

        def _answer(self, path: str, params: dict[str, str]) -> None:
            state.requests.append(dict(params))
            if state.hang is not None:
                state.hang.wait(30)
                return
            if state.token is not None and self.headers.get("Authorization") != f"Bearer {state.token}":
                self._send(401, "Unauthorized\n", "text/plain")
                return
            if state.raw is not None:
                self._send(state.raw[0], state.raw[1], "text/html")
                return
            if state.fail_with is not None:
                self._error(*state.fail_with)
                return
            if path != "/api/v1/query_range":
                self._send(404, "404 page not found\n", "text/plain")
                return
            try:
                for p in ("start", "end", "step"):
                    if p not in params:
                        raise ValueError(f'invalid parameter "{p}": cannot parse "" to a valid '
                                         + ("duration" if p == "step" else "timestamp"))
                start, end = _time(params["start"], "start"), _time(params["end"], "end")
                step = _step(params["step"])
                if end < start:
                    raise ValueError('invalid parameter "end": end timestamp must not be before start time')
                if step <= 0:
                    raise ValueError("zero or negative query resolution step widths are not accepted. "
                                     "Try a positive integer")
                if (end - start) / step > MAX_POINTS:
                    raise ValueError("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
                                     "the query resolution (?step=XX)")
                if "query" not in params or not params["query"].strip():
                    raise ValueError('invalid parameter "query": 1:1: parse error: no expression found in input')
                result = evaluate(state, params["query"], start, end, step)
            except (ValueError, SyntaxError) as exc:
                self._error(400, "bad_data", str(exc))
                return
            self._send(200, {"status": "success", "data": {"resultType": "matrix", "result": result}})

    return Handler


@contextmanager
def fake_prometheus(state: FakePrometheus | None = None) -> Iterator[FakePrometheus]:
    """Serve a fake Prometheus on 127.0.0.1; ``state.url`` is its base URL."""
    state = state or FakePrometheus()

    def release() -> None:
        if state.hang is not None:
            state.hang.set()

    with serve(_handler(state), on_stop=release) as url:
        state.url = url
        yield state
