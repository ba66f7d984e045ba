"""Paged read use cases of the analyses for the HTTP API: flaky tests, failure clusters, insights with
claims and evidence, git changes with features; a build's stored gate verdict; the insight feed of the
event stream; and which project an insight belongs to.

Each runs one project-scoped unit of work (:meth:`Runtime.in_project`) and returns frozen read models
(those of the capabilities where they exist). Orders are deterministic and end with the row id:
flaky tests by probability (highest first), then newest first; clusters and insights newest first (id);
changes by commit time. Sort keys never change once a row exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from argus.analysis.insights.readmodels import InsightView
from argus.app.paging import Page, PageRequest, decode_cursor, paginate, scan, scan_chunks
from argus.core.errors import InputError, NotFoundError
from argus.ingest.git.queries import ChangeSummary

if TYPE_CHECKING:
    from argus.analysis.failures.readmodels import ClusterView
    from argus.analysis.flaky.readmodels import TestView
    from argus.app.runtime import ProjectScope, Runtime
    from argus.store.models import InsightRow

#: Most samples of a cluster a page may carry.
MAX_SAMPLES = 20


@dataclass(frozen=True)
class FlakyRequest(PageRequest):
    """Current flaky/broken tests whose finding was made within [since, until]."""

    kind: str | None = None  # flaky_test | broken_test; None: both
    state: str | None = None  # lifecycle state
    min_probability: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        from argus.analysis.flaky.lifecycle import LifecycleState

        if self.kind is not None and self.kind not in ("flaky_test", "broken_test"):
            raise InputError(f"kind {self.kind!r}: use flaky_test or broken_test")
        if self.state is not None and self.state not in {s.value for s in LifecycleState}:
            raise InputError(f"state {self.state!r}: use one of {', '.join(s.value for s in LifecycleState)}")
        if not 0.0 <= self.min_probability <= 1.0:
            raise InputError(f"min_probability {self.min_probability}: give a number from 0 to 1")


@dataclass(frozen=True)
class ClustersRequest(PageRequest):
    """Failure clusters last seen within [since, until] with at least ``min_count`` failures."""

    min_count: int = 1
    samples: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_count < 1:
            raise InputError(f"min_count {self.min_count}: give a whole number, 1 or more")
        if not 0 <= self.samples <= MAX_SAMPLES:
            raise InputError(f"samples {self.samples}: give a whole number from 0 to {MAX_SAMPLES}")


@dataclass(frozen=True)
class InsightsRequest(PageRequest):
    """Insights created within [since, until] (current ones unless ``include_superseded``)."""

    kind: str | None = None
    min_confidence: float | None = None
    include_superseded: bool = False


@dataclass(frozen=True)
class ChangesRequest(PageRequest):
    """Changes committed within [since, until]."""

    fixes_only: bool = False
    include_absent: bool = False


@dataclass(frozen=True)
class ChangeView(ChangeSummary):
    """A change (commit) as the git read model summarises it (size, what decided it is a fix, whether
    a later fix blamed it: SZZ bug-inducing, its linked issues) with its just-in-time features (None:
    not computed)."""

    features: dict[str, float] | None = None


@dataclass(frozen=True)
class StoredVerdict:
    """The current recorded gate verdict of a build (its GATE_VERDICT insight)."""

    build: str
    verdict: str
    insight: InsightView


@dataclass(frozen=True)
class InsightHome:
    """Where an insight lives: its organisation and project."""

    org: str
    project: str


def _insight_views(scope: ProjectScope, rows: list[InsightRow]) -> list[InsightView]:
    """Views of ``rows`` with their evidence and feedback (two queries for the lot)."""
    from sqlalchemy import select

    from argus.analysis.insights.queries import _view
    from argus.store.models import EvidenceRow, Feedback

    ids = [r.id for r in rows]
    ev: dict[int, list[EvidenceRow]] = {}
    fb: dict[int, list[Feedback]] = {}
    if ids:
        for e in scope.session.scalars(select(EvidenceRow).where(EvidenceRow.insight_id.in_(ids))
                                       .order_by(EvidenceRow.claim_index, EvidenceRow.id)):
            ev.setdefault(e.insight_id, []).append(e)
        for f in scope.session.scalars(select(Feedback).where(Feedback.insight_id.in_(ids)).order_by(Feedback.id)):
            fb.setdefault(f.insight_id, []).append(f)
    return [_view(r, ev.get(r.id, ()), fb.get(r.id, ())) for r in rows]


def list_flaky(runtime: Runtime, req: FlakyRequest) -> Page[TestView]:
    """Current flaky and broken tests, most likely first (the rows of ``argus flaky list``)."""
    from sqlalchemy import select

    from argus.analysis.flaky.readmodels import TestView
    from argus.core.enums import InsightKind, SubjectType
    from argus.store.models import FlakyTestState, InsightRow, TestCase

    kinds = [req.kind] if req.kind else [InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value]
    order = [(InsightRow.confidence, True), (InsightRow.id, True)]

    def view(row: Any) -> TestView | None:
        ins, state = row
        data = ins.data or {}
        if data.get("verdict") == "stable":  # a "monitor" insight: not called flaky (as `argus flaky list`)
            return None
        return TestView(test=ins.subject_id, label=ins.subject_label, kind=ins.kind, probability=ins.confidence,
                        low=ins.confidence_low, high=ins.confidence_high, action=ins.action,
                        category=(data.get("category") or {}).get("name"), state=state,
                        wasted_s=float(data.get("wasted_s") or 0.0), review_tier=ins.review_tier,
                        insight_id=ins.id)

    def work(scope: ProjectScope) -> Page[TestView]:
        stmt = (
            select(InsightRow, FlakyTestState.state)
            .join(TestCase, TestCase.identity == InsightRow.subject_id)
            .outerjoin(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
            .where(InsightRow.kind.in_(kinds), InsightRow.superseded_by.is_(None),
                   InsightRow.subject_type == SubjectType.TEST.value, InsightRow.confidence >= req.min_probability)
        )
        if req.state is not None:
            stmt = stmt.where(FlakyTestState.state == req.state)
        stmt = _window(stmt, InsightRow.created_at, req)
        key = decode_cursor("flaky", req.cursor, (float, int)) if req.cursor else None
        rows = scan(scope.session, stmt, order, _insight_key, key, req.limit + 1)
        return paginate("flaky", rows, req.limit, _insight_key, view)

    return runtime.in_project(req.project, work)


def _insight_key(row: Any) -> tuple[Any, ...]:
    return (row[0].confidence, row[0].id)


def _window(stmt: Any, col: Any, req: PageRequest) -> Any:
    if req.since is not None:
        stmt = stmt.where(col >= req.since)
    if req.until is not None:
        stmt = stmt.where(col <= req.until)
    return stmt


def list_clusters(runtime: Runtime, req: ClustersRequest) -> Page[ClusterView]:
    """Failure clusters newest first (by id: creation order), each with up to ``samples`` messages."""
    import dataclasses

    from sqlalchemy import select

    from argus.analysis.failures.queries import cluster_views
    from argus.store.models import FailureCluster

    # newest cluster first: the id never changes, whereas the last failure moves a cluster up the list
    # (a key that changes could make a walk skip or repeat a cluster)
    order = [(FailureCluster.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row.id,)

    def work(scope: ProjectScope) -> Page[ClusterView]:
        stmt = select(FailureCluster.id, FailureCluster.last_seen_at, FailureCluster.samples).where(
            FailureCluster.count >= req.min_count)
        stmt = _window(stmt, FailureCluster.last_seen_at, req)
        key = decode_cursor("clusters", req.cursor, (int,)) if req.cursor else None
        chunks = scan_chunks(scope.session, stmt, order, key_of, key, req.limit + 1)

        def rows() -> Iterator[tuple[Any, ClusterView | None]]:
            for chunk in chunks:  # views of a chunk of candidates in one query
                views = {v.id: v for v in cluster_views(scope.session, scope.settings.clusters,
                                                        [r.id for r in chunk], min_count=req.min_count)}
                for r in chunk:
                    yield r, views.get(r.id)

        def view(pair: tuple[Any, ClusterView | None]) -> ClusterView | None:
            row, v = pair  # no view: merged into another cluster, or no failures left
            return None if v is None else dataclasses.replace(v, samples=tuple((row.samples or [])[: req.samples]))

        return paginate("clusters", rows(), req.limit, lambda pair: key_of(pair[0]), view)

    return runtime.in_project(req.project, work)


def list_insights(runtime: Runtime, req: InsightsRequest) -> Page[InsightView]:
    """Insights newest first, each with its claims, evidence and feedback."""
    from sqlalchemy import select

    from argus.store.models import InsightRow

    order = [(InsightRow.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].id,)

    def work(scope: ProjectScope) -> Page[InsightView]:
        stmt = select(InsightRow)
        if req.kind is not None:
            stmt = stmt.where(InsightRow.kind == req.kind)
        if req.min_confidence is not None:
            stmt = stmt.where(InsightRow.confidence >= req.min_confidence)
        if not req.include_superseded:
            stmt = stmt.where(InsightRow.superseded_by.is_(None))
        stmt = _window(stmt, InsightRow.created_at, req)
        key = decode_cursor("insights", req.cursor, (int,)) if req.cursor else None
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1)
        page = paginate("insights", rows, req.limit, key_of, lambda row: row[0])
        return Page(tuple(_insight_views(scope, list(page.items))), page.next_cursor)

    return runtime.in_project(req.project, work)


def insights_after(runtime: Runtime, project: str, after_id: int | None, limit: int = 100) -> tuple[InsightView, ...]:
    """Insights stored after insight ``after_id`` in id order (None: none, only the latest id matters:
    see :func:`latest_insight_id`), with claims and evidence: the feed of the event stream."""
    from sqlalchemy import select

    from argus.store.models import InsightRow

    def work(scope: ProjectScope) -> tuple[InsightView, ...]:
        stmt = select(InsightRow).order_by(InsightRow.id).limit(limit)
        if after_id is not None:
            stmt = stmt.where(InsightRow.id > after_id)
        return tuple(_insight_views(scope, list(scope.session.scalars(stmt))))

    return runtime.in_project(project, work)


def latest_insight_id(runtime: Runtime, project: str) -> int:
    """The id of the project's newest insight (0 when it has none)."""
    from sqlalchemy import func, select

    from argus.store.models import InsightRow

    return runtime.in_project(project, lambda scope: int(
        scope.session.scalar(select(func.max(InsightRow.id))) or 0))


