"""Store: SQLAlchemy 2 models, tenant-scoped sessions and Alembic migrations."""
