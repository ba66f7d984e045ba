"""``INSERT … ON CONFLICT DO NOTHING`` on both databases: the building block of race-free get-or-create."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, table: Table, values: Mapping[str, Any], conflict: Sequence[str], returning: Any = None,
) -> Any | None:
    """Insert one row unless it collides with the unique key ``conflict``; return ``returning`` of the
    inserted row, or ``None`` when a row with that key already existed.

    Concurrent callers with the same key never fail: on PostgreSQL the later one waits for the earlier
    transaction and then does nothing (or inserts, when that transaction rolled back); on SQLite
    writers are serialised by the write lock (see :mod:`argus.core.db`). The caller then selects the
    existing row. Python-side column defaults apply as for any Core insert.
    """
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt: Any = make(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    if returning is None:
        session.execute(stmt)
        return None
    return session.execute(stmt.returning(returning)).scalar()
