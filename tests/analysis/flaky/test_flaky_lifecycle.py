"""Lifecycle transitions: active → quarantined → fixed, never auto-fixing a test that always fails."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from argus.analysis.flaky.lifecycle import LifecycleState, next_state
from argus.analysis.flaky.schemas import (
    Action,
    Assessment,
    Category,
    CategoryResult,
    Verdict,
)

NOW = datetime(2026, 2, 1, tzinfo=UTC)
BASE = Assessment(
    test_case_id=1, identity="t", verdict=Verdict.FLAKY, probability=0.9, low=0.8, high=0.95,
    clean_runs=40, failing_runs=5, retry_pass_runs=(1, 2), same_code_runs=(), flip_runs=(), outage_runs=(),
    window_runs=40, window_failures=5, window_rate=0.125, window_rate_low=0.05, window_rate_high=0.26,
    window_failing_runs=(1, 2), dimensions=None, category=CategoryResult(Category.UNKNOWN, 0.0, ()),
    action=Action.QUARANTINE, wasted_s=10.0, wasted_runs=5, last_failure_at=NOW,
)


def test_new_flaky_test_is_quarantined_when_action_says_so() -> None:
    t = next_state(None, BASE, passes_needed=20)
    assert t.state is LifecycleState.QUARANTINED and t.changed


def test_new_flaky_test_is_active_when_auto_quarantine_is_off_or_action_weaker() -> None:
    assert next_state(None, BASE, passes_needed=20, auto_quarantine=False).state is LifecycleState.ACTIVE
    weaker = replace(BASE, probability=0.6, action=Action.INVESTIGATE)
    assert next_state(None, weaker, passes_needed=20).state is LifecycleState.ACTIVE


def test_stable_test_is_not_tracked() -> None:
    t = next_state(None, replace(BASE, verdict=Verdict.STABLE, action=Action.MONITOR), passes_needed=20)
    assert t.state is None and not t.changed


def test_active_to_quarantined() -> None:
    assert next_state(LifecycleState.ACTIVE, BASE, passes_needed=20).state is LifecycleState.QUARANTINED


def test_quarantined_to_fixed_after_n_consecutive_passes() -> None:
    almost = replace(BASE, consecutive_default_passes=19)
    assert next_state(LifecycleState.QUARANTINED, almost, passes_needed=20).state is LifecycleState.QUARANTINED
    enough = replace(BASE, consecutive_default_passes=20)
    t = next_state(LifecycleState.QUARANTINED, enough, passes_needed=20)
    assert t.state is LifecycleState.FIXED and "20 consecutive" in t.reason


def test_always_failing_test_is_never_auto_fixed() -> None:
    failing = replace(BASE, all_failing=True, consecutive_default_passes=0, verdict=Verdict.BROKEN)
    t = next_state(LifecycleState.QUARANTINED, failing, passes_needed=0)
    assert t.state is LifecycleState.QUARANTINED
    assert "never marked fixed" in t.reason


def test_fixed_test_that_flakes_again_is_reopened() -> None:
    t = next_state(LifecycleState.FIXED, BASE, passes_needed=20, fixed_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert t.state is LifecycleState.ACTIVE
    old_failure = replace(BASE, last_failure_at=datetime(2025, 12, 1, tzinfo=UTC))
    t = next_state(LifecycleState.FIXED, old_failure, passes_needed=20, fixed_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert t.state is LifecycleState.FIXED


def test_weak_interval_is_not_auto_quarantined() -> None:
    weak = replace(BASE, probability=0.84, low=0.17, high=0.99)
    t = next_state(None, weak, passes_needed=20)
    assert t.state is LifecycleState.ACTIVE and "lower bound 0.17" in t.reason
    assert next_state(LifecycleState.ACTIVE, weak, passes_needed=20).state is LifecycleState.ACTIVE
    at_threshold = replace(BASE, low=0.7)
    assert next_state(None, at_threshold, passes_needed=20, quarantine_threshold=0.7).state is LifecycleState.ACTIVE


def test_failures_not_shown_intermittent_on_the_same_code_are_not_auto_quarantined() -> None:
    unconfirmed = replace(BASE, retry_pass_runs=(), same_code_runs=())
    t = next_state(None, unconfirmed, passes_needed=20)
    assert t.state is LifecycleState.ACTIVE and "same code" in t.reason
    same_commit = replace(unconfirmed, same_code_runs=((3, 4, True),))
    assert next_state(None, same_commit, passes_needed=20).state is LifecycleState.QUARANTINED
