"""Golden fixtures (written for these tests, one per dialect): exact counts, attempts and fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.enums import Outcome
from argus.ingest.testreports import ParsedReport, ReportFormat, parse_report_bytes, parse_report_file

FIXTURES = Path(__file__).parent / "fixtures"

# file -> (format, tests, passed, failed, errors, skipped, attempts, flaky)
EXPECTED = {
    "pytest_xunit1.xml": (ReportFormat.JUNIT, 5, 2, 1, 1, 1, 5, 0),
    "pytest_xunit2.xml": (ReportFormat.JUNIT, 3, 3, 0, 0, 0, 3, 0),
    "surefire_flaky.xml": (ReportFormat.JUNIT, 4, 2, 1, 0, 1, 8, 1),
    "gradle_retry.xml": (ReportFormat.JUNIT, 2, 2, 0, 0, 0, 3, 1),
    "jest_junit.xml": (ReportFormat.JUNIT, 3, 1, 1, 0, 1, 3, 0),
    "go_junit.xml": (ReportFormat.JUNIT, 4, 2, 1, 0, 1, 4, 0),
    "phpunit_nested.xml": (ReportFormat.JUNIT, 3, 2, 0, 1, 0, 3, 0),
    "nextest_gtest.xml": (ReportFormat.JUNIT, 4, 3, 0, 0, 1, 5, 1),
    "nunit3.xml": (ReportFormat.NUNIT3, 5, 2, 1, 1, 1, 5, 0),
    "nunit2.xml": (ReportFormat.NUNIT2, 4, 1, 1, 1, 1, 4, 0),
    "xunit2.xml": (ReportFormat.XUNIT2, 4, 2, 1, 0, 1, 4, 0),
    "vstest.trx": (ReportFormat.TRX, 6, 2, 2, 1, 1, 6, 0),
    "mocha.json": (ReportFormat.MOCHA_JSON, 4, 2, 1, 0, 1, 4, 0),
    "dart.json": (ReportFormat.DART_JSON, 4, 1, 1, 1, 1, 4, 0),
    "go_test.json": (ReportFormat.GO_TEST_JSON, 7, 2, 2, 2, 1, 7, 0),
    "rspec.json": (ReportFormat.RSPEC_JSON, 4, 2, 1, 0, 1, 4, 0),
    "cst_nanos.xml": (ReportFormat.JUNIT, 3, 2, 1, 0, 0, 3, 0),
}


def _parse(name: str) -> ParsedReport:
    return parse_report_file(FIXTURES / name)


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts(name: str) -> None:
    report = _parse(name)
    s = report.summary()
    assert (report.format, s.tests, s.passed, s.failed, s.errors, s.skipped, s.attempts, s.flaky) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detection_ignores_file_name(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert parse_report_bytes(data, "report.bin").format is EXPECTED[name][0]


def test_pytest_fields_and_identity_stable_across_xunit_families() -> None:
    one = {c.identity: c for c in _parse("pytest_xunit1.xml").cases}
    two = {c.identity: c for c in _parse("pytest_xunit2.xml").cases}
    assert set(two) <= set(one)  # xunit2 (no file attr, path-style class) names the same tests
    failed = one["tests.test_cart.TestCart::test_total[1-2]"]
    assert (failed.outcome, failed.file, failed.line, failed.duration_s) == (Outcome.FAILED, "tests/test_cart.py", 20, 0.02)
    assert failed.message == "AssertionError: assert 3 == 4" and failed.failure_type == "AssertionError"
    assert failed.stack is not None and "assert 3 == 4" in failed.stack and failed.stdout == "printed"
    assert one["tests.test_cart.TestCart::test_add"].properties == {"owner": "shop"}
    assert one["tests.test_io::test_write"].message == "failed on setup with \"fixture 'tmp' not found\""


def test_surefire_retries_keep_each_attempt_in_order() -> None:
    cases = [c for c in _parse("surefire_flaky.xml").cases if c.name == "charges"]
    assert [(c.attempt, c.outcome) for c in cases] == [(0, Outcome.FAILED), (1, Outcome.ERROR), (2, Outcome.PASSED)]
    assert cases[0].stdout == "attempt 1" and cases[0].stack is not None and "PaymentTest.java:42" in cases[0].stack
    reruns = [c for c in _parse("surefire_flaky.xml").cases if c.name == "refunds"]
    assert [(c.attempt, c.outcome, c.stack) for c in reruns][1:] == [(1, Outcome.FAILED, "trace 2"), (2, Outcome.FAILED, "trace 3")]


def test_trx_joins_classes_defined_after_results_and_expands_data_rows() -> None:
    cases = _parse("vstest.trx").cases
    assert {c.classname for c in cases} == {"Shop.Tests.CartTests"}
    assert [c.name for c in cases][-2:] == ["Rows (Data Row 0)", "Rows (Data Row 1)"]
    waits = next(c for c in cases if c.name == "Waits")
    assert (waits.outcome, waits.duration_s) == (Outcome.ERROR, 60.0)


def test_nunit3_label_error_is_error_and_output_kept() -> None:
    case = next(c for c in _parse("nunit3.xml").cases if c.name == "Totals(3,4)")
    assert case.outcome is Outcome.ERROR and case.stdout == "log line"
    assert case.message == "System.NullReferenceException : Object reference not set"


def test_dart_and_mocha_details() -> None:
    dart = {c.name: c for c in _parse("dart.json").cases}
    assert "loading test/cart_test.dart" not in dart
    assert (dart["Cart adds"].stdout, dart["Cart adds"].line, dart["Cart adds"].duration_s) == ("adding", 5, 0.02)
    mocha = {c.name: c for c in _parse("mocha.json").cases}
    assert mocha["totals"].properties == {"retries": "2"} and mocha["pays"].outcome is Outcome.SKIPPED
    assert mocha["removes"].identity == "Cart::removes" and mocha["removes"].failure_type == "AssertionError"


def test_output_is_truncated_to_the_limit() -> None:
    from argus.ingest.testreports import Limits

    body = "x" * 5000
    xml = f'<testsuite><testcase classname="c" name="n"><failure message="{"m" * 300}">{body}</failure><system-out>{body}</system-out></testcase></testsuite>'
    case = parse_report_bytes(xml.encode(), limits=Limits(max_output_chars=100, max_message_chars=50)).cases[0]
    assert case.stack == "x" * 100 + "\n…[truncated 4900 chars]"
    assert case.stdout is not None and case.stdout.startswith("x" * 100) and case.message is not None
    assert case.message.startswith("m" * 50) and case.message.endswith("[truncated 250 chars]")
