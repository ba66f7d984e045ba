"""Settings of failure clustering (``[clusters]``, ``ARGUS_CLUSTERS__*``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import BaseModel, Field


class ClusterSettings(BaseModel):
    """Failure clustering parameters (see docs/analysis/failures.md)."""

    variable_min_distinct: int = Field(
        5, ge=2, description="A message column with at least this many distinct words is a variable."
    )
    variable_distinct_ratio: float = Field(
        0.5, gt=0, le=1, description="A column whose distinct words / messages reach this is a variable."
    )
    message_max_chars: int = Field(2000, ge=50, description="Only this head of a failure message is mined.")
    stack_split: Literal["always", "generic", "never"] = Field(
        "generic",
        description="Split a message template by the own-code stack fingerprint: always, only for generic "
        "templates (at most generic_max_words constant words after the first token), or never.",
    )
    generic_max_words: int = Field(2, ge=0, description="A template with at most this many constant words is generic.")
    stack_frames: int = Field(1, ge=1, description="Innermost own-code frames in the stack fingerprint.")
    extra_skip_paths: list[str] = Field(
        default_factory=list, description="More file substrings marking framework frames (besides the built-in list)."
    )
    extra_skip_modules: list[str] = Field(
        default_factory=list, description="More function prefixes marking framework frames (e.g. 'com.vendor.')."
    )
    samples_per_cluster: int = Field(5, ge=1, description="Sample messages kept per cluster.")
    batch_size: int = Field(5000, ge=100, description="Unclustered failures mined per batch.")
    evidence_per_claim: int = Field(10, ge=1, description="Evidence rows attached to one claim at most.")
    trend_window_days: int = Field(7, ge=1, description="Trend compares the last window with the one before it.")
    trend_up_ratio: float = Field(1.2, description="Trend is up when recent/previous exceeds this.")
    trend_down_ratio: float = Field(0.8, description="Trend is down when recent/previous is below this.")

    #: Fields that are no parameter of the template miner (``MinerConfig``): field -> who reads it instead.
    not_params: ClassVar[Mapping[str, str]] = {
        "message_max_chars": "MinerConfig.max_chars (given by name in failures.algo.miner_config)",
        "stack_split": "failures.algo.needs_split",
        "generic_max_words": "failures.algo.needs_split",
        "stack_frames": "failures.algo.own_stack",
        "extra_skip_paths": "failures.algo.own_stack",
        "extra_skip_modules": "failures.algo.own_stack",
        "samples_per_cluster": "the failures service: sample messages kept",
        "batch_size": "the failures service: failures mined per batch",
        "evidence_per_claim": "the failures service: example results read per cluster for the evidence",
        "trend_window_days": "failures queries and insights: the trend window",
        "trend_up_ratio": "failures.algo.trend (called by failures.queries)",
        "trend_down_ratio": "failures.algo.trend (called by failures.queries)",
    }
