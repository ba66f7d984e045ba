"""The dashboard's SVG charts: well-formed, scalable, text escaped, colour never the only cue."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from argus.api.web import charts


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_strip_marks_outcomes_by_shape_and_escapes_hover_text() -> None:
    svg = charts.strip([charts.Cell("passed", "ok"), charts.Cell("failed", "<script>alert(1)</script>"),
                        charts.Cell("flaky", "retried"), charts.Cell("skipped", "skip")])
    root = parse(svg)
    assert root.get("viewBox") == "0 0 48 28" and root.get("width") == "100%"
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    cells = root.findall("{http://www.w3.org/2000/svg}g") or root.findall("g")
    heights = [float(c.find("rect").get("height")) for c in cells if c.find("rect") is not None]  # type: ignore[union-attr]
    assert heights[1] > heights[0]  # a failure is taller than a pass, not only another colour
    assert cells[3].find("circle") is not None  # a skip is a dot


def test_line_chart_with_band_and_gaps() -> None:
    svg = charts.line_chart(["a", "b", "c", "d"], [charts.Series("d", [1.0, None, 3.0, 2.0])],
                            band=[None, (0.5, 1.5), (1.0, 2.5), (1.0, 3.5)], unit=" s")
    root = parse(svg)
    assert root.find("polygon") is not None  # the band
    assert len(root.findall("circle")) == 3  # no point where the value is missing
    assert "no data" in charts.line_chart([], [])


def test_bars_sparkline_and_reliability_diagram() -> None:
    parse(charts.bar_chart(["x", "y"], [charts.Series("p", [3, 4]), charts.Series("f", [1, 0])]))
    assert "no data" in charts.bar_chart(["x"], [charts.Series("p", [0])])
    parse(charts.sparkline([0, 1, 5, 2]))
    assert str(charts.sparkline([])) == ""
    root = parse(charts.reliability([charts.Bin(0.8, 0.9, 4, 0.85, 0.75), charts.Bin(0.0, 0.1, 0, None, None)]))
    assert len(root.findall("g")) == 1  # only bins with feedback are drawn
