"""Repeated test names: separate invocations unless the report marks reruns; identity and header totals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli.app import main
from argus.core.enums import Outcome
from argus.ingest.testreports import ParsedReport, parse_report_bytes

#: jest-junit with `test.each`: a failing "rounds price" row, then a passing one (the file says failures="1").
JEST_EACH = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="0.4">
  <testsuite name="src/price.test.js" errors="0" failures="1" skipped="0" timestamp="2026-03-01T12:00:00" time="0.3" tests="3">
    <testcase classname="" name="rounds price" time="0.01">
      <failure>Error: expect(received).toBe(expected)

Expected: 1.25
Received: 1.2</failure>
    </testcase>
    <testcase classname="" name="rounds price" time="0.01"></testcase>
    <testcase classname="" name="formats price" time="0.01"></testcase>
  </testsuite>
</testsuites>
"""

#: jest-junit where the classname is the describe block, the same in two files; file in the suite name.
JEST_TWO_FILES = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="4" failures="0" errors="0" time="0.4">
  <testsuite name="src/cart/total.test.js" errors="0" failures="0" skipped="0" time="0.1" tests="2">
    <testcase classname="utils" name="handles empty input" time="0.01"/>
    <testcase classname="" name="works" time="0.01"/>
  </testsuite>
  <testsuite name="src/user/name.test.ts" errors="0" failures="0" skipped="0" time="0.1" tests="2">
    <testcase classname="utils" name="handles empty input" time="0.01"/>
    <testcase classname="" name="works" time="0.01"/>
  </testsuite>
</testsuites>
"""


def _parse(data: bytes) -> ParsedReport:
    return parse_report_bytes(data, "report.xml")


def _counts(report: ParsedReport) -> tuple[int, int, int, int, int, int]:
    s = report.summary()
    return s.tests, s.passed, s.failed, s.skipped, s.attempts, s.flaky


def test_repeated_name_in_a_suite_is_two_invocations_each_with_its_outcome() -> None:
    report = _parse(JEST_EACH)
    assert _counts(report) == (3, 2, 1, 0, 3, 0)
    rows = [(c.identity, c.outcome, c.attempt) for c in report.cases]
    assert rows == [
        ("src/price.test.js::rounds price", Outcome.FAILED, 0),
        ("src/price.test.js::rounds price [#2]", Outcome.PASSED, 0),
        ("src/price.test.js::formats price", Outcome.PASSED, 0),
    ]
    assert report.warnings == ()


def test_same_describe_and_name_in_two_files_are_different_tests() -> None:
    report = _parse(JEST_TWO_FILES)
    assert _counts(report) == (4, 4, 0, 0, 4, 0)
    assert [c.identity for c in report.cases] == [
        "src/cart/total.test.js::utils::handles empty input", "src/cart/total.test.js::works",
        "src/user/name.test.ts::utils::handles empty input", "src/user/name.test.ts::works",
    ]


def test_file_attribute_scopes_a_describe_classname() -> None:
    data = b"""<testsuites><testsuite name="jest tests" tests="2">
      <testcase classname="Cart adds" name="Cart adds" file="src/a.test.js"/>
      <testcase classname="Cart adds" name="Cart adds" file="src/b.test.js"/>
    </testsuite></testsuites>"""
    assert [c.identity for c in _parse(data).cases] == ["src/a.test.js::Cart adds::Cart adds",
                                                         "src/b.test.js::Cart adds::Cart adds"]


def _testng(cases: int, skipped: int) -> bytes:
    """An aggregated TestNG-style JUnit report: data-provider rows repeat their method name."""
    rows = []
    for i in range(cases):
        name = f"method{i // 6}"  # six data-provider rows per method
        body = "<skipped/>" if i < skipped else ""
        rows.append(f'<testcase classname="com.acme.Suite{i // 100}" name="{name}" time="0.001">{body}</testcase>')
    head = f'<testsuite hostname="ci" name="Aggregated" tests="{cases}" failures="0" errors="0" skipped="{skipped}" ' \
           'timestamp="1 Mar 2026 12:00:00 GMT" time="1.0">'
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>{head}' + "".join(rows)
            + "</testsuite></testsuites>").encode()


def test_totals_equal_the_testcase_count_of_an_aggregated_testng_report() -> None:
    report = _parse(_testng(808, 14))
    s = report.summary()
    assert (s.tests, s.skipped, s.passed, s.attempts, s.flaky) == (808, 14, 794, 808, 0)
    assert len({c.identity for c in report.cases}) == 808 and report.warnings == ()


def test_a_header_that_disagrees_with_the_cases_is_reported() -> None:
    data = b"""<testsuite name="s" tests="5" failures="2" errors="0" skipped="0">
      <testcase classname="k" name="a"><failure/></testcase>
      <testcase classname="k" name="b"/>
    </testsuite>"""
    report = _parse(data)
    assert report.warnings == (
        "totals disagree with the file's header: header tests=5 failures=2 errors=0 skipped=0, "
        "read 2 test cases: 1 failed, 0 errors, 0 skipped",
    )


def test_gradle_repeats_after_a_failure_are_retries_but_repeated_passes_are_not() -> None:
    gradle = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.acme.CacheTest" tests="5" skipped="0" failures="1" errors="0" timestamp="2026-02-01T10:00:00" hostname="runner" time="1.5">
  <properties/>
  <testcase name="evicts()" classname="com.acme.CacheTest" time="0.8"><failure message="timeout">trace</failure></testcase>
  <testcase name="loads()" classname="com.acme.CacheTest" time="0.1"/>
  <testcase name="evicts()" classname="com.acme.CacheTest" time="0.6"/>
  <testcase name="loads()" classname="com.acme.CacheTest" time="0.1"/>
  <testcase name="evicts()" classname="com.acme.CacheTest" time="0.6"/>
  <system-out><![CDATA[]]></system-out>
</testsuite>
"""
    report = _parse(gradle)
    rows = [(c.identity, c.outcome, c.attempt) for c in report.cases]
    assert rows == [
        ("com.acme.CacheTest::evicts()", Outcome.FAILED, 0),
        ("com.acme.CacheTest::loads()", Outcome.PASSED, 0),
        ("com.acme.CacheTest::evicts()", Outcome.PASSED, 1),  # Gradle test-retry: a retry of the failure
        ("com.acme.CacheTest::loads() [#2]", Outcome.PASSED, 0),  # a pass is never retried: another invocation
        ("com.acme.CacheTest::evicts() [#2]", Outcome.PASSED, 0),
    ]
    assert _counts(report) == (4, 4, 0, 0, 5, 1) and report.warnings == ()


