"""Store metric series and points (never commits; the caller owns the transaction).

A series is found or created by its key (name + labels); points are bulk-inserted and a time that the
series already holds is skipped, so ingesting the same file twice stores nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from argus.ingest.metrics.parser import ParsedSeries, series_key
from argus.store.models import MetricPoint, MetricSeries
from argus.store.session import current_project_id

_BATCH = 5000


@dataclass(frozen=True)
class StoredSeries:
    """What storing one series did."""

    series_id: int
    key: str
    points: int
    new_points: int


def series_for(session: Session, name: str, labels: dict[str, str], source: str) -> MetricSeries:
    """The project's series ``name{labels}``, created when absent."""
    key = series_key(name, labels)
    row = session.scalars(select(MetricSeries).where(MetricSeries.key == key)).first()
    if row is None:
        row = MetricSeries(project_id=current_project_id(session), key=key, name=name, labels=dict(labels),
                           source=source, scored_points=0)
        session.add(row)
        session.flush()
    return row


def _count(session: Session, series_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(MetricPoint).where(
        MetricPoint.series_id == series_id)) or 0)


def add_points(session: Session, series: MetricSeries, times: Sequence[datetime], values: Sequence[float]) -> int:
    """Bulk-insert points (a time the series holds already is skipped); returns how many were new."""
    project_id = current_project_id(session)
    before = _count(session, series.id)
    make = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = make(MetricPoint).on_conflict_do_nothing(index_elements=["series_id", "ts"])
    rows = [{"project_id": project_id, "series_id": series.id, "ts": t, "value": float(v)}
            for t, v in zip(times, values, strict=True)]
    for a in range(0, len(rows), _BATCH):
        session.execute(stmt, rows[a:a + _BATCH])
    return _count(session, series.id) - before


def store_series(session: Session, parsed: Iterable[ParsedSeries], source: str = "ingested") -> list[StoredSeries]:
    out = []
    for p in parsed:
        row = series_for(session, p.name, p.labels, source)
        new = add_points(session, row, p.times, p.values)
        out.append(StoredSeries(row.id, row.key, len(p.times), new))
    return out
