"""Hostile and broken input is rejected with ReportParseError only (hypothesis property tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argus.core.errors import RejectedInputError
from argus.ingest.testreports import (
    Limits,
    ParsedReport,
    ReportParseError,
    parse_report_bytes,
    parse_report_file,
)

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = [p.read_bytes() for p in sorted(FIXTURES.iterdir())]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<testsuite><testcase classname="a" name="&lol3;"/></testsuite>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite><testcase classname="a" name="&xxe;"/></testsuite>"""
UNDEFINED_ENTITY = b'<testsuite><testcase classname="a" name="&xxe;"/></testsuite>'


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "DTD"),
        (XXE, "DTD"),
        (b'<!DOCTYPE testsuite SYSTEM "http://example.com/x.dtd"><testsuite/>', "DTD"),
        (UNDEFINED_ENTITY, "undefined entity"),
        (b'<testsuite><testcase classname="a" name="b">', "truncated"),
        (b"", "empty"),
        (b"   \n", "unsupported format (content is neither XML nor JSON)"),
        (b"not a report", "unsupported format (content is neither XML nor JSON)"),
        (b"<suites><suite/></suites>", "unsupported format (XML with root element <suites>)"),
        (b'{"key": "val", malformed: "key"}', "corrupt JSON"),
        (b'{"a": 1}', "unsupported format (JSON object with keys a)"),
        (b"<testsuite>\x00</testsuite>", "corrupt"),
    ],
)
def test_rejected_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ReportParseError) as info:
        parse_report_bytes(data, "in.xml")
    assert reason in info.value.reason
    assert isinstance(info.value, RejectedInputError) and info.value.source == "in.xml"


def test_size_limit_and_missing_file(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"<testsuite>" + b" " * 2000 + b"</testsuite>")
    with pytest.raises(ReportParseError, match="larger than the limit of 1000 bytes"):
        parse_report_file(big, Limits(max_file_bytes=1000))
    with pytest.raises(ReportParseError, match="larger than the limit"):
        parse_report_bytes(big.read_bytes(), limits=Limits(max_file_bytes=1000))
    with pytest.raises(ReportParseError, match="does not exist"):
        parse_report_file(tmp_path / "nope.xml")
    with pytest.raises(ReportParseError, match="not a regular file"):
        parse_report_file(tmp_path)


def test_large_file_is_streamed_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "many.xml"
    with path.open("w") as fh:
        fh.write("<testsuites><testsuite name='s'>")
        for i in range(30_000):
            fh.write(f'<testcase classname="c{i % 7}" name="t{i}" time="0.001"/>')
        fh.write("</testsuite></testsuites>")
    assert path.stat().st_size > 1 << 20  # more than one chunk
    assert parse_report_file(path).summary().tests == 30_000


def _parse_or_reject(data: bytes) -> ParsedReport | None:
    try:
        return parse_report_bytes(data, "fuzz")
    except ReportParseError:
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes_raise_only_the_documented_error(data: bytes) -> None:
    _parse_or_reject(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_reports_raise_only_the_documented_error(seed: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(seed)))
    insert = data.draw(st.binary(max_size=40) | st.sampled_from([b"<", b">", b"&", b'"', b"]]>", b"\x00", b"{", b"\n"]))
    skip = data.draw(st.integers(0, 20))
    report = _parse_or_reject(seed[:cut] + insert + seed[cut + skip :])
    if report is not None:
        summary = report.summary()
        assert summary.tests == len({c.identity for c in report.cases})
        assert summary.passed + summary.failed + summary.errors + summary.skipped == summary.tests


_names = st.text(min_size=0, max_size=12)
_attr = st.dictionaries(st.sampled_from(["name", "classname", "time", "line", "file", "status", "message",
                                         "type", "result", "duration", "label", "outcome", "testName"]),
                        _names, max_size=5)
_tags = st.sampled_from(["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "system-out",
                         "flakyFailure", "rerunError", "stackTrace", "property", "test-run", "test-suite",
                         "test-case", "reason", "message", "assemblies", "test", "TestRun",
                         "UnitTestResult", "UnitTest", "TestMethod", "Output", "StdOut"])


def _element(depth: int) -> st.SearchStrategy[str]:
    from xml.sax.saxutils import escape, quoteattr

    children = st.lists(_element(depth - 1), max_size=3) if depth > 0 else st.just([])
    return st.builds(
        lambda tag, attrs, text, kids: f"<{tag}{''.join(f' {k}={quoteattr(v)}' for k, v in attrs.items())}>"
        f"{escape(text)}{''.join(kids)}</{tag}>",
        _tags, _attr, _names, children,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_element(4))
def test_well_formed_random_structures_parse_or_reject_cleanly(xml: str) -> None:
    _parse_or_reject(xml.encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["stats", "tests", "pending", "err", "title", "fullTitle", "file",
                                         "duration", "currentRetry", "message", "stack", "type", "test",
                                         "testID", "result", "protocolVersion"]), inner, max_size=5),
                    max_leaves=20))
def test_random_json_raises_only_the_documented_error(doc: object) -> None:
    import json

    _parse_or_reject(json.dumps(doc).encode())
    _parse_or_reject(json.dumps({"stats": {}, "tests": [doc]}).encode())
    _parse_or_reject(b'{"protocolVersion":"0.1.1","type":"start"}\n' + json.dumps(doc).encode())


@pytest.mark.parametrize("encoding", ["ut", "shift_jis", "utf-32"])
def test_unsupported_encodings_are_rejected(encoding: str) -> None:
    data = f'<?xml version="1.0" encoding="{encoding}"?><testsuite/>'.encode()
    with pytest.raises(ReportParseError, match="unsupported XML encoding"):
        parse_report_bytes(data, "enc.xml")


def test_latin1_declared_encoding_is_read() -> None:
    data = '<?xml version="1.0" encoding="iso-8859-1"?><testsuite><testcase classname="k" name="café"/></testsuite>'
    assert parse_report_bytes(data.encode("latin-1")).cases[0].name == "café"