def insight_home(runtime: Runtime, insight_id: int) -> InsightHome:
    """The organisation and project of insight ``insight_id`` (not found when there is none)."""
    from sqlalchemy import select

    from argus.store.models import InsightRow, Organisation, Project
    from argus.store.session import unscoped

    with runtime.unit_of_work() as s, unscoped(s, reason="find the project of an insight named by id"):
        row = s.execute(
            select(Organisation.slug, Project.slug)
            .join(Project, Project.org_id == Organisation.id)
            .join(InsightRow, InsightRow.project_id == Project.id)
            .where(InsightRow.id == insight_id)
        ).first()
    if row is None:
        raise NotFoundError(f"insight {insight_id} not found")
    return InsightHome(row[0], row[1])


def check_commit(commit: str) -> str:
    """``commit`` when it is a sha or a prefix of at least 7 hex digits (an :class:`InputError` otherwise)."""
    if len(commit) < 7 or len(commit) > 64 or any(c not in "0123456789abcdef" for c in commit.lower()):
        raise InputError(f"commit {commit[:70]!r}: give a sha or a prefix of at least 7 hex digits")
    return commit


def stored_verdict(runtime: Runtime, project: str, commit: str) -> StoredVerdict:
    """The current recorded gate verdict of the build of ``commit`` (a sha or a prefix of 7 or more)."""
    from sqlalchemy import or_, select

    from argus.core.enums import InsightKind, SubjectType
    from argus.store.models import InsightRow

    def work(scope: ProjectScope) -> StoredVerdict:
        check_commit(commit)  # once the project is found (an unknown project is 404 whatever the commit)
        row = scope.session.scalars(
            select(InsightRow).where(
                InsightRow.kind == InsightKind.GATE_VERDICT.value,
                InsightRow.subject_type == SubjectType.BUILD.value,
                or_(InsightRow.subject_id == commit.lower(),
                    InsightRow.subject_id.startswith(commit.lower(), autoescape=True)),
                InsightRow.superseded_by.is_(None),
            ).order_by(InsightRow.id.desc()).limit(1)
        ).first()
        if row is None:
            raise NotFoundError(f"no gate verdict recorded for commit {commit}")
        (view,) = _insight_views(scope, [row])
        return StoredVerdict(row.subject_id, str((row.data or {}).get("verdict", "")), view)

    return runtime.in_project(project, work)


