"""Read-only SQL of failure clustering: store rows -> schemas and read models. Never writes.

Every query runs in a project-scoped session (tenancy confines it to the scoped project).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from argus.analysis.failures.algo import trend
from argus.analysis.failures.readmodels import ClusterView
from argus.analysis.failures.schemas import Example, FailureInput
from argus.analysis.failures.similar import most_similar
from argus.core.clock import as_utc, utcnow
from argus.core.enums import Outcome
from argus.core.settings import ClusterSettings
from argus.store.models import FailureCluster, TestCase, TestResult, TestRun
from argus.store.session import current_project_id

_FAILED = (Outcome.FAILED.value, Outcome.ERROR.value)


def latest_run(session: Session) -> tuple[int, datetime] | None:
    """(id, started_at) of the project's most recent run (by start time, then id)."""
    row = session.execute(
        select(TestRun.id, TestRun.started_at).order_by(TestRun.started_at.desc(), TestRun.id.desc()).limit(1)
    ).first()
    return (row[0], as_utc(row[1])) if row else None


def stored_clusters(session: Session) -> list[FailureCluster]:
    """Every cluster of the project (live and merged), oldest first."""
    return list(session.scalars(select(FailureCluster).order_by(FailureCluster.id)))


def unclustered(session: Session, batch_size: int) -> Iterator[list[FailureInput]]:
    """Pages of failed/errored results without a cluster, oldest id first.

    Keyset pages: the caller may assign each page to clusters before asking for the next.
    """
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


def cluster_failures(session: Session, cluster_id: int) -> list[tuple[int, int, str | None, datetime]]:
    """(result id, run id, stack, run start) of every failure in a cluster, oldest run first."""
    rows = session.execute(
        select(TestResult.id, TestResult.run_id, TestResult.stack, TestRun.started_at)
        .join(TestRun, TestRun.id == TestResult.run_id)
        .where(TestResult.cluster_id == cluster_id)
        .order_by(TestRun.started_at, TestResult.id)
    ).all()
    return [(int(rid), int(run_id), stack, as_utc(started)) for rid, run_id, stack, started in rows]


def result_cluster_id(session: Session, result_id: int) -> int | None:
    """The cluster id of one test result (None when it is not clustered or out of scope)."""
    return session.scalars(select(TestResult.cluster_id).where(TestResult.id == result_id)).first()


