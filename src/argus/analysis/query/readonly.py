"""A dedicated read-only PostgreSQL role for guarded queries (``argus db create-readonly-role``).

The role is ``NOLOGIN``: it is never connected as, only switched to by the executor with
``SET LOCAL ROLE`` inside each query's transaction (:func:`argus.analysis.query.service.run`, when
``query.pg_role`` is set). It holds ``USAGE`` on the store's schema and ``SELECT`` on exactly the
base tables the semantic layer's views read — nothing else, so even SQL that got past the guard
could neither write nor read another table: PostgreSQL itself refuses.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from argus.analysis.query.semantic import VIEWS
from argus.core.errors import ConfigError, InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Default name of the role.
DEFAULT_ROLE = "argus_readonly"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_role_name(role: str) -> str:
    if not _NAME.match(role):
        raise InputError(f"bad role name {role!r}: lower-case letters, digits and _ only (at most 63)")
    return role


def base_tables() -> tuple[str, ...]:
    """The store's tables read by the semantic layer's view definitions."""
    names: set[str] = set()
    for v in VIEWS:
        tree = sqlglot.parse_one(v.sql("postgres").replace(":tenant", "0"), read="postgres")
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        names.update(t.name for t in tree.find_all(exp.Table) if t.name not in ctes)
    return tuple(sorted(names))


def create_readonly_role(engine: Engine, role: str = DEFAULT_ROLE) -> dict[str, object]:
    """Create (or refresh) ``role`` with SELECT on :func:`base_tables` only; PostgreSQL only."""
    from sqlalchemy import text

    check_role_name(role)
    if engine.dialect.name != "postgresql":
        raise ConfigError("a read-only role is a PostgreSQL feature; SQLite queries run with query_only instead")
    tables = base_tables()
    with engine.begin() as conn:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar())
        me = str(conn.execute(text("SELECT current_user")).scalar())
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None
        if not exists:
            conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN NOINHERIT'))
        conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON {", ".join(f"{schema}.{t}" for t in tables)} TO "{role}"'))
        member = conn.execute(text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": role}).scalar()
        if not member:
            conn.execute(text(f'GRANT "{role}" TO "{me}"'))
    return {"role": role, "created": not exists, "schema": schema, "tables": list(tables), "granted_to": me}
