"""Metric files: timestamp,value CSV and OpenMetrics text → series (pure parser)."""

from __future__ import annotations

from datetime import datetime

import pytest

from argus.core.errors import InputError
from argus.ingest.metrics.parser import MetricFormat, detect, parse_metrics, series_key

NOW = datetime(2026, 1, 2, 3, 4, 5)


def test_csv_is_read_sorted_in_utc_and_a_repeated_time_keeps_its_last_value() -> None:
    lines = ["timestamp,value", "2026-01-01T01:00:00+01:00,3", "2026-01-01 01:00:00,5", "", "2026-01-01T00:00:00Z,4"]
    [s] = parse_metrics(lines, "queue_s", "q.csv", NOW)
    assert (s.name, s.labels) == ("queue_s", {})
    assert s.times == (datetime(2026, 1, 1, 0, 0), datetime(2026, 1, 1, 1, 0))
    assert s.values == (4.0, 5.0)


def test_openmetrics_keeps_the_named_samples_one_series_per_label_set() -> None:
    text = """# HELP queue_seconds Build queue time.
# TYPE queue_seconds gauge
queue_seconds{runner="linux",pool="a"} 12.5 1767225600
queue_seconds{pool="a",runner="linux"} 13 1767225660.5
queue_seconds{runner="mac"} 40 1767225600000
other_metric 1 1767225600
queue_seconds 7
# EOF"""
    got = parse_metrics(text.splitlines(), "queue_seconds", "m.txt", NOW)
    keys = [series_key(s.name, s.labels) for s in got]
    assert keys == ["queue_seconds", 'queue_seconds{pool="a",runner="linux"}', 'queue_seconds{runner="mac"}']
    plain, linux, mac = got
    assert plain.times == (NOW,) and plain.values == (7.0,)
    assert linux.values == (12.5, 13.0) and linux.times[0] == datetime(2026, 1, 1, 0, 0)
    assert mac.times == (datetime(2026, 1, 1, 0, 0),)  # milliseconds (Prometheus text) recognised


def test_format_is_detected_from_the_first_line() -> None:
    assert detect(["", "timestamp,value"]) is MetricFormat.CSV
    assert detect(["# TYPE x gauge"]) is MetricFormat.OPENMETRICS


@pytest.mark.parametrize(("lines", "name", "needle"), [
    (["time,val"], "q", "expected the header 'timestamp,value'"),
    (["timestamp,value", "2026-01-01T00:00:00,nan"], "q", "m:2: value 'nan' is not a finite number"),
    (["timestamp,value", "soon,1"], "q", "m:2: timestamp 'soon' is not an ISO 8601"),
    (["timestamp,value"], "q", "m: no points"),
    (["x 1", "y 2"], "q", "no sample named 'q' (names in the file: x, y)"),
    (["q{a=b} 1"], "q", "m:1: cannot read the labels"),
    (["q 1 later"], "q", "m:1: timestamp 'later' is not a number"),
    (["timestamp,value"], "bad name!", "--series 'bad name!'"),
])
def test_bad_input_names_the_file_and_line(lines: list[str], name: str, needle: str) -> None:
    with pytest.raises(InputError, match=None) as err:
        parse_metrics(lines, name, "m", NOW)
    assert needle in str(err.value)
