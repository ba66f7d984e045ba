"""Alembic environment: runs on the connection handed in by :mod:`argus.store.migrate`."""

from __future__ import annotations

from alembic import context

import argus.store.models  # noqa: F401  (registers every table)
from argus.store.base import Base
from argus.store.integrity import include_object

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - Argus always passes a connection
    raise RuntimeError("argus migrations must be run through argus.store.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object(connection.dialect.name),  # PostgreSQL: two foreign keys are triggers
)
with context.begin_transaction():
    context.run_migrations()
