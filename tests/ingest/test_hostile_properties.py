"""Property tests: extreme numbers, timestamps, NUL/control characters, surrogates and very long
strings in every field of every input format, and in the CI options (issue 11 "Keep it true").

Asserted for every generated input: parsing raises only the documented error (a
:class:`RejectedInputError`), what it accepts is valid strict JSON with clean, bounded values, and
ingesting it on the test database (SQLite, or PostgreSQL via ``ARGUS_TEST_DATABASE_URL``) either
stores it readably or dead-letters it, without an unexpected exception. Example counts are modest.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.core.errors import RejectedInputError
from argus.core.settings import IngestSettings
from argus.core.values import MAX_DURATION_S, MAX_TIMESTAMP, MIN_TIMESTAMP
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.parse import parse_coverage
from argus.ingest.coverage.service import ingest_coverage
from argus.ingest.files import ingest_file_isolated
from argus.ingest.testreports import parse_report_bytes
from argus.ingest.testreports.service import FileStatus, ingest_test_reports
from argus.ingest.vulns.parse import parse_vulns
from argus.ingest.vulns.service import ingest_vulns
from argus.report.jsonable import to_jsonable
from argus.store.models import CoverageReport, DeadLetter, TestResult, VulnReport

NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(["1e15", "1e400", "-1e400", "nan", "NaN", "inf", "-0", "0x1F", "1,5", "", " ", "99999999999999999999",
                     "9" * 5000, "-5", "1e-400", "2147483648", "9223372036854775808", "٣", "²"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
TIMESTAMPS = st.one_of(
    st.sampled_from(["9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00", "0001-01-01", "2024-02-30T00:00:00",
                     "2024-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "garbage", ""]),
    st.datetimes().map(lambda d: d.isoformat()),
)
TEXT = st.one_of(
    st.text(max_size=30),  # any code point, NUL, controls and lone surrogates included
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udcff", "\x1b[31mred", "\u202e", "é" * 3, "<&>\"'"]),
    st.integers(min_value=300, max_value=70_000).map(lambda n: "ä" * n),
)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _attr(value: str) -> str:
    """An XML attribute value (characters XML cannot hold make the document invalid: rejected, fine)."""
    return quoteattr(value)


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def any_test_report(draw: st.DrawFn) -> bytes:
    """One report of a random format with hostile values in its fields."""
    t, n, d, ts = draw(TEXT), draw(TEXT), draw(NUMBERS), draw(TIMESTAMPS)
    fmt = draw(st.sampled_from(["junit", "nunit3", "xunit", "trx", "mocha", "dart"]))
    if fmt == "junit":
        doc = (f"<testsuites><testsuite name={_attr(t)} timestamp={_attr(ts)}><testcase classname={_attr(t)} "
               f"name={_attr(n)} time={_attr(d)} file={_attr(t)} line={_attr(d)}><failure message={_attr(n)} "
               f"type={_attr(t)}>{_xml_text(n)}</failure><system-out>{_xml_text(t)}</system-out>"
               f"<properties><property name={_attr(t)} value={_attr(n)}/></properties>"
               f"</testcase></testsuite></testsuites>")
    elif fmt == "nunit3":
        doc = (f"<test-run start-time={_attr(ts)}><test-suite type='TestFixture' name={_attr(t)}>"
               f"<test-case name={_attr(n)} fullname={_attr(t + '.' + n)} result='Failed' duration={_attr(d)}>"
               f"<failure><message>{_xml_text(n)}</message></failure></test-case></test-suite></test-run>")
    elif fmt == "xunit":
        doc = (f"<assemblies><assembly run-date={_attr(ts)} run-time={_attr(ts)}><collection name={_attr(t)}>"
               f"<test name={_attr(n)} type={_attr(t)} result='Fail' time={_attr(d)}><failure "
               f"exception-type={_attr(t)}><message>{_xml_text(n)}</message></failure></test></collection>"
               f"</assembly></assemblies>")
    elif fmt == "trx":
        doc = (f"<TestRun><Times start={_attr(ts)}/><Results><UnitTestResult testId='1' testName={_attr(n)} "
               f"outcome='Failed' duration={_attr(d + ':' + d + ':' + d)}><Output><ErrorInfo><Message>{_xml_text(t)}"
               f"</Message></ErrorInfo></Output></UnitTestResult></Results><TestDefinitions><UnitTest id='1' "
               f"storage={_attr(t)}><TestMethod className={_attr(t)}/></UnitTest></TestDefinitions></TestRun>")
    elif fmt == "mocha":
        number: Any = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70)))
        return json.dumps({"stats": {"start": ts}, "pending": [], "tests": [
            {"title": n, "fullTitle": f"{t} {n}", "file": t, "duration": number, "currentRetry": number,
             "err": {"message": n, "stack": t, "name": t}}]}).encode("utf-8", "surrogatepass")
    else:
        time_a: Any = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70)))
        events = [
            {"type": "start", "protocolVersion": "0.1.1"},
            {"type": "suite", "suite": {"id": 0, "path": t}},
            {"type": "testStart", "test": {"id": 1, "name": n, "suiteID": 0, "line": d}, "time": time_a},
            {"type": "error", "testID": 1, "error": n, "stackTrace": t},
            {"type": "print", "testID": 1, "message": t},
            {"type": "testDone", "testID": 1, "result": "failure", "hidden": False, "time": draw(NUMBERS)},
        ]
        return "\n".join(json.dumps(e) for e in events).encode("utf-8", "surrogatepass")
    return doc.encode("utf-8", "surrogatepass")


def _clean(value: Any) -> bool:
    return not isinstance(value, str) or not any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in value)


@given(any_test_report())
@SETTINGS
def test_test_report_parsers_accept_clean_bounded_values_or_reject(data: bytes) -> None:
    try:
        report = parse_report_bytes(data, "r")
    except RejectedInputError:
        return
    doc = to_jsonable([c.as_dict() for c in report.cases])
    json.dumps(doc, allow_nan=False)  # strict JSON
    for case in report.cases:
        assert all(_clean(v) for v in case) and all(_clean(k) and _clean(v) for k, v in (case.properties or {}).items())
        assert case.duration_s is None or 0 <= case.duration_s <= MAX_DURATION_S
    if report.timestamp is not None:
        moment = report.timestamp
        assert moment.tzinfo is None or MIN_TIMESTAMP <= moment <= MAX_TIMESTAMP
    assert math.isfinite(report.summary().time_s)


@given(any_test_report())
@SETTINGS
def test_test_reports_are_stored_readably_or_dead_lettered(project_session: Session, tmp_path_factory: Any,
                                                           data: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("r")) / "r.report"
    path.write_bytes(data)
    s = project_session
    outcome = ingest_test_reports(s, [path], CiMetadata(), IngestSettings())[0]
    s.flush()
    if outcome.status is FileStatus.INGESTED:
        assert outcome.summary is not None
        stored = s.scalar(select(func.count()).select_from(TestResult).where(TestResult.report_id == outcome.report_id))
        assert stored == outcome.summary.attempts
        list(s.scalars(select(TestResult).where(TestResult.report_id == outcome.report_id)))  # readable
    elif outcome.status is FileStatus.REJECTED:
        assert s.scalar(select(func.count()).select_from(DeadLetter).where(DeadLetter.source_name == str(path)))


@st.composite
def coverage_report(draw: st.DrawFn) -> bytes:
    p, n, m = draw(TEXT), draw(NUMBERS), draw(NUMBERS)
    fmt = draw(st.sampled_from(["lcov", "cobertura", "jacoco", "coveragepy"]))
    if fmt == "lcov":
        doc = f"TN:{p}\nSF:{p}\nDA:{n},{m}\nBRDA:{n},0,0,{m}\nBRF:{n}\nBRH:{m}\nend_of_record\n"
    elif fmt == "cobertura":
        doc = (f"<coverage line-rate={_attr(n)} lines-valid={_attr(n)}><packages><package name={_attr(p)}><classes>"
               f"<class name={_attr(p)} filename={_attr(p)} lines-valid={_attr(m)}><lines><line number={_attr(n)} "
               f"hits={_attr(m)} branch='true' condition-coverage={_attr(f'50% ({n}/{m})')}/></lines></class>"
               f"</classes></package></packages></coverage>")
    elif fmt == "jacoco":
        doc = (f"<report name={_attr(p)}><package name={_attr(p)}><sourcefile name={_attr(p)}><line nr={_attr(n)} "
               f"mi={_attr(m)} ci={_attr(n)} mb={_attr(m)} cb={_attr(n)}/></sourcefile></package></report>")
    else:
        value: Any = draw(st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
                                    st.just(n)))
        return json.dumps({"files": {p: {"executed_lines": [value], "missing_lines": [1],
                                         "summary": {"num_branches": value, "covered_branches": value}}}}
                          ).encode("utf-8", "surrogatepass")
    return doc.encode("utf-8", "surrogatepass")


@st.composite
def vuln_report(draw: st.DrawFn) -> bytes:
    t, n = draw(TEXT), draw(TEXT)
    number: Any = draw(st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True)))
    doc = draw(st.sampled_from([
        {"SchemaVersion": number, "Results": [{"Target": t, "Vulnerabilities": [
            {"VulnerabilityID": n, "PkgName": t, "Severity": n, "InstalledVersion": t, "FixedVersion": n,
             "Title": t}]}]},
        {"matches": [{"vulnerability": {"id": n, "severity": t, "description": t, "fix": {"versions": [n]}},
                      "artifact": {"name": t, "version": n, "locations": [{"path": t}]},
                      "relatedVulnerabilities": [{"id": n}]}]},
        {"dependencies": [{"name": t, "version": n, "vulns": [{"id": n, "fix_versions": [t], "aliases": [n],
                                                               "description": t}]}]},
        {"auditReportVersion": 2, "vulnerabilities": {t: {"severity": n, "nodes": [t], "via": [
            {"source": number, "name": t, "title": n, "url": t, "severity": n, "range": t}]}}},
        {"results": [{"source": {"path": t}, "packages": [{"package": {"name": t, "version": n},
                      "vulnerabilities": [{"id": n, "summary": t, "aliases": [t]}],
                      "groups": [{"ids": [n], "max_severity": number}]}]}]},
    ]))
    return json.dumps(doc).encode("utf-8", "surrogatepass")


def _parse_quality(kind: str, data: bytes) -> Any:
    return parse_coverage(data, "r") if kind == "coverage" else parse_vulns(data, "r")


@pytest.mark.parametrize("kind,strategy", [("coverage", coverage_report()), ("vulns", vuln_report())])
def test_quality_reports_are_parsed_cleanly_and_stored_or_dead_lettered(
        project_session: Session, tmp_path_factory: Any, kind: str, strategy: st.SearchStrategy[bytes]) -> None:
    s = project_session
    model = CoverageReport if kind == "coverage" else VulnReport
    source = DeadLetterSource.COVERAGE if kind == "coverage" else DeadLetterSource.VULNERABILITIES
    fn = ingest_coverage if kind == "coverage" else ingest_vulns

    @given(strategy)
    @SETTINGS
    def check(data: bytes) -> None:
        try:
            parsed = _parse_quality(kind, data)
        except RejectedInputError:
            parsed = None
        if parsed is not None:
            json.dumps(to_jsonable(parsed), allow_nan=False)
        path = Path(tmp_path_factory.mktemp("q")) / "q.report"
        path.write_bytes(data)
        before = s.scalar(select(func.count()).select_from(model))
        try:
            ingest_file_isolated(s, source, path, 1 << 20, lambda raw, name: fn(s, raw, name, CiMetadata()))
        except RejectedInputError:
            assert s.scalar(select(func.count()).select_from(DeadLetter).where(DeadLetter.source_name == str(path)))
            return
        s.flush()
        assert parsed is not None  # ingest accepts only what parse accepts
        assert s.scalar(select(func.count()).select_from(model)) >= before
        list(s.scalars(select(model)))  # readable

    check()
