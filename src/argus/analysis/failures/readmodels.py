"""Frozen read models of failure clustering: what a front door renders (list rows, detail, summaries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from argus.analysis.failures.schemas import Trend


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


@dataclass(frozen=True)
class Template:
    """One template of an ad-hoc message clustering: its id, text and how many messages it holds."""

    id: int
    text: str
    count: int


@dataclass(frozen=True)
class MessageClusters:
    """Messages clustered without a database: one template id per input line, in order, and every
    template the miner holds (in the miner's order)."""

    labels: tuple[int, ...]
    templates: tuple[Template, ...]


@dataclass(frozen=True)
class ClusterList:
    """Clusters matching a list request; ``any_cluster`` says whether the project has any at all."""

    clusters: tuple[ClusterView, ...]
    any_cluster: bool
    latest_only: bool = False
