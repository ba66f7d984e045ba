"""Reading ``timestamp,value`` CSV: what is accepted and the one-line reasons for what is not."""

from __future__ import annotations

import numpy as np
import pytest

from argus.analysis.anomaly.csvio import format_value, read_series
from argus.core.errors import InputError


def test_reads_nab_style_iso_and_offsets() -> None:
    s = read_series(["timestamp,value", "2014-04-01 00:00:00,1.5", "2014-04-01T00:05:00Z,2", "",
                     "2014-04-01T02:10:00+02:00,3e1"], "m.csv")
    assert s.values.tolist() == [1.5, 2.0, 30.0]
    assert s.timestamps.astype(str).tolist() == ["2014-04-01T00:00:00", "2014-04-01T00:05:00", "2014-04-01T00:10:00"]


@pytest.mark.parametrize(("lines", "needle"), [
    ([], "expected the header 'timestamp,value'"),
    (["time,val", "2014-04-01 00:00:00,1"], "expected the header"),
    (["timestamp,value", "2014-04-01 00:00:00,abc"], "m.csv:2: value 'abc' is not a number"),
    (["timestamp,value", "2014-04-01 00:00:00,1", "2014-04-01 00:05:00,nan"], "m.csv:3: value 'nan' is not a finite"),
    (["timestamp,value", "yesterday,1"], "m.csv:2: timestamp 'yesterday' is not an ISO 8601"),
    (["timestamp,value", ",1"], "m.csv:2: timestamp '' is not"),
    (["timestamp,value", "2014-04-01 00:00:00"], "expected 'timestamp,value'"),
    (["timestamp,value", "2014-04-02 00:00:00,1", "2014-04-01 00:00:00,1"], "m.csv:3: timestamp '2014-04-01 00:00:00' is earlier"),
])
def test_bad_input_names_the_file_and_line(lines: list[str], needle: str) -> None:
    with pytest.raises(InputError) as e:
        read_series(lines, "m.csv")
    assert needle in str(e.value)
    assert "\n" not in str(e.value)


def test_values_print_back_as_read() -> None:
    assert [format_value(x) for x in (3.0, 0.1, -2.5, 1e20)] == ["3", "0.1", "-2.5", "1e+20"]
    assert float(format_value(float(np.float64(1) / 3))) == 1 / 3
