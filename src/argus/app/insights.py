"""Use cases of stored insights: list, show, record a human verdict, the calibration report.

Each takes the :class:`~argus.app.runtime.Runtime` and a typed request, runs one project-scoped unit
of work and returns a frozen read model (:mod:`argus.analysis.insights.readmodels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argus.analysis.insights.readmodels import CalibrationView, FeedbackRecorded, InsightShown, InsightView
from argus.core.enums import FeedbackVerdict

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime


@dataclass(frozen=True)
class ListInsightsRequest:
    project: str | None = None
    #: Only this insight kind (e.g. ``flaky_test``); None: every kind.
    kind: str | None = None
    min_confidence: float | None = None
    include_superseded: bool = False
    limit: int = 50


@dataclass(frozen=True)
class ShowInsightRequest:
    insight_id: int
    project: str | None = None


@dataclass(frozen=True)
class FeedbackRequest:
    insight_id: int
    verdict: FeedbackVerdict
    actor: str
    note: str | None = None
    project: str | None = None


@dataclass(frozen=True)
class CalibrationRequest:
    project: str | None = None
    #: Only insights of this kind; None: every kind.
    kind: str | None = None
    bins: int = 10


def list_insights(runtime: Runtime, req: ListInsightsRequest) -> tuple[InsightView, ...]:
    """Current insights (every version with ``include_superseded``), most confident first."""

    def work(scope: ProjectScope) -> tuple[InsightView, ...]:
        from argus.analysis.insights.queries import list_insights as rows

        return tuple(rows(scope.session, kind=req.kind, include_superseded=req.include_superseded,
                          min_confidence=req.min_confidence, limit=req.limit))

    return runtime.in_project(req.project, work)


def show_insight(runtime: Runtime, req: ShowInsightRequest) -> InsightShown:
    """One insight with its claims, evidence and feedback, and the runs its evidence points at."""

    def work(scope: ProjectScope) -> InsightShown:
        from argus.analysis.insights.queries import get_insight
        from argus.analysis.insights.refs import describe_refs

        view = get_insight(scope.session, req.insight_id)
        refs = describe_refs(scope.session, ((e.ref_type, e.ref_id) for e in view.evidence), scope.settings.run_url)
        return InsightShown(view, refs)

    return runtime.in_project(req.project, work)


def record_feedback(runtime: Runtime, req: FeedbackRequest) -> FeedbackRecorded:
    """Store a human verdict on an insight (it feeds calibration)."""

    def work(scope: ProjectScope) -> FeedbackRecorded:
        from argus.analysis.insights.service import add_feedback

        fid = add_feedback(scope.session, req.insight_id, req.verdict, req.actor, req.note)
        return FeedbackRecorded(fid, req.insight_id, req.verdict, req.actor)

    return runtime.in_project(req.project, work)


def calibration(runtime: Runtime, req: CalibrationRequest) -> CalibrationView:
    """Reliability of stored confidences against human verdicts, and the calibrator fitted from them."""

    def work(scope: ProjectScope) -> CalibrationView:
        from argus.analysis.insights.service import calibration_report

        report, cal = calibration_report(scope.session, req.kind, req.bins)
        return CalibrationView(report, cal)

    return runtime.in_project(req.project, work)
