"""Stored series and anomaly insights through the use cases: ingest, analyse (incremental), list, show."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from argus.analysis.anomaly.forecast import CANDIDATES
from argus.app.anomaly import (
    AnalyzeRequest,
    IngestRequest,
    ListRequest,
    ShowRequest,
    analyze,
    ingest_metrics,
    list_anomalies,
    show_anomaly,
)
from argus.app.runtime import Runtime
from argus.core.errors import NotFoundError
from argus.core.settings import Settings
from argus.testing.builders import History

T0 = datetime(2026, 1, 1)
SPIKE = 280


def _csv(n: int, *, spike_at: int | None = SPIKE, start: int = 0) -> tuple[str, ...]:
    rows = ["timestamp,value"]
    for i in range(start, n):
        v = 60 + 3 * math.sin(i * 0.7) + (i % 5) * 0.4 + (300 if i == spike_at else 0)
        rows.append(f"{(T0 + timedelta(hours=i)).isoformat()},{v:.3f}")
    return tuple(rows)


def _ingest(runtime: Runtime, project: str, lines: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    return ingest_metrics(runtime, IngestRequest("q.csv", lines, "build.queue_s", project)).series


def test_ingest_is_idempotent_and_analyze_scores_only_new_points(runtime: Runtime) -> None:
    assert _ingest(runtime, "shop", _csv(288)) == (("build.queue_s", 288, 288),)
    assert _ingest(runtime, "shop", _csv(288)) == (("build.queue_s", 288, 0),)
    first = analyze(runtime, AnalyzeRequest("shop"))
    assert first.scored_points == 288 and first.anomalies >= 1
    again = analyze(runtime, AnalyzeRequest("shop"))
    assert again.scored_points == 0 and again.anomalies == 0 and again.insight_ids == ()
    listed = list_anomalies(runtime, ListRequest("shop"))
    assert [v.subject_id for v in listed.items] == ["build.queue_s"]
    shown = show_anomaly(runtime, ShowRequest(listed.items[0].id, "shop"))
    assert shown.kind == "anomaly" and shown.data["at"] == f"{(T0 + timedelta(hours=SPIKE)).isoformat()}Z"
    assert {e.ref_type for e in shown.evidence} == {"metric_window", "metric_baseline"}
    base = shown.data["baseline"]
    assert base["count"] == SPIKE and 55 < base["median"] < 65
    assert shown.data["gates"] == {**shown.data["gates"], "baseline_old_enough": True, "impact": True}


def test_incremental_scoring_finds_what_one_pass_finds(runtime: Runtime) -> None:
    _ingest(runtime, "once", _csv(288))
    analyze(runtime, AnalyzeRequest("once"))
    _ingest(runtime, "twice", _csv(200))
    analyze(runtime, AnalyzeRequest("twice"))
    _ingest(runtime, "twice", _csv(288, start=200))
    second = analyze(runtime, AnalyzeRequest("twice"))
    assert second.scored_points == 88
    once = list_anomalies(runtime, ListRequest("once", include_superseded=True)).items
    twice = list_anomalies(runtime, ListRequest("twice", include_superseded=True)).items
    assert [(v.data["at"], v.data["score"]) for v in once] == [(v.data["at"], v.data["score"]) for v in twice]


def test_gates_decide_the_action_a_young_series_never_pages(runtime: Runtime) -> None:
    _ingest(runtime, "young", _csv(120, spike_at=110))  # 5 days: gate 1 fails
    analyze(runtime, AnalyzeRequest("young"))
    [v] = list_anomalies(runtime, ListRequest("young")).items
    assert v.data["gates"]["baseline_old_enough"] is False and v.action != "page"
    assert v.review_tier != "autonomous" and any("young baseline" in u for u in v.uncertainty)


def test_limit_gives_a_forecast_breach_and_capacity_a_recommendation(settings: Settings, engine: object) -> None:
    rt = Runtime(settings.model_copy(update={"anomaly": settings.anomaly.model_copy(update={
        "limits": {"build.queue_s": 57.0}, "capacities": {"build.queue_s": 70.0}})}))
    try:
        _ingest(rt, "shop", _csv(288, spike_at=None))
        summary = analyze(rt, AnalyzeRequest("shop"))
        assert summary.forecasts == 1
        [fc] = [v for v in list_anomalies(rt, ListRequest("shop")).items if v.kind == "forecast_breach"]
        assert "will exceed 57 within" in fc.title and "recommend" in fc.title
        rec = fc.data["capacity_recommendation"]
        assert rec["recommended"] == pytest.approx(rec["peak"] * 1.2)
        assert [h["hours"] for h in fc.data["horizons"]] == [3.0, 6.0, 12.0, 24.0]
        for h in fc.data["horizons"]:
            assert h["low95"] <= h["low80"] <= h["point"] <= h["high80"] <= h["high95"]
            assert h["model"] in CANDIDATES and h["backtest_origins"] > 0  # the chosen model is evidence
        assert all(f"{h['hours']:g} h: {h['model']}" in fc.summary for h in fc.data["horizons"])
    finally:
        rt.close()


def test_series_are_derived_from_stored_ci_runs(runtime: Runtime, settings: Settings) -> None:
    with runtime.project_scope("ci", create=True) as scope:
        h = History(scope.session, start=T0)
        for i in range(40):
            h.run(f"c{i}", {"t::slow": "P", "t::fast": "FP" if i % 7 == 0 else "P", "t::bad": "F" if i > 30 else "P"},
                  durations={"t::slow": 30.0 + (i % 3), "t::fast": 0.1}, duration_s=100.0 + i % 4,
                  coverage=(80 + i % 2, 100))
    summary = analyze(runtime, AnalyzeRequest("ci"))
    assert summary.derived_points > 0
    with runtime.project_scope("ci") as scope:
        from argus.analysis.anomaly.queries import all_series

        keys = {s.key for s in all_series(scope.session)}
    assert {"ci.build_duration_s", "ci.failed_tests", "ci.failure_velocity_per_h", "ci.flaky_tests",
            "coverage.line_pct", 'test.duration_s{test="t::slow"}'} <= keys
    assert analyze(runtime, AnalyzeRequest("ci")).derived_points == 0  # derived points are stored once


def test_projects_do_not_see_each_others_series_and_unknown_ids_are_not_found(runtime: Runtime) -> None:
    _ingest(runtime, "shop", _csv(288))
    analyze(runtime, AnalyzeRequest("shop"))
    [v] = list_anomalies(runtime, ListRequest("shop")).items
    _ingest(runtime, "other", _csv(10, spike_at=None))
    other = list_anomalies(runtime, ListRequest("other"))
    assert other.items == () and other.any_series and not other.any_insight
    with pytest.raises(NotFoundError):
        show_anomaly(runtime, ShowRequest(v.id, "other"))
    with pytest.raises(NotFoundError):
        analyze(runtime, AnalyzeRequest("ghost"))
