"""Typed inputs and outputs of failure clustering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Trend(StrEnum):
    """Direction of a cluster's failure count: last window vs the window before it."""

    UP = "up"
    DOWN = "down"
    STABLE = "stable"


@dataclass(frozen=True)
class FailureInput:
    """One failed or errored test result to cluster."""

    result_id: int
    run_id: int
    test_case_id: int
    message: str | None
    failure_type: str | None
    stack: str | None
    observed_at: datetime


@dataclass(frozen=True)
class ClusterKey:
    """What makes a cluster: the message template and the own-code stack fingerprint (if any)."""

    template: tuple[str, ...]
    stack_fingerprint: str | None

    @property
    def fingerprint(self) -> str:
        import hashlib

        text = "\x1f".join(self.template) + "\x1e" + (self.stack_fingerprint or "")
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Assignment:
    """The cluster key of one failure, and the own frames behind its stack fingerprint."""

    result_id: int
    key: ClusterKey
    frames: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterView:
    """A failure cluster as users see it."""

    id: int
    template: str
    failure_type: str | None
    stack_fingerprint: str | None
    frames: tuple[str, ...]
    count: int
    affected_tests: int
    first_seen_at: datetime
    last_seen_at: datetime
    first_run_id: int | None
    last_run_id: int | None
    recent: int
    previous: int
    trend: Trend
    novel: bool
    samples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterDetail:
    """A cluster with the tests it affects and its most recent failures."""

    cluster: ClusterView
    tests: tuple[tuple[int, str, int], ...]  # (test_case_id, identity, failures)
    recent_results: tuple[tuple[int, int, str], ...]  # (test_result_id, run_id, test identity)
    related: tuple[tuple[int, float, str], ...] = ()  # (cluster id, similarity, template), most similar first


@dataclass(frozen=True)
class AnalysisSummary:
    """What one clustering pass did."""

    failures: int
    clusters_touched: int
    new_clusters: int
    novel_clusters: int
    latest_run_id: int | None
    insight_ids: tuple[int, ...] = field(default_factory=tuple)
