"""Prometheus ``query_range`` pull against a fake Prometheus over real HTTP on 127.0.0.1: series per
label set, the 11,000-points limit (windows), non-finite values, and every error as one line."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest

from argus.core.errors import InputError
from argus.ingest.metrics.prometheus import PrometheusError, RangeQuery, query_range
from argus.testing.prometheus import FakePrometheus, fake_prometheus

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def q(url: str, query: str = "build_queue_seconds", *, hours: float = 1.0, step: float = 60.0,
      **kw: object) -> RangeQuery:
    return RangeQuery(url, query, T0, T0 + timedelta(hours=hours), step, **kw)  # type: ignore[arg-type]


def minutes(n: int, f: object = None) -> list[tuple[float, float]]:
    return [(T0.timestamp() + 60 * i, float(i) if f is None else f(i)) for i in range(n)]  # type: ignore[operator]


def test_one_series_per_label_set_in_time_order() -> None:
    with fake_prometheus() as prom:
        prom.add("build_queue_seconds", {"job": "api"}, minutes(61))
        prom.add("build_queue_seconds", {"job": "web"}, minutes(61, lambda i: 100 + i))
        prom.add("other_metric", {}, minutes(61))
        got = query_range(q(prom.url), "ci.queue_s")
        assert [(s.name, s.labels) for s in got] == [("ci.queue_s", {"job": "api"}), ("ci.queue_s", {"job": "web"})]
        api = got[0]
        assert len(api.times) == 61 and api.times[0] == T0.replace(tzinfo=None)
        assert list(api.values[:3]) == [0.0, 1.0, 2.0]
        assert list(got[1].values[-2:]) == [159.0, 160.0]
        (asked,) = prom.requests
        assert asked["query"] == "build_queue_seconds" and asked["step"] == "60"
        # a label matcher narrows the result, as in PromQL
        only = query_range(q(prom.url, 'build_queue_seconds{job="web"}'), "ci.queue_s")
        assert [s.labels for s in only] == [{"job": "web"}]
        # nothing matched: no series (not an error)
        assert query_range(q(prom.url, "no_such_metric"), "x") == []


def test_non_finite_values_are_skipped() -> None:
    with fake_prometheus() as prom:
        prom.add("error_rate", {}, minutes(10, lambda i: float("nan") if i % 3 == 0 else i / 10))
        (s,) = query_range(q(prom.url, "error_rate", hours=9 / 60), "rate")
        assert len(s.times) == 6 and all(v == v for v in s.values)


def test_a_long_range_is_fetched_in_windows_under_prometheus_limit() -> None:
    n = 25_001  # steps of 1 minute: more than 11,000 points, the fake refuses a window above it
    with fake_prometheus() as prom:
        prom.add("up", {"instance": "a"}, minutes(n))
        (s,) = query_range(q(prom.url, "up", hours=(n - 1) / 60), "up")
        assert len(prom.requests) == 3
        assert len(s.times) == n and len(set(s.times)) == n
        assert s.values[0] == 0.0 and s.values[-1] == float(n - 1)
        # one window past the limit is what Prometheus (and the fake) refuses
        with pytest.raises(InputError, match="exceeded maximum resolution of 11,000 points"):
            query_range(q(prom.url, "up", hours=(n - 1) / 60, max_points=20_000), "up")


def test_a_query_prometheus_refuses_is_bad_input_with_its_message() -> None:
    with fake_prometheus() as prom, pytest.raises(InputError) as err:
        query_range(q(prom.url, "rate(http_requests_total[5m]"), "x")
    assert "refused the query: 1:1: parse error: unclosed left parenthesis" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("state", "words"), [
    (FakePrometheus(fail_with=(503, "unavailable", "the TSDB is starting")), "HTTP 503 (unavailable: the TSDB is"),
    (FakePrometheus(fail_with=(500, "internal", "boom")), "HTTP 500 (internal: boom)"),
    (FakePrometheus(raw=(200, "<html>proxy login</html>")), "not JSON"),
    (FakePrometheus(raw=(502, "<html>Bad Gateway</html>")), "HTTP 502"),
    (FakePrometheus(token="s3cret"), "HTTP 401"),
])
def test_server_failures_are_one_line_errors(state: FakePrometheus, words: str) -> None:
    with fake_prometheus(state) as prom, pytest.raises(PrometheusError) as err:
        query_range(q(prom.url), "x")
    assert words in str(err.value) and "\n" not in str(err.value)


def test_a_bearer_token_is_sent() -> None:
    with fake_prometheus(FakePrometheus(token="s3cret")) as prom:
        prom.add("up", {}, minutes(3))
        (s,) = query_range(q(prom.url, "up", hours=2 / 60, authorization="Bearer s3cret"), "up")
        assert len(s.times) == 3


def test_a_server_that_does_not_answer_times_out() -> None:
    with fake_prometheus(FakePrometheus(hang=threading.Event())) as prom, pytest.raises(PrometheusError) as err:
        query_range(q(prom.url, timeout_s=0.5), "x")
    assert "no answer within 0.5 s" in str(err.value)


def test_an_unreachable_server_is_an_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PrometheusError, match=f"Prometheus http://127.0.0.1:{port}"):
        query_range(q(f"http://127.0.0.1:{port}"), "x")


@pytest.mark.parametrize(("kw", "words"), [
    ({"url": "ftp://prom"}, "http:// or https://"),
    ({"query": "  "}, "--query"),
    ({"step_s": 0.0}, "--step 0.0"),
    ({"step_s": float("nan")}, "--step"),
    ({"end": T0 - timedelta(hours=1)}, "is after --end"),
    ({"step_s": 0.001, "end": T0 + timedelta(days=365)}, "at most 1000"),
])
def test_range_queries_are_checked_before_any_request(kw: dict[str, object], words: str) -> None:
    args: dict[str, object] = {"url": "http://127.0.0.1:9", "query": "up", "start": T0,
                               "end": T0 + timedelta(hours=1), "step_s": 60.0}
    args.update(kw)
    with pytest.raises(InputError, match=words.replace("(", r"\(")):
        RangeQuery(**args)  # type: ignore[arg-type]
