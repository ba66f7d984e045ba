"""Coverage parsers on real files (coverage.py 7.17 JSON/XML/LCOV of one program; hand-written JaCoCo and
Istanbul LCOV from the formats' documentation) and on hostile or malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.ingest.coverage import CoverageFormat, CoverageParseError, detect_format, parse_coverage
from argus.ingest.coverage.schemas import decode_ranges, encode_ranges, ranges_of

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["coveragepy.json", "cobertura.xml", "coveragepy.lcov"])
def test_three_coveragepy_outputs_agree(name: str) -> None:
    # `coverage report -m` said: calc.py missing 9, 14-17; util.py missing 3, 5; 19 statements, 7 missed
    # (Cobertura counts 12/19 lines covered); branches 5 of 10 covered.
    r = parse_coverage((DATA / name).read_bytes(), name)
    files = {f.path: f for f in r.files}
    assert set(files) == {"pkg/__init__.py", "pkg/calc.py", "pkg/util.py"}
    assert files["pkg/calc.py"].missing_lines == {9, 14, 15, 16, 17}
    assert files["pkg/util.py"].missing_lines == {3, 5}
    assert (r.lines_valid, r.lines_covered) == (19, 12)
    assert (r.branches_valid, r.branches_covered) == (10, 5)
    assert r.line_pct == pytest.approx(63.157894, rel=1e-6)
    assert r.branch_pct == 50.0


def test_detects_each_format() -> None:
    expected = {
        "coveragepy.json": CoverageFormat.COVERAGEPY,
        "cobertura.xml": CoverageFormat.COBERTURA,
        "coveragepy.lcov": CoverageFormat.LCOV,
        "istanbul.lcov": CoverageFormat.LCOV,
        "jacoco.xml": CoverageFormat.JACOCO,
    }
    for name, fmt in expected.items():
        assert detect_format((DATA / name).read_bytes(), name) is fmt


def test_jacoco_with_doctype_paths_and_branches() -> None:
    r = parse_coverage((DATA / "jacoco.xml").read_bytes(), "jacoco.xml")
    files = {f.path: f for f in r.files}
    cart = files["com/example/shop/Cart.java"]
    assert cart.covered_lines == {7, 8, 12, 13, 14, 17} and cart.missing_lines == {15}
    assert (cart.branches_valid, cart.branches_covered) == (4, 3)
    assert files["com/example/shop/util/Money.java"].missing_lines == {5, 6}
    assert (r.lines_valid, r.lines_covered) == (9, 6)  # matches the report-level LINE counter


def test_istanbul_lcov_brda_dash_is_not_taken() -> None:
    r = parse_coverage((DATA / "istanbul.lcov").read_bytes(), "lcov.info")
    cart = next(f for f in r.files if f.path.endswith("src/cart.js"))
    assert cart.missing_lines == {10, 11}
    assert (cart.branches_valid, cart.branches_covered) == (4, 2)
    assert (r.lines_valid, r.lines_covered) == (10, 8)


def test_cobertura_merges_classes_of_one_file() -> None:
    xml = b"""<coverage><packages><package name="p"><classes>
      <class name="A" filename="./src/a.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class>
      <class name="B" filename="src/a.py"><lines><line number="2" hits="3"/><line number="5" hits="0"/></lines></class>
    </classes></package></packages></coverage>"""
    (f,) = parse_coverage(xml, "c.xml").files
    assert f.path == "src/a.py"
    assert f.covered_lines == {1, 2} and f.missing_lines == {5}


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "empty"),
    (b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><coverage>&a;</coverage>", "entities"),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><coverage>&e;</coverage>', "refused XML"),
    (b"<coverage><packages>", "not well-formed"),
    (b"<html/>", "unknown XML coverage format"),
    (b"SF:a.py\nDA:1,1\n", "not terminated"),
    (b"SF:a.py\nDA:x,1\nend_of_record\n", "DA line"),
    (b'{"files": {"a.py": {"executed_lines": ["x"]}}}', "executed_lines"),
    (b'{"meta": {}}', "'files' object"),
    (b"\xff\xfe garbage", "unknown coverage format"),
    (b'<coverage><packages><package><classes><class name="A"><lines/></class></classes></package></packages></coverage>',
     "no filename"),
])
def test_rejects_malformed_and_hostile_input(data: bytes, fragment: str) -> None:
    with pytest.raises(CoverageParseError) as exc:
        parse_coverage(data, "bad-input")
    assert fragment in str(exc.value)
    assert exc.value.source == "bad-input"


def test_size_limit_and_forced_format() -> None:
    data = (DATA / "coveragepy.json").read_bytes()
    with pytest.raises(CoverageParseError, match="above the limit"):
        parse_coverage(data, "big.json", max_bytes=100)
    with pytest.raises(CoverageParseError, match="not a JaCoCo report"):
        parse_coverage((DATA / "cobertura.xml").read_bytes(), "x.xml", "jacoco")
    with pytest.raises(CoverageParseError, match="unknown format 'clover'"):
        parse_coverage(data, "x", "clover")


def test_range_encoding_round_trip() -> None:
    lines = {1, 2, 3, 7, 9, 10, 200}
    assert encode_ranges(lines) == "1-3,7,9-10,200"
    assert decode_ranges(encode_ranges(lines)) == lines
    assert decode_ranges("") == frozenset() and encode_ranges([]) == ""
    assert ranges_of([5, 3, 4, 9]) == [(3, 5), (9, 9)]


def test_cobertura_without_line_detail_uses_declared_totals() -> None:
    xml = b"""<?xml version="1.0" ?><!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
    <coverage lines-valid="40" lines-covered="30" line-rate="0.75" branches-valid="4" branches-covered="1">
      <packages><package name="p" line-rate="0.75"><classes>
        <class name="A" filename="src/a.py" line-rate="0.8"><methods/><lines></lines></class>
        <class name="B" filename="src/b.py" line-rate="0.7" lines-valid="10" lines-covered="7"><lines/></class>
      </classes></package></packages></coverage>"""
    report = parse_coverage(xml, "c.xml")
    assert [f.path for f in report.files] == ["src/a.py", "src/b.py"]
    assert (report.lines_valid, report.lines_covered, report.branches_valid, report.branches_covered) == (40, 30, 4, 1)
    assert report.line_pct == 75.0
    a, b = report.files
    assert (a.lines_valid, a.covered_lines, a.missing_lines) == (0, frozenset(), frozenset())
    assert (b.lines_valid, b.lines_covered) == (10, 7)


def test_cobertura_without_line_detail_or_counts_keeps_the_rate() -> None:
    xml = b"""<coverage line-rate="0.5"><packages><package name="p"><classes>
        <class name="A" filename="a.py" line-rate="0.5"/></classes></package></packages></coverage>"""
    report = parse_coverage(xml, "c.xml")
    assert (report.lines_valid, report.lines_covered, report.line_pct) == (0, 0, 50.0)


def test_cobertura_method_lines_are_not_counted_twice() -> None:
    xml = b"""<coverage><packages><package name="p"><classes>
      <class name="A" filename="a.py"><methods><method name="f"><lines><line number="9" hits="1"/></lines></method>
      </methods><lines><line number="1" hits="1"/><line number="2" hits="0" branch="true"
      condition-coverage="50% (1/2)"/></lines></class></classes></package></packages></coverage>"""
    (f,) = parse_coverage(xml, "c.xml").files
    assert f.covered_lines == {1} and f.missing_lines == {2}
    assert (f.branches_valid, f.branches_covered) == (2, 1)
