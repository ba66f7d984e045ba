"""Cluster stored failures incrementally and persist clusters, assignments and insights.

Only failed/errored results with no cluster yet are read (keyset pages of ``batch_size``); the
miner is rebuilt from the stored clusters' templates (``FailureCluster.state.tokens``), so earlier
failures are never re-clustered. When new evidence merges templates (see ``TemplateMiner``), the
failures of the merged clusters move to the merged template's cluster in bulk. Services never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from argus.analysis.failures import queries
from argus.analysis.failures.algo import assign, failure_text, miner_config, needs_split, own_stack
from argus.analysis.failures.insights import build_insights
from argus.analysis.failures.miner import TemplateMiner, render
from argus.analysis.failures.readmodels import AnalysisSummary, ClusterDetail, ClusterView
from argus.analysis.failures.schemas import ClusterKey, FailureInput
from argus.analysis.insights.service import save_insights
from argus.core.clock import as_utc
from argus.core.errors import NotFoundError
from argus.core.settings import ClusterSettings
from argus.store.models import FailureCluster, TestResult
from argus.store.models.ops import ClusterState
from argus.store.session import current_project_id

__all__ = [
    "analyze_failures",
    "cluster_for_result",
    "clusters_for_results",
    "clusters_for_run",
    "get_cluster",
    "has_clusters",
    "list_clusters",
    "load_miner",
]


@dataclass
class _Pass:
    """Clusters of the project keyed by fingerprint, and what this pass changed."""

    by_fp: dict[str, FailureCluster]
    touched: set[int] = field(default_factory=set)
    new: set[int] = field(default_factory=set)
    failures: int = 0


def load_miner(
    session: Session, settings: ClusterSettings
) -> tuple[TemplateMiner, dict[str, FailureCluster]]:
    """The project's template miner, rebuilt from its stored clusters, and the clusters by fingerprint.

    Clusters merged into others (``state.merged_tokens``, the template they went into) come back
    as merged templates, so the miner never mines their old, narrower template again. Merge chains
    are resolved whatever the order of the rows.
    """
    miner = TemplateMiner(miner_config(settings))
    clusters = queries.stored_clusters(session)
    pending: list[tuple[ClusterState, tuple[str, ...]]] = []  # (state, merged_tokens) of merged clusters
    for c in clusters:
        state = c.state
        if state.merged_tokens is not None:
            pending.append((state, state.merged_tokens))
        elif state.tokens:
            miner.add_template(list(state.tokens), c.count)
    while pending:
        rest = []
        for state, into in pending:
            target = miner.lookup(list(into))
            if target is None:
                rest.append((state, into))
            elif state.tokens:
                miner.add_template(list(state.tokens), 0, merged_into=target.id)
        if len(rest) == len(pending):  # a target no stored cluster holds: it is a live template
            miner.add_template(list(rest[0][1]))
        pending = rest
    return miner, {c.fingerprint: c for c in clusters}


def _sample(f: FailureInput) -> str:
    return failure_text(f.message, f.failure_type, f.stack)[:500]


def _cluster(
    session: Session, state: _Pass, key: ClusterKey, frames: Sequence[str], f: FailureInput
) -> FailureCluster:
    """The cluster of ``key``, created (first seen at ``f``) when it does not exist yet."""
    fp = key.fingerprint
    c = state.by_fp.get(fp)
    if c is None:
        c = FailureCluster(
            project_id=current_project_id(session),
            fingerprint=fp,
            template=render(key.template),
            stack_fingerprint=key.stack_fingerprint,
            failure_type=f.failure_type,
            samples=[],
            count=0,
            first_seen_at=f.observed_at,
            last_seen_at=f.observed_at,
            first_run_id=f.run_id,
            last_run_id=f.run_id,
            state=ClusterState(tokens=tuple(key.template), frames=tuple(frames)),
        )
        session.add(c)
        session.flush()
        state.by_fp[fp] = c
        state.new.add(c.id)
    return c


def _apply_merges(session: Session, state: _Pass, miner: TemplateMiner, settings: ClusterSettings) -> None:
    """Move the failures of clusters whose template was merged into the merged template's clusters.

    The merged template can be generic where the old one was not: its failures are then split by
    stack fingerprint, so each result is re-keyed from its own stack.
    """
    for old_tid, new_tid in miner.take_merges():
        old_tokens = tuple(miner.templates[old_tid].tokens)
        new_tokens = miner.templates[miner.resolve(new_tid)].tokens
        split = needs_split(new_tokens, settings)
        for c in [c for c in state.by_fp.values() if c.state.tokens == old_tokens]:
            if c.state.merged:
                continue
            rows = queries.cluster_failures(session, c.id)
            by_target: dict[int, list[int]] = {}
            target: FailureCluster | None = None
            for rid, run_id, stack, started in rows:
                fp, frames = own_stack(stack, settings)
                seen = FailureInput(rid, run_id, 0, None, c.failure_type, stack, started)
                target = _cluster(session, state, ClusterKey(new_tokens, fp if split else None), frames, seen)
                _count(target, seen)
                by_target.setdefault(target.id, []).append(rid)
            for tid, rids in by_target.items():
                session.execute(update(TestResult).where(TestResult.id.in_(rids)).values(cluster_id=tid))
                state.touched.add(tid)
            if target is not None:
                extra = [x for x in (c.samples or []) if x not in (target.samples or [])]
                target.samples = [*(target.samples or []), *extra][: settings.samples_per_cluster]
            c.count = 0
            c.state = c.state.merge(target.id if target is not None else None, new_tokens)
            state.touched.discard(c.id)
            state.new.discard(c.id)


def _count(c: FailureCluster, f: FailureInput) -> None:
    """Add one failure to a cluster's count and first/last seen."""
    c.count = (c.count or 0) + 1
    if f.observed_at < as_utc(c.first_seen_at):
        c.first_seen_at, c.first_run_id = f.observed_at, f.run_id
    if f.observed_at >= as_utc(c.last_seen_at):
        c.last_seen_at, c.last_run_id = f.observed_at, f.run_id