def result_cluster_ids(session: Session, result_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(result id, cluster id) of the clustered results among ``result_ids``."""
    rows = session.execute(
        select(TestResult.id, TestResult.cluster_id).where(
            TestResult.id.in_(list(result_ids)), TestResult.cluster_id.is_not(None)
        )
    ).all()
    return [(int(rid), int(cid)) for rid, cid in rows if cid is not None]


def merged_into(session: Session, cluster_id: int) -> int | None:
    """The cluster a merged cluster's failures went to (None when it is not a merged cluster)."""
    row = session.scalars(select(FailureCluster).where(FailureCluster.id == cluster_id)).first()
    return row.state.merged_into if row is not None else None


def cluster_views(
    session: Session,
    settings: ClusterSettings,
    cluster_ids: Sequence[int] | None = None,
    *,
    now: datetime | None = None,
    run_id: int | None = None,
    novel_only: bool = False,
    min_count: int = 1,
    since_days: int | None = None,
    limit: int | None = None,
) -> list[ClusterView]:
    """Views of the given clusters (all when None), most failures in the recent window first.

    ``min_count`` drops clusters with fewer failures; ``since_days`` keeps clusters last seen within
    that many days of ``now``.

    Windows end at ``now`` (default: the latest run's start, else the clock): recent is
    (now − w, now], previous is (now − 2w, now − w], w = ``trend_window_days``. A cluster is novel
    when its first failure is in the latest run.
    """
    pid = current_project_id(session)
    latest = latest_run(session)
    ref = as_utc(now) if now else (latest[1] if latest else utcnow())
    w = timedelta(days=settings.trend_window_days)
    in_recent = and_(TestRun.started_at > ref - w, TestRun.started_at <= ref)
    in_prev = and_(TestRun.started_at > ref - 2 * w, TestRun.started_at <= ref - w)
    stats = (
        select(
            TestResult.cluster_id.label("cid"),
            func.count(func.distinct(TestResult.test_case_id)).label("tests"),
            func.sum(case((in_recent, 1), else_=0)).label("recent"),
            func.sum(case((in_prev, 1), else_=0)).label("previous"),
        )
        .join(TestRun, TestRun.id == TestResult.run_id)
        .where(TestResult.project_id == pid, TestResult.cluster_id.is_not(None))
        .group_by(TestResult.cluster_id)
    )
    if cluster_ids is not None:
        stats = stats.where(TestResult.cluster_id.in_(list(cluster_ids)))
    if run_id is not None:
        in_run = select(TestResult.cluster_id).where(
            TestResult.project_id == pid, TestResult.run_id == run_id, TestResult.cluster_id.is_not(None)
        )
        stats = stats.where(TestResult.cluster_id.in_(in_run))
    sub = stats.subquery()
    stmt = select(FailureCluster, sub.c.tests, sub.c.recent, sub.c.previous).join(
        sub, sub.c.cid == FailureCluster.id
    )
    if novel_only:
        stmt = stmt.where(FailureCluster.first_run_id == (latest[0] if latest else -1))
    if min_count > 1:
        stmt = stmt.where(FailureCluster.count >= min_count)
    if since_days is not None:
        stmt = stmt.where(FailureCluster.last_seen_at >= ref - timedelta(days=since_days))
    stmt = stmt.order_by(sub.c.recent.desc(), FailureCluster.count.desc(), FailureCluster.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    out: list[ClusterView] = []
    for c, tests, recent, previous in session.execute(stmt):
        recent, previous = int(recent or 0), int(previous or 0)
        out.append(
            ClusterView(
                id=c.id,
                template=c.template,
                failure_type=c.failure_type,
                stack_fingerprint=c.stack_fingerprint,
                frames=c.state.frames,
                count=c.count,
                affected_tests=int(tests or 0),
                first_seen_at=as_utc(c.first_seen_at),
                last_seen_at=as_utc(c.last_seen_at),
                first_run_id=c.first_run_id,
                last_run_id=c.last_run_id,
                recent=recent,
                previous=previous,
                trend=trend(recent, previous, settings.trend_up_ratio, settings.trend_down_ratio),
                novel=latest is not None and c.first_run_id == latest[0],
                samples=tuple(c.samples or ()),
            )
        )
    return out


def recent_results(session: Session, cluster_ids: Sequence[int], per_cluster: int) -> dict[int, list[Example]]:
    """Up to ``per_cluster`` newest results per cluster: (result id, run id, test identity, message, time)."""
    if not cluster_ids:
        return {}
    rn = func.row_number().over(partition_by=TestResult.cluster_id, order_by=TestResult.id.desc()).label("rn")
    inner = (
        select(
            TestResult.cluster_id.label("cid"),
            TestResult.id.label("rid"),
            TestResult.run_id.label("run_id"),
            TestCase.identity.label("identity"),
            TestResult.message.label("message"),
            TestRun.started_at.label("at"),
            rn,
        )
        .join(TestCase, TestCase.id == TestResult.test_case_id)
        .join(TestRun, TestRun.id == TestResult.run_id)
        .where(
            TestResult.project_id == current_project_id(session), TestResult.cluster_id.in_(list(cluster_ids))
        )
        .subquery()
    )
    out: dict[int, list[Example]] = {}
    rows = session.execute(
        select(inner.c.cid, inner.c.rid, inner.c.run_id, inner.c.identity, inner.c.message, inner.c.at)
        .where(inner.c.rn <= per_cluster)
        .order_by(inner.c.cid, inner.c.rid.desc())
    )
    for cid, rid, run, ident, msg, at in rows:
        out.setdefault(cid, []).append((rid, run, ident, msg, as_utc(at)))
    return out


def affected_tests(session: Session, cluster_id: int) -> list[tuple[int, str, int]]:
    """(test case id, identity, failures) of the tests failing in a cluster, most failures first."""
    rows = session.execute(
        select(TestCase.id, TestCase.identity, func.count(TestResult.id))
        .join(TestResult, TestResult.test_case_id == TestCase.id)
        .where(TestResult.cluster_id == cluster_id)
        .group_by(TestCase.id, TestCase.identity)
        .order_by(func.count(TestResult.id).desc(), TestCase.identity)
    ).all()
    return [(int(i), str(n), int(k)) for i, n, k in rows]


def related_clusters(
    session: Session, cluster_id: int, *, k: int = 5, min_similarity: float = 0.5
) -> list[tuple[int, float, str]]:
    """Live clusters whose template text resembles ``cluster_id``'s (char 3-gram TF-IDF cosine)."""
    rows = session.execute(
        select(FailureCluster.id, FailureCluster.template)
        .where(FailureCluster.count > 0)
        .order_by(FailureCluster.id)
    ).all()
    ids = [r[0] for r in rows]
    if cluster_id not in ids:
        return []
    texts = [r[1] for r in rows]
    hits = most_similar(texts, ids.index(cluster_id), k=k, min_similarity=min_similarity)
    return [(ids[i], round(sim, 3), texts[i]) for i, sim in hits]
