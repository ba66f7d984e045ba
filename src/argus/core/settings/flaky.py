"""Settings of flaky/broken test detection (``[flaky]``, ``ARGUS_FLAKY__*``).

``FlakyParams`` (argus.analysis.flaky.schemas) is derived from them with
:func:`argus.core.settings.derive`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, Field


class FlakySettings(BaseModel):
    """Flaky/broken detection parameters (see docs/analysis/flaky.md)."""

    window_runs: int = Field(50, description="Rolling window of recent runs per test.")
    min_runs: int = Field(5, description="Minimum runs before a failure-rate or multi-dimensional score is reported.")
    outage_share: float = Field(
        0.5, description="A run where at least this share of tests fail is treated as an infrastructure outage."
    )
    quarantine_threshold: float = Field(0.7, description="Recommend quarantine above this flaky probability.")
    investigate_threshold: float = Field(0.5, description="Recommend investigation above this flaky probability.")
    fixed_after_passes: int = Field(20, description="Consecutive default-branch passes needed to mark a test fixed.")
    broken_min_consecutive: int = Field(
        2, description="Consecutive failed attempts (retries count) from a code change that can make a test broken."
    )
    broken_min_probability: float = Field(
        0.95, description="A failure streak is a regression when P(regression vs flaky streak) reaches this."
    )
    report_threshold: float = Field(0.2, description="Emit a flaky-test insight (action monitor) from this probability.")
    auto_quarantine: bool = Field(
        True,
        description="Move a test to quarantined when its action is quarantine and the evidence is strong: the "
        "P(flaky) interval's lower bound clears quarantine_threshold and a pass on retry or a pass of the same "
        "code shows the failures are intermittent (otherwise it stays active for a person to decide).",
    )
    history_days: int | None = Field(None, description="Only analyse runs started in the last N days (None: all).")
    prior_flaky: float = Field(0.05, description="Prior share of flaky tests (Bayesian model, docs/analysis/flaky.md).")
    noise_unconfirmed: float = Field(0.003, description="Mean per-run failure rate of a stable (non-flaky) test.")
    noise_confirmed: float = Field(0.001, description="The part of that noise a passing rerun can confirm.")
    samples_per_test: int = Field(20, description="Latest failure texts per test read for categorisation.")

    #: Fields that are no parameter of the algorithm (``FlakyParams``): field -> who reads it instead.
    not_params: ClassVar[Mapping[str, str]] = {
        "auto_quarantine": "the flaky service's lifecycle step (quarantine or leave active)",
        "history_days": "the flaky service: which runs are read",
        "samples_per_test": "the flaky service: failure texts read for categorisation",
    }
