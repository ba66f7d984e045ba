"""Store parsed delivery files: one upsert per file keyed by the row's source id (re-ingest updates).

The caller owns the transaction: every file of a directory is stored in one unit of work, so a
failure leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from argus.ingest.delivery.csvfiles import ParsedDir
from argus.store.base import Base
from argus.store.session import current_project_id

_BATCH = 1000


@dataclass(frozen=True)
class StoredFile:
    file: str
    rows: int


def store(session: Session, parsed: ParsedDir, *, keep_known: bool = False) -> list[StoredFile]:
    """Upsert every parsed file's rows into its table (bound project); returns rows per file.
    ``keep_known``: a null in a row keeps the value already stored (webhooks that carry part of a row)."""
    project_id = current_project_id(session)
    make: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    out = []
    for f in parsed.files:
        table: Table = Base.metadata.tables[f.spec.table]
        keys = ["project_id", *f.spec.identity]
        columns = [c.key for c in f.spec.columns]
        updates = [c for c in columns if c not in f.spec.identity]
        base = make(table)
        values = {c: func.coalesce(base.excluded[c], table.c[c]) if keep_known else base.excluded[c] for c in updates}
        stmt = base.on_conflict_do_update(index_elements=keys, set_=values) \
            if updates else base.on_conflict_do_nothing(index_elements=keys)
        rows = [{"project_id": project_id, **{c: r.get(c) for c in columns}} for r in f.rows]
        for a in range(0, len(rows), _BATCH):
            session.execute(stmt, rows[a:a + _BATCH])
        out.append(StoredFile(f.spec.file, len(rows)))
    return out
