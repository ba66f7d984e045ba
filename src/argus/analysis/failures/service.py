"""Cluster stored failures incrementally and persist clusters, assignments and insights.

Only failed/errored results with no cluster yet are read (keyset pages of ``batch_size``); the
miner is rebuilt from the stored clusters' templates (``FailureCluster.state['tokens']``), so earlier
failures are never re-clustered. When new evidence merges templates (see ``TemplateMiner``), the
failures of the merged clusters move to the merged template's cluster in bulk. Services never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from argus.analysis.failures.algo import assign, failure_text, miner_config, needs_split, own_stack
from argus.analysis.failures.insights import build_insights
from argus.analysis.failures.miner import TemplateMiner, render
from argus.analysis.failures.schemas import AnalysisSummary, ClusterKey, ClusterView, FailureInput
from argus.analysis.failures.views import (
    cluster_views,
    get_cluster,
    latest_run,
    list_clusters,
    recent_results,
)
from argus.analysis.insights.service import save_insights
from argus.core.clock import as_utc
from argus.core.enums import Outcome
from argus.core.settings import ClusterSettings
from argus.store.models import FailureCluster, TestResult, TestRun
from argus.store.session import current_project_id

__all__ = [
    "analyze_failures",
    "cluster_for_result",
    "clusters_for_results",
    "clusters_for_run",
    "get_cluster",
    "list_clusters",
    "load_miner",
]

_FAILED = (Outcome.FAILED.value, Outcome.ERROR.value)


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

    Clusters merged into others (``state['merged_tokens']``, the template they went into) come back
    as merged templates, so the miner never mines their old, narrower template again. Merge chains
    are resolved whatever the order of the rows.
    """
    miner = TemplateMiner(miner_config(settings))
    clusters = list(session.scalars(select(FailureCluster).order_by(FailureCluster.id)))
    pending: list[FailureCluster] = []
    for c in clusters:
        state = c.state or {}
        if state.get("merged_tokens") is not None:
            pending.append(c)
        elif state.get("tokens"):
            miner.add_template(state["tokens"], c.count)
    while pending:
        rest = []
        for c in pending:
            target = miner.lookup(c.state["merged_tokens"])
            if target is None:
                rest.append(c)
            elif c.state.get("tokens"):
                miner.add_template(c.state["tokens"], 0, merged_into=target.id)
        if len(rest) == len(pending):  # a target no stored cluster holds: it is a live template
            miner.add_template(rest[0].state["merged_tokens"])
        pending = rest
    return miner, {c.fingerprint: c for c in clusters}


def _unclustered(session: Session, batch_size: int) -> Iterator[list[FailureInput]]:
    """Pages of failed/errored results without a cluster, oldest id first."""
    last = 0
    while True:
        rows = session.execute(
            select(
                TestResult.id,
                TestResult.run_id,
                TestResult.test_case_id,
                TestResult.message,
                TestResult.failure_type,
                TestResult.stack,
                TestRun.started_at,
            )
            .join(TestRun, TestRun.id == TestResult.run_id)
            .where(
                TestResult.cluster_id.is_(None),
                TestResult.outcome.in_(_FAILED),
                TestResult.id > last,
            )
            .order_by(TestResult.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield [FailureInput(r[0], r[1], r[2], r[3], r[4], r[5], as_utc(r[6])) for r in rows]
        last = rows[-1][0]


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
            state={"tokens": list(key.template), "frames": list(frames)},
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
        old_tokens = list(miner.templates[old_tid].tokens)
        new_tokens = miner.templates[miner.resolve(new_tid)].tokens
        split = needs_split(new_tokens, settings)
        for c in [c for c in state.by_fp.values() if (c.state or {}).get("tokens") == old_tokens]:
            if (c.state or {}).get("merged_tokens") is not None:
                continue
            rows = session.execute(
                select(TestResult.id, TestResult.run_id, TestResult.stack, TestRun.started_at)
                .join(TestRun, TestRun.id == TestResult.run_id)
                .where(TestResult.cluster_id == c.id)
                .order_by(TestRun.started_at, TestResult.id)
            ).all()
            by_target: dict[int, list[int]] = {}
            target: FailureCluster | None = None
            for rid, run_id, stack, started in rows:
                fp, frames = own_stack(stack, settings)
                seen = FailureInput(rid, run_id, 0, None, c.failure_type, stack, as_utc(started))
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
            c.state = {
                **(c.state or {}),
                "merged_into": target.id if target is not None else None,
                "merged_tokens": list(new_tokens),
            }
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
    for batch in _unclustered(session, settings.batch_size):
        _absorb(session, state, batch, miner, settings)
    latest = latest_run(session)
    insight_ids: list[int] = []
    novel = 0
    if state.touched:
        views = cluster_views(session, settings, sorted(state.touched), now=now)
        novel = sum(1 for v in views if v.novel)
        if emit_insights:
            examples = recent_results(session, [v.id for v in views], settings.evidence_per_claim)
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
    cid = session.scalars(select(TestResult.cluster_id).where(TestResult.id == result_id)).first()
    if cid is None:
        return None
    views = cluster_views(session, settings, [cid])
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
    rows = session.execute(
        select(TestResult.id, TestResult.cluster_id).where(
            TestResult.id.in_(list(result_ids)), TestResult.cluster_id.is_not(None)
        )
    ).all()
    pairs = [(int(rid), int(cid)) for rid, cid in rows if cid is not None]
    views = {v.id: v for v in cluster_views(session, settings, sorted({cid for _, cid in pairs}))}
    return {rid: views[cid] for rid, cid in pairs if cid in views}


def clusters_for_run(
    session: Session, settings: ClusterSettings, run_id: int | None = None
) -> list[ClusterView]:
    """Clusters with failures in ``run_id`` (default: the latest run), novel ones first."""
    if run_id is None:
        latest = latest_run(session)
        if latest is None:
            return []
        run_id = latest[0]
    return list_clusters(session, settings, run_id=run_id, limit=None)
