from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.insights.service import (
    add_feedback,
    calibration_report,
    feedback_samples,
    get_insight,
    list_insights,
    save_insights,
)
from argus.core.enums import InsightKind, ReviewTier, Support
from argus.core.errors import InputError, NotFoundError
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.models import EvidenceRow
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to


def make(test_id: str, conf: float, strength: Support = Support.STRONG) -> Insight:
    return Insight(
        kind=InsightKind.FLAKY_TEST,
        subject=Subject("test", test_id, f"tests/test_x.py::{test_id}"),
        title=f"{test_id} is flaky",
        summary="passes and fails on the same commit",
        claims=(
            Claim(
                "failed then passed on retry in run 7",
                conf,
                (
                    Evidence("test_result", "11", strength, "failed, attempt 0"),
                    Evidence("test_result", "12", strength, "passed, attempt 1"),
                ),
            ),
        ),
        confidence=Confidence(conf, 0.5, 0.99),
        provenance=Provenance("flaky", "1.0", {"min_runs": 5}),
        action="quarantine",
    )


def test_save_show_and_supersede(project_session: Session) -> None:
    s = project_session
    (first,) = save_insights(s, [make("t1", 0.97)])
    view = get_insight(s, first)
    assert view.review_tier == ReviewTier.AUTONOMOUS.value
    assert [e.ref_id for e in view.evidence] == ["11", "12"]
    (second,) = save_insights(s, [make("t1", 0.8, Support.MODERATE)])
    assert get_insight(s, first).superseded_by == second
    current = list_insights(s)
    assert [i.id for i in current] == [second]
    assert current[0].review_tier == ReviewTier.PRE_APPROVAL.value
    assert len(list_insights(s, include_superseded=True)) == 2


def test_other_projects_cannot_see_insights(project_session: Session) -> None:
    (iid,) = save_insights(project_session, [make("t1", 0.9)])
    scoped_to(project_session, get_or_create_project(project_session, "other"))
    with pytest.raises(NotFoundError):
        get_insight(project_session, iid)
    assert project_session.scalars(select(EvidenceRow)).all() == []


def test_feedback_feeds_calibration(project_session: Session) -> None:
    s = project_session
    ids = save_insights(s, [make(f"t{i}", 0.9) for i in range(40)])
    for n, iid in enumerate(ids):
        add_feedback(s, iid, "accepted" if n % 2 == 0 else "rejected", "bob")
    # the latest verdict counts
    add_feedback(s, ids[1], "accepted", "bob", "second look")
    samples = feedback_samples(s, InsightKind.FLAKY_TEST)
    assert len(samples) == 40 and sum(x.accepted for x in samples) == 21
    report, cal = calibration_report(s)
    assert report.n == 40 and report.bins[9].count == 40
    assert report.ece == pytest.approx(abs(21 / 40 - 0.9))
    assert cal.apply(0.9) == pytest.approx(21 / 40)
    # new insights of that kind get calibrated on save; the raw value is kept
    (nid,) = save_insights(s, [make("fresh", 0.9)])
    v = get_insight(s, nid)
    assert v.raw_confidence == 0.9 and v.confidence == pytest.approx(21 / 40)
    assert v.review_tier == ReviewTier.HUMAN_REQUIRED.value
    # one rule: the stored tier is the calibrated insight's tier, not the uncalibrated one's
    assert make("fresh", 0.9).review_tier is ReviewTier.ASYNC_REVIEW
    assert make("fresh", 0.9).calibrated(cal).review_tier.value == v.review_tier


def test_bad_verdict(project_session: Session) -> None:
    (iid,) = save_insights(project_session, [make("t1", 0.9)])
    with pytest.raises(InputError):
        add_feedback(project_session, iid, "maybe", "x")
    with pytest.raises(NotFoundError):
        add_feedback(project_session, 999999, "accepted", "x")
