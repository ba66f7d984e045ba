"""The remembered question → SQL pairs of a project (:class:`argus.store.models.QueryExample`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, select

from argus.store.models import QueryExample

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Examples offered to the model with a question.
EXAMPLES = 5


def examples(session: Session, limit: int = EXAMPLES) -> list[tuple[str, str]]:
    """The pairs offered to the model: those marked good first, then unmarked ones; newest first; a
    pair marked bad never."""
    good = case((QueryExample.feedback == "good", 0), else_=1)
    rows = session.execute(
        select(QueryExample.question, QueryExample.sql)
        .where(QueryExample.feedback.is_(None) | (QueryExample.feedback != "bad"))
        .order_by(good, QueryExample.created_at.desc(), QueryExample.id.desc()).limit(limit)
    ).all()
    return [(str(q), str(s)) for q, s in rows]


def listing(session: Session, limit: int = 50) -> list[QueryExample]:
    """The project's remembered pairs, newest first."""
    return list(session.scalars(select(QueryExample).order_by(QueryExample.created_at.desc(),
                                                              QueryExample.id.desc()).limit(limit)))


def add(session: Session, project_id: int, question: str, sql: str, rows: int) -> int:
    """A pair written by a person (``source`` person), marked good."""
    ex = QueryExample(project_id=project_id, question=question, sql=sql, source="person", rows=rows, feedback="good")
    session.add(ex)
    session.flush()
    return int(ex.id)


def remember(session: Session, project_id: int, question: str, sql: str, rows: int) -> int:
    ex = QueryExample(project_id=project_id, question=question, sql=sql, source="model", rows=rows)
    session.add(ex)
    session.flush()
    return int(ex.id)


def set_feedback(session: Session, example_id: int, good: bool) -> bool:
    ex = session.get(QueryExample, example_id)
    if ex is None:
        return False
    ex.feedback = "good" if good else "bad"
    return True
