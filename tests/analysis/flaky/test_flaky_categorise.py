"""Category rules: one failure text per category, plus the timing, ordering and environment rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from argus.analysis.flaky.categorise import categorise, unordered_equal
from argus.analysis.flaky.schemas import Category, FailureSample, RunObs, RunStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(i: int, status: RunStatus, env: str = "os=linux", dur: float = 1.0) -> RunObs:
    return RunObs(i, T0 + timedelta(hours=i), status, f"c{i}", f"c{i}", "main", env, True, 1,
                  int(status is not RunStatus.PASS), dur, 0.0)


def fail(i: int, message: str, failure_type: str | None = None, stack: str | None = None, dur: float = 1.0) -> FailureSample:
    return FailureSample(i, i, message, failure_type, stack, dur)


CASES = [
    (Category.ASYNC_WAIT, "TimeoutError: Timed out waiting for element #submit to be visible"),
    (Category.CONCURRENCY, "AssertionError: race condition: counter was 9 after 10 concurrent increments"),
    (Category.ORDER_DEPENDENCY, "AssertionError: user 'alice' already exists (state from a previous test)"),
    (Category.RESOURCE_LEAK, "OSError: [Errno 24] Too many open files"),
    (Category.NETWORK, "requests.exceptions.ConnectionError: [Errno 111] Connection refused"),
    (Category.TIME_DATE, "AssertionError: expected 2024-03-10 got 2024-03-09 (timezone offset at DST change)"),
    (Category.RANDOMNESS, "AssertionError: shuffle produced the identity permutation (seed 1234)"),
    (Category.IO, "FileNotFoundError: [Errno 2] No such file or directory: '/tmp/cache/x.json'"),
    (Category.FLOATING_POINT, "AssertionError: assert 0.30000000000000004 == 0.3"),
    (Category.UNORDERED_COLLECTION, "AssertionError: assert ['b', 'a', 'c'] == ['a', 'b', 'c']"),
    (Category.DATA_SETUP, "sqlalchemy.exc.IntegrityError: duplicate key value violates unique constraint"),
    (Category.ENVIRONMENT, "ModuleNotFoundError: No module named 'lxml'"),
]


@pytest.mark.parametrize(("expected", "message"), CASES, ids=[c.value for c, _ in CASES])
def test_each_category_has_a_rule(expected: Category, message: str) -> None:
    runs = [run(i, RunStatus.PASS) for i in range(5)] + [run(5, RunStatus.FAIL), run(6, RunStatus.FAIL)]
    res = categorise([fail(5, message), fail(6, message)], runs, runs[5:])
    assert res.category is expected
    assert res.score == 1.0
    assert res.result_ids == (5, 6)
    assert res.reasons


def test_message_beats_stack_noise() -> None:
    stack = "at java.lang.Thread.run(Thread.java:833)"
    res = categorise([fail(1, "java.net.SocketTimeoutException: connect timed out", stack=stack)], [], [])
    assert res.category is Category.NETWORK


def test_stack_is_used_when_the_message_says_nothing() -> None:
    res = categorise([fail(1, "assert False", stack="File 'conftest.py', in setup_database\n  fixture 'db'")], [], [])
    assert res.category is Category.DATA_SETUP
    assert "stack trace" in res.reasons[0]


def test_timing_rule_from_durations() -> None:
    runs = [run(i, RunStatus.PASS, dur=0.5) for i in range(6)] + [run(6, RunStatus.FAIL), run(7, RunStatus.FAIL)]
    failures = [fail(6, "assert result is not None", dur=30.0), fail(7, "assert result is not None", dur=30.2)]
    res = categorise(failures, runs, runs[6:])
    assert res.category is Category.ASYNC_WAIT
    assert any("median" in r for r in res.reasons)


def test_environment_fallback_when_text_is_silent() -> None:
    runs = [run(i, RunStatus.PASS, env="os=linux") for i in range(4)] + [
        run(4, RunStatus.FAIL, env="os=windows"),
        run(5, RunStatus.FAIL, env="os=windows"),
    ]
    res = categorise([fail(4, "assert x"), fail(5, "assert x")], runs, runs[4:])
    assert res.category is Category.ENVIRONMENT
    assert "os=windows" in res.reasons[0]


def test_unknown_without_signal() -> None:
    res = categorise([fail(1, "assert 1 == 2")], [], [])
    assert res.category is Category.UNKNOWN and res.score == 0.0


def test_unordered_equal() -> None:
    assert unordered_equal("assert {1, 3, 2} == {1, 2, 3}")
    assert not unordered_equal("assert [1, 2] == [1, 3]")
    assert not unordered_equal("assert [1, 2] == [1, 2]")
