"""What the front doors render of stored series and their anomaly / forecast insights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argus.analysis.insights.readmodels import InsightView


@dataclass(frozen=True)
class SeriesScored:
    """One series in one analysis pass: points newly scored, anomalies and forecast insights saved."""

    key: str
    source: str
    new_points: int
    anomalies: int
    forecast: bool


@dataclass(frozen=True)
class AnalysisSummary:
    """What ``anomalies analyze`` did."""

    series: int
    derived_points: int
    scored_points: int
    anomalies: int
    forecasts: int
    insight_ids: tuple[int, ...]
    scored: tuple[SeriesScored, ...]


@dataclass(frozen=True)
class AnomalyList:
    """Anomaly and forecast insights, newest first; ``any_series`` / ``any_insight`` say why it is empty."""

    items: tuple[InsightView, ...]
    any_series: bool
    any_insight: bool


@dataclass(frozen=True)
class IngestSummary:
    """What ``metrics ingest`` stored: per series its key, points read and new points."""

    source: str
    series: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class SeriesView:
    """A stored metric series: its identity, where its points came from, how many, and how far they
    were scored (``scored_until``: the last point an analysis judged)."""

    key: str
    name: str
    labels: dict[str, str]
    source: str
    points: int
    first_at: datetime | None
    last_at: datetime | None
    scored_until: datetime | None
    scored_points: int