def list_changes(runtime: Runtime, req: ChangesRequest) -> Page[ChangeView]:
    """Stored changes newest first (commit time, then id): the git read model's summaries
    (:func:`argus.ingest.git.queries.change_summaries`) with JIT features."""
    import dataclasses

    from argus.ingest.git.features import FEATURE_NAMES
    from argus.ingest.git.queries import change_summaries, changes_select
    from argus.store.models import Commit, CommitFeatures

    order = [(Commit.committer_time, True), (Commit.id, True)]

    def key_of(row: Any) -> tuple[Any, ...]:
        return (row[0].committer_time, row[0].id)

    def work(scope: ProjectScope) -> Page[ChangeView]:
        stmt = (changes_select(fixes_only=req.fixes_only, include_absent=req.include_absent)
                .add_columns(CommitFeatures).outerjoin(CommitFeatures, CommitFeatures.commit_id == Commit.id))
        stmt = _window(stmt, Commit.committer_time, req)
        key = decode_cursor("changes", req.cursor, (datetime, int)) if req.cursor else None
        rows = scan(scope.session, stmt, order, key_of, key, req.limit + 1)
        page = paginate("changes", rows, req.limit, key_of, lambda row: row)
        views = []
        for row, summary in zip(page.items, change_summaries(scope.session, page.items), strict=True):
            feat = row[-1]
            features = None if feat is None else {k: float(getattr(feat, k)) for k in FEATURE_NAMES}
            views.append(ChangeView(**{f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)},
                                    features=features))
        return Page(tuple(views), page.next_cursor)

    return runtime.in_project(req.project, work)
