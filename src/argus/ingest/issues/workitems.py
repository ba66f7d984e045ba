"""Tracker issues as delivery work items (table ``delivery_work_item``), the input of the story-point
estimator and the epic forecaster (``argus work points|epics``).

:func:`work_item` is the one mapping from an :class:`~argus.ingest.issues.parsers.IssueRecord` — read
from a Jira CSV / GitHub / GitLab export (``argus ingest issues``) or a live tracker (``argus sync
jira|github|gitlab``) — to a work-item row:

* id: the issue key (``ABC-12``, ``#12``); type: the tracker's issue type upper-cased (Jira's
  ``Epic`` → ``EPIC``; GitLab's ``issue``/``incident``/``task``), else ``ISSUE``.
* story points: the tracker's field (Jira's configurable story points field, GitLab's ``weight``),
  else a label matching ``issues.points_label_pattern`` (``points:3``), else a label of
  ``issues.size_labels`` (``size/M`` → 3), else none.
* epic: the parent (Jira ``parent`` / Epic Link; GitHub's sub-issue parent; GitLab's epic ``&<iid>``),
  else, with ``issues.milestone_as_epic``, ``milestone:<title>``; the sprint is kept apart.
* status, title, component, created and resolved times as the tracker gives them.

:func:`store_work_items` upserts those rows by id (the last sync or import of a key wins; values the
tracker does not give are stored as null, so a removed estimate disappears). Services never commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from argus.core.settings import IssueSettings
from argus.ingest.issues.parsers import IssueRecord
from argus.store.models import DeliveryWorkItem
from argus.store.session import current_project_id

CHUNK = 500


def label_points(labels: Sequence[str], settings: IssueSettings) -> float | None:
    """Story points named by a label (points pattern first, then the size scheme)."""
    pattern = re.compile(settings.points_label_pattern, re.IGNORECASE)
    for lab in labels:
        m = pattern.match(lab.strip())
        if m:
            try:
                return float(m.group(1))
            except (IndexError, ValueError):
                continue
    sizes = {k.casefold(): float(v) for k, v in settings.size_labels.items()}
    for lab in labels:
        value = sizes.get(lab.strip().casefold())
        if value is not None:
            return value
    return None


def work_item(record: IssueRecord, settings: IssueSettings) -> dict[str, Any]:
    """The ``delivery_work_item`` values of one tracker issue (see the module docstring)."""
    points = record.story_points if record.story_points is not None else label_points(record.labels, settings)
    epic = record.parent_key
    if epic is None and record.milestone and settings.milestone_as_epic:
        epic = f"milestone:{record.milestone}"[:200]
    kind = (record.issue_type or "issue").strip().upper()[:50] or "ISSUE"
    return {"ext_id": record.key, "type": kind, "title": record.title,
            "status": record.status.strip().upper()[:50] if record.status else None, "epic_id": epic,
            "story_points": points, "component": record.component, "sprint": record.sprint,
            "created_at": record.created_at, "resolved_at": record.resolved_at}


def store_work_items(session: Session, records: Sequence[IssueRecord], settings: IssueSettings) -> int:
    """Upsert the work items of ``records`` by id; how many were written."""
    project_id = current_project_id(session)
    rows = {r.key: work_item(r, settings) for r in records}
    keys = list(rows)
    existing: dict[str, DeliveryWorkItem] = {}
    for i in range(0, len(keys), CHUNK):
        for stored in session.scalars(select(DeliveryWorkItem).where(DeliveryWorkItem.ext_id.in_(keys[i : i + CHUNK]))):
            existing[stored.ext_id] = stored
    new_rows = []
    for key, values in rows.items():
        row = existing.get(key)
        if row is None:
            new_rows.append({"project_id": project_id, **values})
        else:
            for k, v in values.items():
                setattr(row, k, v)
    for i in range(0, len(new_rows), 5000):
        session.execute(insert(DeliveryWorkItem), new_rows[i : i + 5000])
    session.flush()
    return len(rows)
