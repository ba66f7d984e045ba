"""pytest exports only name tests pytest can collect (regression: Surefire ids became fake .py paths)."""

from __future__ import annotations

from datetime import UTC, datetime

from argus.analysis.flaky.nodeid import pytest_node_id
from argus.analysis.flaky.readmodels import QuarantinedTest
from argus.report.quarantine import render


def test_pytest_scopes_become_node_ids() -> None:
    assert pytest_node_id("tests.api.test_login::test_ok", None, "tests.api.test_login", "test_ok") == (
        "tests/api/test_login.py::test_ok"
    )
    assert (
        pytest_node_id("x", None, "tests.test_x.TestCart", "test_add")
        == "tests/test_x.py::TestCart::test_add"
    )
    assert pytest_node_id("tests/test_a.py::test_b", None, None, "test_b") == "tests/test_a.py::test_b"
    assert (
        pytest_node_id("x", "src/pkg/checks_test.py", "pkg.checks_test", "test_c")
        == "src/pkg/checks_test.py::test_c"
    )


def test_java_tests_are_not_pytest_tests() -> None:
    assert (
        pytest_node_id(
            "com.acme.billing.CouponValidationTest::roundsUnicodeNames",
            None,
            "com.acme.billing.CouponValidationTest",
            "roundsUnicodeNames",
        )
        is None
    )
    assert pytest_node_id("com.acme.Util::works", None, "com.acme.Util", "works") is None


def test_render_leaves_non_pytest_tests_out_of_pytest_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tests = [
        QuarantinedTest(
            "tests.test_a::test_b", "tests/test_a.py::test_b", "quarantined", 0.9, "network", None
        ),
        QuarantinedTest("com.acme.FooTest::bar", None, "quarantined", 0.8, "async_wait", None),
    ]
    assert render(tests, "pytest", project="p", now=now) == "--deselect\ntests/test_a.py::test_b\n"
    conftest = render(tests, "conftest", project="p", now=now)
    assert "tests/test_a.py::test_b" in conftest and "FooTest" not in conftest
    compile(conftest, "conftest.py", "exec")
    assert render(tests, "text", project="p", now=now).splitlines() == [
        "tests.test_a::test_b",
        "com.acme.FooTest::bar",
    ]
    assert '"node_id": null' in render(tests, "json", project="p", now=now)