def _absorb(
    session: Session,
    state: _Pass,
    batch: Sequence[FailureInput],
    miner: TemplateMiner,
    settings: ClusterSettings,
) -> None:
    """Assign one page to clusters (creating new ones) and write the result→cluster links in bulk."""
    links: list[dict[str, int]] = []
    assignments = assign(miner, batch, settings)
    _apply_merges(session, state, miner, settings)
    for f, a in zip(batch, assignments, strict=True):
        c = _cluster(session, state, a.key, a.frames, f)
        _count(c, f)
        line = _sample(f)
        if line and len(c.samples or []) < settings.samples_per_cluster and line not in (c.samples or []):
            c.samples = [*(c.samples or []), line]  # reassign: JSON columns track assignment, not mutation
        state.touched.add(c.id)
        links.append({"id": f.result_id, "cluster_id": c.id})
    session.flush()
    if links:
        session.execute(update(TestResult), links)
    state.failures += len(batch)


def analyze_failures(
    session: Session,
    settings: ClusterSettings,
    *,
    now: datetime | None = None,
    emit_insights: bool = True,
) -> AnalysisSummary:
    """Cluster every unclustered failure of the scoped project; emit insights for touched clusters.

    Emits FAILURE_CLUSTER for each cluster that received failures and NOVEL_FAILURE for each of
    those first seen in the latest run. ``now`` anchors the trend windows (default: the latest
    run's start, so the result does not depend on the wall clock).
    """
    miner, by_fp = load_miner(session, settings)
    state = _Pass(by_fp)
    for batch in queries.unclustered(session, settings.batch_size):
        _absorb(session, state, batch, miner, settings)
    latest = queries.latest_run(session)
    insight_ids: list[int] = []
    novel = 0
    if state.touched:
        views = queries.cluster_views(session, settings, sorted(state.touched), now=now)
        novel = sum(1 for v in views if v.novel)
        if emit_insights:
            examples = queries.recent_results(session, [v.id for v in views], settings.evidence_per_claim)
            insight_ids = save_insights(session, build_insights(views, examples, latest, settings))
    return AnalysisSummary(
        failures=state.failures,
        clusters_touched=len(state.touched),
        new_clusters=len(state.new),
        novel_clusters=novel,
        latest_run_id=latest[0] if latest else None,
        insight_ids=tuple(insight_ids),
    )


def cluster_for_result(session: Session, settings: ClusterSettings, result_id: int) -> ClusterView | None:
    """The cluster of one test result (None when it is not clustered or out of scope)."""
    cid = queries.result_cluster_id(session, result_id)
    if cid is None:
        return None
    views = queries.cluster_views(session, settings, [cid])
    return views[0] if views else None


def clusters_for_results(
    session: Session, settings: ClusterSettings, result_ids: Sequence[int]
) -> dict[int, ClusterView]:
    """Cluster of each clustered result among ``result_ids`` (unclustered ones are absent).

    For reports such as the quality gate's "new failures with their cluster"; run
    :func:`analyze_failures` first so that the latest results have clusters.
    """
    if not result_ids:
        return {}
    pairs = queries.result_cluster_ids(session, result_ids)
    views = {v.id: v for v in queries.cluster_views(session, settings, sorted({cid for _, cid in pairs}))}
    return {rid: views[cid] for rid, cid in pairs if cid in views}


def list_clusters(
    session: Session,
    settings: ClusterSettings,
    *,
    run_id: int | None = None,
    novel_only: bool = False,
    min_count: int = 1,
    since_days: int | None = None,
    limit: int | None = 50,
) -> list[ClusterView]:
    """Clusters of the scoped project (optionally only those failing in ``run_id``, or novel ones)."""
    views = queries.cluster_views(
        session,
        settings,
        run_id=run_id,
        novel_only=novel_only,
        min_count=min_count,
        since_days=since_days,
        limit=limit,
    )
    return sorted(views, key=lambda v: (not v.novel, -v.recent, -v.count, v.id)) if run_id else views


def has_clusters(session: Session, settings: ClusterSettings) -> bool:
    """Whether the scoped project has any failure cluster with failures."""
    return bool(list_clusters(session, settings, limit=1))


def clusters_for_run(
    session: Session, settings: ClusterSettings, run_id: int | None = None
) -> list[ClusterView]:
    """Clusters with failures in ``run_id`` (default: the latest run), novel ones first."""
    if run_id is None:
        latest = queries.latest_run(session)
        if latest is None:
            return []
        run_id = latest[0]
    return list_clusters(session, settings, run_id=run_id, limit=None)


def get_cluster(
    session: Session, settings: ClusterSettings, cluster_id: int, *, recent: int = 20
) -> ClusterDetail:
    """One cluster with its affected tests (most failures first), newest failures and related clusters."""
    views = queries.cluster_views(session, settings, [cluster_id])
    if not views:
        into = queries.merged_into(session, cluster_id)
        if into is not None:
            raise NotFoundError(f"failure cluster {cluster_id} was merged into cluster {into}")
        raise NotFoundError(f"failure cluster {cluster_id} not found in this project")
    tests = queries.affected_tests(session, cluster_id)
    newest = queries.recent_results(session, [cluster_id], recent).get(cluster_id, [])
    return ClusterDetail(
        cluster=views[0],
        tests=tuple(tests),
        recent_results=tuple((rid, run, ident) for rid, run, ident, _, _ in newest),
        related=tuple(queries.related_clusters(session, cluster_id)),
    )
