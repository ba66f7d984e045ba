"""go test -json, RSpec JSON, container-structure-test durations, implausible durations, unsupported formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.enums import Outcome
from argus.ingest.testreports import ParsedReport, ReportParseError, parse_report_bytes, parse_report_file

FIXTURES = Path(__file__).parent / "fixtures"


def _cases(report: ParsedReport) -> dict[str, tuple[Outcome, float | None, str | None]]:
    return {c.identity: (c.outcome, c.duration_s, c.message) for c in report.cases}


def test_go_test_json_tests_subtests_packages_and_elapsed() -> None:
    report = parse_report_file(FIXTURES / "go_test.json")
    assert _cases(report) == {
        "example.com/shop/cart::TestAdd": (Outcome.PASSED, 0.001, None),
        "example.com/shop/cart::TestTotal": (Outcome.FAILED, 0.003, None),
        "example.com/shop/cart::TestTotal/empty": (Outcome.PASSED, 0.0, None),
        "example.com/shop/cart::TestTotal/discount": (Outcome.FAILED, 0.002, "cart_test.go:31: Total() = 90, want 85"),
        "example.com/shop/cart::TestRefund": (Outcome.SKIPPED, 0.0, "cart_test.go:52: needs a payment sandbox"),
        # started, never finished: the binary panicked
        "example.com/shop/pay::TestCharge": (Outcome.ERROR, None, "panic: runtime error: invalid memory address or "
                                             "nil pointer dereference [recovered]"),
        # failed without a failing test: the build failed
        "example.com/shop/api::(package)": (Outcome.ERROR, 0.0, "api/server.go:14:2: undefined: handler"),
    }
    discount = next(c for c in report.cases if c.name == "TestTotal/discount")
    assert discount.suite == discount.classname == "example.com/shop/cart"
    assert discount.stdout is not None and "--- FAIL: TestTotal/discount" in discount.stdout
    assert report.timestamp is not None and report.timestamp.year == 2026 and report.warnings == ()


def test_go_test_json_identities_match_gotestsum_junit() -> None:
    junit = b"""<testsuites><testsuite name="example.com/shop/cart" tests="1">
      <testcase classname="example.com/shop/cart" name="TestTotal/discount" time="0.002"/></testsuite></testsuites>"""
    go = parse_report_file(FIXTURES / "go_test.json")
    assert parse_report_bytes(junit).cases[0].identity in {c.identity for c in go.cases}


def test_go_test_json_with_stderr_mixed_in_and_a_broken_event() -> None:
    lines = (b'{"Action":"run","Package":"p","Test":"TestA"}\n'
             b"# p\n./a.go:3: vet: something\n"
             b'{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.5}\n')
    report = parse_report_bytes(lines)
    assert _cases(report) == {"p::TestA": (Outcome.PASSED, 0.5, None)}
    assert report.warnings == ("2 line(s) that are not JSON events were skipped (stderr mixed in?)",)
    with pytest.raises(ReportParseError, match="line 2 is not JSON"):
        parse_report_bytes(b'{"Action":"run","Package":"p","Test":"TestA"}\n{"Action":"pa\n')


def test_rspec_json_examples_pending_and_exceptions() -> None:
    report = parse_report_file(FIXTURES / "rspec.json")
    assert _cases(report) == {
        "spec.models.cart_spec::Cart adds an item": (Outcome.PASSED, 0.001821, None),
        "spec.models.cart_spec::Cart#total applies the discount": (
            Outcome.FAILED, 0.004417, "expected: 85\n     got: 90\n\n(compared using ==)"),
        "spec.models.cart_spec::Cart refunds": (Outcome.SKIPPED, 0.000012, "needs the payment sandbox"),
        "spec.requests.orders_spec::GET /orders lists orders": (Outcome.PASSED, 0.0312, None),
    }
    failed = report.cases[1]
    assert failed.failure_type == "RSpec::Expectations::ExpectationNotMetError"
    assert failed.file == "./spec/models/cart_spec.rb" and failed.line == 12
    assert failed.stack is not None and failed.stack.startswith("./spec/models/cart_spec.rb:13")


def test_rspec_load_errors_are_an_error_case_and_count_mismatch_a_warning() -> None:
    data = (b'{"version":"3.13.0","messages":["An error occurred while loading ./spec/a_spec.rb."],'
            b'"examples":[],"summary":{"example_count":2,"errors_outside_of_examples_count":1}}')
    report = parse_report_bytes(data)
    assert _cases(report) == {"rspec::errors outside of examples": (
        Outcome.ERROR, None, "1 error(s) occurred outside of examples")}
    assert report.cases[0].stack == "An error occurred while loading ./spec/a_spec.rb."
    assert report.warnings == ("summary says example_count=2, read 0 examples",)


@pytest.mark.parametrize(("data", "reason"), [
    (b"[1, 2]", "unsupported format (JSON array)"),
    (b'{"numTotalTests": 3, "testResults": []}', "unsupported format (JSON object with keys numTotalTests, testResults)"),
    (b'{"a": 1}\n{"b": 2}\n', "unsupported format (JSON lines, the first object with keys a)"),
    (b"<report><x/></report>", "unsupported format (XML with root element <report>)"),
    (b"PASS ok example.com/x 0.1s", "unsupported format (content is neither XML nor JSON)"),
])
def test_well_formed_but_unknown_input_is_unsupported_never_corrupt(data: bytes, reason: str) -> None:
    with pytest.raises(ReportParseError) as info:
        parse_report_bytes(data, "in.json")
    assert info.value.reason == reason and "corrupt" not in info.value.reason


def test_container_structure_test_nanoseconds_become_seconds() -> None:
    report = parse_report_file(FIXTURES / "cst_nanos.xml")
    assert [c.duration_s for c in report.cases] == [0.999638317, 0.001204551, 1.472676033]
    assert report.warnings == ("container-structure-test report with durations in nanoseconds: converted to seconds",)
    seconds = b"""<?xml version="1.0" encoding="UTF-8"?><testsuites failures="0" tests="1" time="0.5"><testsuite
      name="container-structure-test.test"><testcase name="Command Test: ls" time="0.5"></testcase></testsuite></testsuites>"""
    newer = parse_report_bytes(seconds)  # container-structure-test >= 1.16 writes seconds
    assert [c.duration_s for c in newer.cases] == [0.5] and newer.warnings == ()


def test_implausible_durations_are_dropped_with_a_warning() -> None:
    data = b"""<testsuite name="s" tests="2"><testcase classname="k" name="a" time="999638317"/>
      <testcase classname="k" name="b" time="1.5"/></testsuite>"""
    report = parse_report_bytes(data)
    assert [c.duration_s for c in report.cases] == [None, 1.5]
    assert report.warnings == ("1 test case(s) with an implausible duration (up to 999,638,317 s, over 86,400 s) "
                               "stored without a duration: wrong unit in the report?",)
    assert report.summary().time_s == 1.5


def test_go_1_24_build_failure_is_one_error_case_of_its_package() -> None:
    # Go >= 1.24: the build's output comes as build-output/build-fail events keyed by ImportPath
    # ("pkg [pkg.test]"), then the package's own fail event names it in FailedBuild.
    lines = (b'{"ImportPath":"ex.com/m [ex.com/m.test]","Action":"build-output","Output":"# ex.com/m\\n"}\n'
             b'{"ImportPath":"ex.com/m [ex.com/m.test]","Action":"build-output","Output":"./a_test.go:5:2: undefined: foo\\n"}\n'
             b'{"ImportPath":"ex.com/m [ex.com/m.test]","Action":"build-fail"}\n'
             b'{"Action":"start","Package":"ex.com/m"}\n'
             b'{"Action":"output","Package":"ex.com/m","Output":"FAIL\\tex.com/m [build failed]\\n"}\n'
             b'{"Action":"fail","Package":"ex.com/m","Elapsed":0,"FailedBuild":"ex.com/m [ex.com/m.test]"}\n'
             b'{"Action":"run","Package":"ex.com/n","Test":"TestOK"}\n'
             b'{"Action":"pass","Package":"ex.com/n","Test":"TestOK","Elapsed":0.01}\n')
    report = parse_report_bytes(lines)
    assert _cases(report) == {"ex.com/m::(package)": (Outcome.ERROR, 0.0, "./a_test.go:5:2: undefined: foo"),
                              "ex.com/n::TestOK": (Outcome.PASSED, 0.01, None)}