def test_pytest_teardown_error_after_a_failure_is_the_same_test() -> None:
    data = b"""<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="0" tests="1">
      <testcase classname="tests.test_db" name="test_write"><failure message="assert 1 == 2">E</failure></testcase>
      <testcase classname="tests.test_db" name="test_write"><error message="failed on teardown with &quot;OSError&quot;">E</error></testcase>
    </testsuite></testsuites>"""
    report = _parse(data)
    assert [(c.identity, c.outcome, c.attempt) for c in report.cases] == [
        ("tests.test_db::test_write", Outcome.FAILED, 0), ("tests.test_db::test_write", Outcome.ERROR, 1)]
    s = report.summary()
    assert (s.tests, s.errors, s.flaky) == (1, 1, 0) and report.warnings == ()


def test_parse_cli_prints_header_disagreement(cli_env: dict[str, str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.xml"
    path.write_bytes(b'<testsuite name="s" tests="3"><testcase classname="k" name="a"/></testsuite>')
    assert main(["parse", "tests", str(path)]) == 0
    captured = capsys.readouterr()
    assert "header tests=3" in captured.err and "read 1 test cases" in captured.err
    assert main(["parse", "tests", "--json", str(path)]) == 0
    assert "header tests=3" in json.loads(capsys.readouterr().out)[0]["warnings"][0]


def test_flaky_analyze_calls_a_repeated_failing_row_broken_never_flaky(
        cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    for run in range(6):
        path = tmp_path / f"run{run}.xml"
        path.write_bytes(JEST_EACH.replace(b'time="0.3"', f'time="0.{run + 3}"'.encode()))
        assert main(["ingest", "tests", str(path), "--project", "shop", "--commit", f"{run:040x}",
                     "--branch", "main", "--run-id", str(run + 1)]) == 0
    capsys.readouterr()
    assert main(["flaky", "analyze", "--project", "shop", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    verdicts = {t["test"]: t["verdict"] for t in data["tests"]}
    assert verdicts.get("src/price.test.js::rounds price") == "broken"
    assert "flaky" not in verdicts.values() and data["flaky"] == 0
    assert not any(c["after"] == "quarantined" for c in data["state_changes"])


def test_ingest_prints_header_disagreement(cli_env: dict[str, str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    path = tmp_path / "r.xml"
    path.write_bytes(b'<testsuite name="s" tests="3" skipped="1"><testcase classname="k" name="a"/></testsuite>')
    capsys.readouterr()
    assert main(["ingest", "tests", str(path), "--project", "p", "--run-id", "1"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "warning: totals disagree with the file's header: header tests=3 skipped=1" in " ".join(out.split())
