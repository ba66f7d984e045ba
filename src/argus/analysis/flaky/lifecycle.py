"""Lifecycle of a flaky test: active → quarantined → fixed (and back to active when it flakes again).

Rules (pure; the service stores the result):
* an untracked test becomes ACTIVE when judged flaky, QUARANTINED straight away when the action is
  quarantine, ``auto_quarantine`` is on and the evidence is strong (:func:`auto_quarantine_blocker`);
* ACTIVE → QUARANTINED on a quarantine action with strong evidence (auto) or by hand;
* ACTIVE/QUARANTINED → FIXED after ``fixed_after_passes`` consecutive first-attempt passes on the
  default branch since its last failure — never while every recent run fails (a test that fails 100%
  is broken or disabled, not fixed; and skipped runs or no runs at all never count as passes);
* FIXED → ACTIVE when it fails again after being marked fixed and is judged flaky again.

A person may set any state by hand (:func:`parse_state` reads it; the service stores it as manual).
This module is the one place that defines the states and the transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argus.analysis.flaky.schemas import Action, Assessment, Verdict
from argus.core.errors import InputError


class LifecycleState(StrEnum):
    """Where a tracked flaky test stands."""

    ACTIVE = "active"
    QUARANTINED = "quarantined"
    FIXED = "fixed"


#: States in which a test counts as known flaky (set by the analysis or by a person).
FLAKY_STATES: frozenset[LifecycleState] = frozenset({LifecycleState.ACTIVE, LifecycleState.QUARANTINED})


def parse_state(text: str) -> LifecycleState:
    """The lifecycle state a person named (:class:`InputError` for anything else)."""
    try:
        return LifecycleState(text)
    except ValueError:
        raise InputError(f"unknown state {text!r}: use active, quarantined or fixed") from None


@dataclass(frozen=True)
class Transition:
    state: LifecycleState | None  # None: not tracked
    reason: str
    changed: bool


def auto_quarantine_blocker(a: Assessment, threshold: float) -> str | None:
    """Why the evidence is too weak to quarantine ``a`` without a person (``None``: strong enough).

    Two conditions, both needed: the *lower* end of the P(flaky) interval clears ``threshold`` (the
    point estimate alone can rest on the prior: P = 0.84 with 0.17–0.99 is a guess), and the failures
    are shown to be intermittent on the same code — a pass on retry in the same run, or a pass and a
    fail of the same commit/tree. Failures each on a different commit could all be real bugs of those
    commits; quarantining them would hide a regression from the gate.
    """
    if a.low <= threshold:
        return (f"quarantine recommended, not automatic: the interval's lower bound {a.low:.2f} "
                f"(P {a.probability:.2f}, {a.low:.2f}–{a.high:.2f}) does not clear {threshold:.2f}")
    if not a.retry_pass_runs and not a.same_code_runs:
        return ("quarantine recommended, not automatic: no pass on retry and no pass of the same code "
                "shows the failures are intermittent")
    return None


def can_mark_fixed(a: Assessment, passes_needed: int) -> bool:
    """Enough consecutive default-branch passes, and not a test whose recent runs all fail."""
    return not a.all_failing and a.consecutive_default_passes >= passes_needed


def next_state(
    current: LifecycleState | None,
    a: Assessment,
    *,
    passes_needed: int,
    auto_quarantine: bool = True,
    fixed_at: datetime | None = None,
    quarantine_threshold: float = 0.7,
) -> Transition:
    """The state after this analysis, with a one-line reason."""
    flaky = a.verdict is Verdict.FLAKY
    recommended = flaky and a.action is Action.QUARANTINE and auto_quarantine
    blocker = auto_quarantine_blocker(a, quarantine_threshold) if recommended else None
    quarantine = recommended and blocker is None
    strong = (f"flaky with probability {a.probability:.2f} ({a.low:.2f}–{a.high:.2f}), intermittent on the "
              "same code")
    if current is None:
        if quarantine:
            return Transition(LifecycleState.QUARANTINED, strong, True)
        if flaky:
            return Transition(LifecycleState.ACTIVE, blocker or f"flaky with probability {a.probability:.2f}", True)
        return Transition(None, "not flaky", False)
    if current is LifecycleState.FIXED:
        failed_since = a.last_failure_at is not None and (fixed_at is None or a.last_failure_at > fixed_at)
        if flaky and failed_since:
            return Transition(LifecycleState.ACTIVE, "failed again after being marked fixed", True)
        return Transition(current, "still fixed", False)
    if can_mark_fixed(a, passes_needed):
        return Transition(
            LifecycleState.FIXED,
            f"{a.consecutive_default_passes} consecutive passes on the default branch (≥ {passes_needed})",
            True,
        )
    if current is LifecycleState.ACTIVE and quarantine:
        return Transition(LifecycleState.QUARANTINED, strong, True)
    if a.all_failing:
        return Transition(current, "every recent run fails: never marked fixed automatically", False)
    return Transition(current, f"{a.consecutive_default_passes}/{passes_needed} passes towards fixed", False)
