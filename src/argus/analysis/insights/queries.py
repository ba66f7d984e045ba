"""Read-only SQL of stored insights: list, one insight with evidence and feedback, feedback samples.

Never writes; the writes (save, feedback) are in :mod:`service`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.analysis.insights.readmodels import EvidenceView, FeedbackView, InsightView
from argus.core.enums import FeedbackVerdict, InsightKind
from argus.core.errors import NotFoundError
from argus.reasoning import Sample
from argus.store.models import EvidenceRow, Feedback, InsightRow


def _view(
    row: InsightRow, evidence: Sequence[EvidenceRow] = (), feedback: Sequence[Feedback] = ()
) -> InsightView:
    return InsightView(
        id=row.id,
        kind=row.kind,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        subject_label=row.subject_label,
        title=row.title,
        summary=row.summary,
        confidence=row.confidence,
        raw_confidence=row.raw_confidence,
        confidence_low=row.confidence_low,
        confidence_high=row.confidence_high,
        grounding=row.grounding,
        review_tier=row.review_tier,
        action=row.action,
        uncertainty=list(row.uncertainty or []),
        claims=list(row.claims or []),
        data=dict(row.data or {}),
        provenance=dict(row.provenance or {}),
        created_at=row.created_at,
        superseded_by=row.superseded_by,
        evidence=tuple(
            EvidenceView(e.claim_index, e.ref_type, e.ref_id, e.strength, e.detail, e.observed_at)
            for e in evidence
        ),
        feedback=tuple(FeedbackView(f.verdict, f.actor, f.note, f.created_at) for f in feedback),
    )


def list_insights(
    session: Session,
    *,
    kind: InsightKind | str | None = None,
    include_superseded: bool = False,
    min_confidence: float | None = None,
    limit: int = 50,
) -> list[InsightView]:
    """Current insights of the scoped project, highest confidence first."""
    stmt = select(InsightRow)
    if kind is not None:
        stmt = stmt.where(InsightRow.kind == str(kind))
    if not include_superseded:
        stmt = stmt.where(InsightRow.superseded_by.is_(None))
    if min_confidence is not None:
        stmt = stmt.where(InsightRow.confidence >= min_confidence)
    stmt = stmt.order_by(InsightRow.confidence.desc(), InsightRow.id.desc()).limit(limit)
    return [_view(r) for r in session.scalars(stmt)]


def get_insight(session: Session, insight_id: int) -> InsightView:
    row = session.scalars(select(InsightRow).where(InsightRow.id == insight_id)).first()
    if row is None:
        raise NotFoundError(f"insight {insight_id} not found in this project")
    ev = session.scalars(
        select(EvidenceRow)
        .where(EvidenceRow.insight_id == insight_id)
        .order_by(EvidenceRow.claim_index, EvidenceRow.id)
    ).all()
    fb = session.scalars(
        select(Feedback).where(Feedback.insight_id == insight_id).order_by(Feedback.id)
    ).all()
    return _view(row, ev, fb)


def feedback_samples(session: Session, kind: InsightKind | str | None = None) -> list[Sample]:
    """(raw confidence, accepted?) per insight with feedback; the latest verdict counts.

    A CORRECTED verdict counts as not accepted: the insight was wrong as stated.
    """
    latest = (
        select(Feedback.insight_id, func.max(Feedback.id).label("fid"))
        .group_by(Feedback.insight_id)
        .subquery()
    )
    stmt = (
        select(InsightRow.raw_confidence, Feedback.verdict)
        .join(latest, latest.c.insight_id == InsightRow.id)
        .join(Feedback, Feedback.id == latest.c.fid)
    )
    if kind is not None:
        stmt = stmt.where(InsightRow.kind == str(kind))
    return [Sample(float(c), v == FeedbackVerdict.ACCEPTED.value) for c, v in session.execute(stmt)]
