"""Failure-cluster use cases: cluster ad-hoc messages, analyse stored failures, list and show clusters.

Each takes the :class:`~argus.app.runtime.Runtime` and a typed request and returns a frozen read model
(:mod:`argus.analysis.failures.readmodels`); the stored ones run in one project unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.failures.readmodels import (
        AnalysisSummary,
        ClusterDetail,
        ClusterList,
        ClusterView,
        MessageClusters,
    )
    from argus.analysis.insights.refs import RunRef
    from argus.app.runtime import ProjectScope, Runtime

__all__ = [
    "AnalyzeRequest",
    "ClusterMessagesRequest",
    "ClusterShow",
    "ListRequest",
    "ShowRequest",
    "analyze",
    "cluster_messages",
    "list_clusters",
    "show_cluster",
]


@dataclass(frozen=True)
class ClusterMessagesRequest:
    """Messages to cluster, one per line (no database)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class AnalyzeRequest:
    """Cluster the project's stored failures that have no cluster yet."""

    project: str | None = None
    emit_insights: bool = True


@dataclass(frozen=True)
class ListRequest:
    """Which clusters to list. ``run`` is a CI run id (or ``#12``, Argus's own id); ``latest`` lists the
    clusters failing in the latest run (then ``run``, ``novel``, ``min_count`` and ``days`` are not used)."""

    project: str | None = None
    run: str | None = None
    latest: bool = False
    novel: bool = False
    min_count: int = 1
    days: int | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        if self.days is not None and self.days < 1:
            raise InputError(f"--days {self.days}: give a whole number of days, 1 or more")
        for name, value in (("--min-count", self.min_count), ("--limit", self.limit)):
            if value < 1:
                raise InputError(f"{name} {value}: give a whole number, 1 or more")


@dataclass(frozen=True)
class ShowRequest:
    """One cluster by id."""

    cluster_id: int
    project: str | None = None


@dataclass(frozen=True)
class ClusterShow:
    """A cluster's detail and the runs it names (first/last seen, newest failures) as users know them."""

    detail: ClusterDetail
    runs: Mapping[int, RunRef]


def cluster_messages(runtime: Runtime, request: ClusterMessagesRequest) -> MessageClusters:
    """Cluster messages with the project's clustering settings; one label per line, in order."""
    from argus.analysis.failures.algo import miner_config
    from argus.analysis.failures.miner import TemplateMiner
    from argus.analysis.failures.readmodels import MessageClusters, Template

    miner = TemplateMiner(miner_config(runtime.settings.clusters))
    labels = miner.add_messages(list(request.lines))
    templates = tuple(Template(t.id, t.text, t.count) for t in miner.templates.values())
    return MessageClusters(tuple(labels), templates)


def analyze(runtime: Runtime, request: AnalyzeRequest) -> AnalysisSummary:
    """Cluster every unclustered failure of the project and (unless told not to) save insights.

    An unknown project is not found (it is not created).
    """
    from argus.analysis.failures.service import analyze_failures

    def work(scope: ProjectScope) -> AnalysisSummary:
        return analyze_failures(scope.session, scope.settings.clusters, emit_insights=request.emit_insights)

    return runtime.in_project(request.project, work)


def list_clusters(runtime: Runtime, request: ListRequest) -> ClusterList:
    """The project's clusters matching ``request``, busiest in the recent window first."""
    from argus.analysis.failures import service
    from argus.analysis.failures.readmodels import ClusterList
    from argus.analysis.insights.refs import resolve_run

    def work(scope: ProjectScope) -> ClusterList:
        s, settings = scope.session, scope.settings.clusters
        run_pk = None if request.run is None else resolve_run(s, request.run)
        if request.latest:
            views: Sequence[ClusterView] = service.clusters_for_run(s, settings)[: request.limit]
        else:
            views = service.list_clusters(
                s,
                settings,
                run_id=run_pk,
                novel_only=request.novel,
                min_count=request.min_count,
                since_days=request.days,
                limit=request.limit,
            )
        any_cluster = bool(views) or service.has_clusters(s, settings)
        return ClusterList(tuple(views), any_cluster, latest_only=request.latest)

    return runtime.in_project(request.project, work)


def show_cluster(runtime: Runtime, request: ShowRequest) -> ClusterShow:
    """One cluster with its tests, newest failures, related clusters and the runs it names."""
    from argus.analysis.failures.service import get_cluster
    from argus.analysis.insights.refs import run_refs

    def work(scope: ProjectScope) -> ClusterShow:
        detail = get_cluster(scope.session, scope.settings.clusters, request.cluster_id)
        ends = (detail.cluster.first_run_id, detail.cluster.last_run_id)
        runs = run_refs(
            scope.session,
            [*(r for r in ends if r is not None), *(r for _, r, _ in detail.recent_results)],
            scope.settings.run_url,
        )
        return ClusterShow(detail, runs)

    return runtime.in_project(request.project, work)
