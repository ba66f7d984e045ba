"""Failure text, trend windows, cluster keys and confidence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from argus.analysis.failures.algo import (
    assign,
    cluster_confidence,
    failure_text,
    is_generic,
    miner_config,
    trend,
)
from argus.analysis.failures.miner import TemplateMiner
from argus.analysis.failures.schemas import FailureInput, Trend
from argus.core.settings import ClusterSettings


@pytest.mark.parametrize(
    ("recent", "previous", "expected"),
    [
        (13, 10, Trend.UP),
        (12, 10, Trend.STABLE),  # exactly 1.2x is not "more than 1.2x"
        (8, 10, Trend.STABLE),
        (7, 10, Trend.DOWN),
        (1, 0, Trend.UP),
        (0, 0, Trend.STABLE),
        (0, 3, Trend.DOWN),
    ],
)
def test_trend(recent: int, previous: int, expected: Trend) -> None:
    assert trend(recent, previous) is expected


def test_trend_thresholds_are_parameters() -> None:
    assert trend(11, 10, up_ratio=1.05) is Trend.UP


def test_failure_text_puts_the_type_first_once() -> None:
    assert (
        failure_text("assert 3 == 4\n + where 3 = f()", "AssertionError", None)
        == "AssertionError: assert 3 == 4"
    )
    assert failure_text("ValueError: bad", "ValueError", None) == "ValueError: bad"
    assert failure_text("java.lang.IllegalStateException: x", "IllegalStateException", None).startswith(
        "java.lang"
    )
    stack = 'Traceback:\n  File "a.py", line 1, in f\nKeyError: 3'
    assert failure_text(None, None, stack) == "KeyError: 3"
    assert failure_text(None, None, None) == "(no message)"


def _f(rid: int, msg: str, stack: str | None) -> FailureInput:
    return FailureInput(rid, 1, rid, msg, "AssertionError", stack, datetime(2024, 1, 1, tzinfo=UTC))


def test_assign_splits_same_message_by_code_location() -> None:
    settings = ClusterSettings(stack_split="always")
    a = 'File "src/app/a.py", line 3, in check_a'
    b = 'File "src/app/b.py", line 9, in check_b'
    out = assign(
        TemplateMiner(miner_config(settings)),
        [_f(1, "assert 1 == 2", a), _f(2, "assert 5 == 6", a), _f(3, "assert 1 == 2", b)],
        settings,
    )
    assert out[0].key == out[1].key != out[2].key
    assert out[0].key.template == out[2].key.template
    assert out[0].frames == ("app/a.py:check_a",)
    no_stack = assign(
        TemplateMiner(), [_f(1, "x 1", a), _f(2, "x 2", b)], ClusterSettings(stack_split="never")
    )
    assert no_stack[0].key == no_stack[1].key


def test_confidence_grows_with_specificity_and_stack_agreement() -> None:
    generic = cluster_confidence(["<*>", "<*>"], False, 1)
    specific = cluster_confidence(["disk", "full", "on", "<*>"], False, 1)
    with_stack = cluster_confidence(["disk", "full", "on", "<*>"], True, 5)
    assert 0 < generic < specific < with_stack <= 0.95


def test_failure_text_takes_the_error_line_of_a_pytest_long_repr() -> None:
    long_repr = (
        "self = <test_spark.SparkTests testMethod=test_rsh>\n\n    def test_rsh(self):\n"
        ">       self.check(3)\n\ntest_spark.py:821:\n_ _ _ _\n"
        "test_spark.py:852: in check\n    self.assertEqual(expected, res)\nE   AssertionError: 143 != 0\n"
    )
    assert failure_text(" ".join(long_repr.split()), None, long_repr) == "AssertionError: 143 != 0"
    assert failure_text("AssertionError: 143 != 0", "AssertionError", long_repr) == "AssertionError: 143 != 0"


def test_generic_templates_are_split_by_code_location_by_default() -> None:
    settings = ClusterSettings()  # stack_split = "generic"
    a = 'File "src/app/a.py", line 3, in check_a'
    b = 'File "src/app/b.py", line 9, in check_b'
    specific = "OSError: [Errno 24] Too many open files: '/tmp/x{}'"
    out = assign(
        TemplateMiner(miner_config(settings)),
        [
            _f(1, "assert 1 == 2", a),
            _f(2, "assert 1 == 2", b),
            _f(3, specific.format(1), a),
            _f(4, specific.format(2), b),
        ],
        settings,
    )
    assert out[0].key != out[1].key  # generic assertion: location matters
    assert out[2].key == out[3].key and out[2].key.stack_fingerprint is None  # specific message: one cause


def test_is_generic_counts_constant_words_after_the_first_token() -> None:
    assert is_generic(("AssertionError", ":", "assert", "<*>", "==", "<*>"))
    assert is_generic(("expected", ":", "<*>", "but", "was", ":", "<*>"))
    assert not is_generic(("OSError", ":", "Too", "many", "open", "files"))
    assert not is_generic(("a", "b", "c"), max_words=1)
    assert is_generic(("ValueError", ":", "bad", "value", "<*>")) and not is_generic(
        ("E", "bad", "value", "x")
    )


def test_assertion_phrasing_does_not_make_a_template_specific() -> None:
    # "expected ... but was" says a comparison failed, not why: split such failures by code location
    assert is_generic(
        ("org.opentest4j.AssertionFailedError", ":", "expected", ":", "<*>", "but", "was", ":", "<*>")
    )
    assert is_generic(("Error", ":", "got", "<*>", ",", "want", "<*>"))
    assert not is_generic(
        ("IllegalStateException", ":", "Expected", "<*>", "rows", "but", "found", "<*>", "at", "<*>")
    )
