"""Store insights with their evidence rows; list, show, take feedback, calibrate.

Reads are in :mod:`queries` (re-exported here: another capability imports only this module).
Saving an insight about a subject supersedes the previous current insight of the same kind and
subject (history is kept). Confidence is calibrated on save with the calibrator fitted from the
feedback on that kind (identity while feedback is scarce); the raw value is stored beside it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from argus.analysis.insights.queries import feedback_samples, get_insight, list_insights
from argus.core.clock import utcnow
from argus.core.enums import FeedbackVerdict, InsightKind
from argus.core.errors import InputError
from argus.reasoning import CalibrationMethod, Calibrator, Insight, fit_calibrator, reliability
from argus.reasoning.calibration import ReliabilityReport
from argus.store.models import EvidenceRow, Feedback, InsightRow
from argus.store.session import current_project_id

__all__ = ["add_feedback", "calibration_report", "calibrator_for", "feedback_samples", "get_insight",
           "list_insights", "save_insights"]


def calibrator_for(
    session: Session, kind: InsightKind | str, method: CalibrationMethod = CalibrationMethod.ISOTONIC
) -> Calibrator:
    return fit_calibrator(feedback_samples(session, kind), method)


def save_insights(
    session: Session, insights: Iterable[Insight], *, calibrator: Calibrator | None = None
) -> list[int]:
    """Persist insights (calibrating their confidence) and return their ids, in order."""
    project_id = current_project_id(session)
    items = list(insights)
    if not items:
        return []
    calibrators: dict[str, Calibrator] = {}
    now = utcnow()
    ids: list[int] = []
    evidence_rows: list[dict[str, object]] = []
    for ins in items:
        cal = calibrator or calibrators.setdefault(ins.kind.value, calibrator_for(session, ins.kind))
        raw = ins.confidence.raw if ins.confidence.raw is not None else ins.confidence.value
        calibrated = ins.calibrated(cal)  # one rule: the stored tier is the calibrated insight's review_tier
        value, tier = calibrated.confidence.value, calibrated.review_tier
        row = InsightRow(
            project_id=project_id,
            kind=ins.kind.value,
            subject_type=ins.subject.type.value,
            subject_id=ins.subject.id,
            subject_label=ins.subject.label,
            title=ins.title,
            summary=ins.summary,
            claims=[
                {
                    "text": c.text,
                    "confidence": c.confidence,
                    "support": c.support.value,
                    "contradictions": list(c.contradictions),
                }
                for c in ins.claims
            ],
            raw_confidence=raw,
            confidence=value,
            confidence_low=ins.confidence.low,
            confidence_high=ins.confidence.high,
            grounding=ins.grounding.value,
            review_tier=tier.value,
            action=ins.action,
            uncertainty=list(ins.uncertainty),
            data=dict(ins.data),
            provenance={
                "analyzer": ins.provenance.analyzer,
                "version": ins.provenance.version,
                "parameters": dict(ins.provenance.parameters),
                "model_version": ins.provenance.model_version,
                "calibration": cal.note or cal.method.value,
            },
            created_at=now,
        )
        session.add(row)
        session.flush()
        session.execute(
            update(InsightRow)
            .where(
                InsightRow.project_id == project_id,
                InsightRow.kind == row.kind,
                InsightRow.subject_type == row.subject_type,
                InsightRow.subject_id == row.subject_id,
                InsightRow.superseded_by.is_(None),
                InsightRow.id != row.id,
            )
            .values(superseded_by=row.id)
        )
        ids.append(row.id)
        for idx, claim in enumerate(ins.claims):
            for ev in claim.evidence:
                evidence_rows.append(
                    {
                        "project_id": project_id,
                        "insight_id": row.id,
                        "claim_index": idx,
                        "ref_type": ev.ref_type.value,
                        "ref_id": ev.ref_id,
                        "strength": ev.strength.value,
                        "detail": ev.detail,
                        "observed_at": ev.observed_at,
                    }
                )
    if evidence_rows:
        session.execute(insert(EvidenceRow), evidence_rows)
    return ids


def add_feedback(
    session: Session, insight_id: int, verdict: FeedbackVerdict | str, actor: str, note: str | None = None
) -> int:
    """Record a human verdict on an insight."""
    try:
        verdict = FeedbackVerdict(verdict)
    except ValueError:
        raise InputError(f"unknown verdict {verdict!r}: use accept, reject or correct") from None
    get_insight(session, insight_id)  # raises when absent or out of scope
    fb = Feedback(
        project_id=current_project_id(session),
        insight_id=insight_id,
        verdict=verdict.value,
        actor=actor,
        note=note,
    )
    session.add(fb)
    session.flush()
    return fb.id


def calibration_report(
    session: Session, kind: InsightKind | str | None = None, bins: int = 10
) -> tuple[ReliabilityReport, Calibrator]:
    samples = feedback_samples(session, kind)
    return reliability(samples, bins), fit_calibrator(samples)
