"""Stored-series anomalies and forecasts: derive series → score new points → insights → persist.

Never commits (the use case owns the transaction). Scoring is incremental: each series remembers the
time of its last scored point (``metric_series.scored_until``); a pass scores the points after it
together with up to ``tail_rows`` points before it (the context the detectors' windows need: exact
while a series is shorter than ``tail_rows``) and judges only the new ones.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from sqlalchemy.orm import Session

from argus.analysis.anomaly import queries
from argus.analysis.anomaly.ensemble import DEFAULT_PARAMS, score_series
from argus.analysis.anomaly.forecast import Forecast, ForecastParams, forecast
from argus.analysis.anomaly.insights import anomaly_insight, forecast_insight
from argus.analysis.anomaly.judge import findings
from argus.analysis.anomaly.readmodels import AnalysisSummary, AnomalyList, SeriesScored
from argus.analysis.anomaly.schemas import Detector, GateParams
from argus.analysis.insights import service as insights
from argus.analysis.insights.readmodels import InsightView
from argus.core.enums import InsightKind
from argus.core.errors import NotFoundError
from argus.core.settings import AnomalySettings, derive
from argus.ingest.metrics.service import add_points, series_for
from argus.reasoning import Insight

__all__ = ["analyze", "gate_params", "get_anomaly", "list_anomalies", "refresh_derived"]


def gate_params(settings: AnomalySettings) -> GateParams:
    return derive(GateParams, settings)


def refresh_derived(session: Session, settings: AnomalySettings) -> int:
    """Store the series derived from CI data (new points only); returns how many points were new."""
    new = 0
    for d in queries.derived_series(session, settings.derive_slowest_tests):
        row = series_for(session, d.name, d.labels, "derived")
        new += add_points(session, row, d.times, d.values)
    return new


def _forecast_for(session: Session, series_id: int, key: str, name: str, settings: AnomalySettings,
                  params: GateParams) -> Insight | None:
    limit = settings.limits.get(key, settings.limits.get(name))
    capacity = settings.capacities.get(key, settings.capacities.get(name))
    if limit is None and capacity is None:
        return None
    fp = ForecastParams()
    fc: Forecast | None = forecast(queries.recent_points(session, series_id, fp.history),
                                   settings.forecast_horizons_h, fp)
    if fc is None:
        return None
    return forecast_insight(key, fc, limit, capacity, params)


def analyze(session: Session, settings: AnomalySettings, *, derive_series: bool = True) -> AnalysisSummary:
    """Derive series, score every series' new points with the ensemble, save anomaly and forecast insights."""
    derived = refresh_derived(session, settings) if derive_series else 0
    params = gate_params(settings)
    parameters = {"detector": Detector.ENSEMBLE.value, "threshold": DEFAULT_PARAMS.ensemble.threshold,
                  "tail_rows": settings.tail_rows, "gates": asdict(params)}
    out: list[Insight] = []
    scored: list[SeriesScored] = []
    total_new = anomalies = forecasts = 0
    for row in queries.all_series(session):
        series, start, last = queries.points_after(session, row.id, row.scored_until, settings.tail_rows)
        new = len(series) - start
        found = []
        if new > 0:
            sc = score_series(series, Detector.ENSEMBLE, DEFAULT_PARAMS)
            rows = start + np.flatnonzero(sc.alert[start:])
            first = queries.first_point(session, row.id)
            first64 = np.datetime64(first.replace(tzinfo=None), "s") if first else series.timestamps[0]
            limit = settings.limits.get(row.key, settings.limits.get(row.name))
            found = findings(row.key, series, sc, rows, first64, params, limit)
            out += [anomaly_insight(f, parameters) for f in found]
            row.scored_until = last
            row.scored_points = queries.count_points(session, row.id)
            total_new += new
            anomalies += len(found)
        fi = _forecast_for(session, row.id, row.key, row.name, settings, params) if new > 0 else None
        if fi is not None:
            out.append(fi)
            forecasts += 1
        if new > 0:
            scored.append(SeriesScored(row.key, row.source, new, len(found), fi is not None))
    ids = insights.save_insights(session, out)
    session.flush()
    return AnalysisSummary(len(queries.all_series(session)), derived, total_new, anomalies, forecasts, tuple(ids),
                           tuple(scored))


def list_anomalies(session: Session, *, series: str | None = None, include_superseded: bool = False,
                   limit: int = 50) -> AnomalyList:
    ids = queries.anomaly_insight_ids(session, series=series, include_superseded=include_superseded, limit=limit)
    items = tuple(insights.get_insight(session, i) for i in ids)
    any_insight = bool(items) or bool(queries.anomaly_insight_ids(session, series=None, include_superseded=True,
                                                                   limit=1))
    return AnomalyList(items, bool(queries.all_series(session)), any_insight)


def get_anomaly(session: Session, insight_id: int) -> InsightView:
    view = insights.get_insight(session, insight_id)
    if view.kind not in (InsightKind.ANOMALY.value, InsightKind.FORECAST_BREACH.value):
        raise NotFoundError(f"insight {insight_id} is no anomaly or forecast (it is a {view.kind.replace('_', ' ')}; "
                            "see `argus insights show`)")
    return view
