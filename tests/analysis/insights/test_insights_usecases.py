"""The insight use cases (:mod:`argus.app.insights`) called directly: typed requests in, frozen read models out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from argus.analysis.insights.readmodels import CalibrationView, FeedbackRecorded, InsightShown
from argus.analysis.insights.service import save_insights
from argus.app import insights as uc
from argus.app.runtime import Runtime
from argus.core.enums import FeedbackVerdict, InsightKind, Support
from argus.core.errors import NotFoundError
from argus.core.settings import Settings
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to


def make(test_id: str, conf: float, kind: InsightKind = InsightKind.FLAKY_TEST) -> Insight:
    return Insight(
        kind=kind,
        subject=Subject("test", test_id, f"tests/test_x.py::{test_id}"),
        title=f"{test_id} is flaky",
        summary="passes and fails on the same commit",
        claims=(Claim("failed then passed on retry", conf,
                      (Evidence("test_run", "999", Support.STRONG, "failed, then passed"),)),),
        confidence=Confidence(conf, 0.5, 0.99),
        provenance=Provenance("flaky", "1.0", {}),
        action="quarantine",
    )


@pytest.fixture
def stored(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[tuple[Runtime, list[int]]]:
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        ids = save_insights(s, [make("t1", 0.95), make("t2", 0.6), make("t3", 0.8, InsightKind.BROKEN_TEST)])
        s.commit()
    rt = Runtime(settings)
    yield rt, ids
    rt.close()


def test_list_and_show(stored: tuple[Runtime, list[int]]) -> None:
    rt, (t1, t2, t3) = stored
    assert [v.id for v in uc.list_insights(rt, uc.ListInsightsRequest())] == [t1, t3, t2]
    assert [v.id for v in uc.list_insights(rt, uc.ListInsightsRequest(kind="broken_test"))] == [t3]
    assert [v.id for v in uc.list_insights(rt, uc.ListInsightsRequest(min_confidence=0.9))] == [t1]
    assert [v.id for v in uc.list_insights(rt, uc.ListInsightsRequest(limit=2))] == [t1, t3]
    shown = uc.show_insight(rt, uc.ShowInsightRequest(t1))
    assert isinstance(shown, InsightShown) and shown.insight.subject_id == "t1"
    assert [e.ref_id for e in shown.insight.evidence] == ["999"]
    assert shown.refs == {}  # run 999 is not stored: described by its id
    with pytest.raises(NotFoundError):
        uc.show_insight(rt, uc.ShowInsightRequest(424242))


def test_feedback_then_calibration(stored: tuple[Runtime, list[int]]) -> None:
    rt, (t1, t2, _) = stored
    done = uc.record_feedback(rt, uc.FeedbackRequest(t1, FeedbackVerdict.ACCEPTED, "ana", note="seen it"))
    assert isinstance(done, FeedbackRecorded) and (done.insight_id, done.verdict, done.actor) == (
        t1, FeedbackVerdict.ACCEPTED, "ana")
    uc.record_feedback(rt, uc.FeedbackRequest(t2, FeedbackVerdict.REJECTED, "ana"))
    fb = uc.show_insight(rt, uc.ShowInsightRequest(t1)).insight.feedback
    assert [(f.verdict, f.actor, f.note) for f in fb] == [("accepted", "ana", "seen it")]
    with pytest.raises(NotFoundError):
        uc.record_feedback(rt, uc.FeedbackRequest(424242, FeedbackVerdict.ACCEPTED, "ana"))

    cal = uc.calibration(rt, uc.CalibrationRequest(bins=5))
    assert isinstance(cal, CalibrationView) and cal.report.n == 2 and len(cal.report.bins) == 5
    assert uc.calibration(rt, uc.CalibrationRequest(kind="broken_test")).report.n == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.report = cal.report  # type: ignore[misc]
