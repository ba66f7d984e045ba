"""A fresh, empty database per test or probe: a new SQLite file, or a new PostgreSQL schema dropped
afterwards (the tests' ``ARGUS_TEST_DATABASE_URL``, the probes' ``--pg``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema`` (libpq ``options``)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(folder: Path, pg_base: str | None = None, *, prefix: str = "t_") -> Iterator[str]:
    """The URL of an empty database: ``folder/argus.db`` without ``pg_base``, else a new schema
    ``<prefix><random>`` of the PostgreSQL database ``pg_base``, dropped (with all it holds) on exit."""
    if pg_base is None:
        yield f"sqlite:///{folder / 'argus.db'}"
        return
    from sqlalchemy import text

    from argus.core.db import create_db_engine

    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(pg_base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield with_search_path(pg_base, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def scalar(database_url: str, sql: str, **params: object) -> object:
    """One value of ``sql`` on ``database_url`` (to check what processes stored)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(database_url)
    try:
        with eng.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        eng.dispose()


def upgrade_database(database_url: str) -> None:
    """Create the schema in-process (cheaper than one more ``argus db upgrade`` process)."""
    from argus.core.db import create_db_engine
    from argus.store.migrate import upgrade

    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


class SchemaTemplate:
    """The schema at head, made once by the real migrations and restored into each fresh database
    (running the migrations for every test was most of a small test's time): on SQLite a copy of a
    migrated file, on PostgreSQL a replay of the statements the migrations executed (recorded once
    in a scratch schema; none names its schema, so each lands in the search path's schema)."""

    def __init__(self, sqlite_file: Path | None, statements: list[tuple[str, object]]) -> None:
        self._sqlite_file = sqlite_file
        self._statements = statements

    def restore(self, database_url: str) -> None:
        """Bring the database at ``database_url`` (from :func:`fresh_database`) to the head schema: the
        template when it is still empty, else (something already created it) the migrations themselves."""
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        from argus.core.db import create_db_engine

        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            import shutil

            if self._sqlite_file is None or not url.database:
                raise ValueError(f"no SQLite template for {database_url}")
            target = Path(url.database)
            if target.exists():
                upgrade_database(database_url)
                return
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._sqlite_file, target)
            return
        engine = create_db_engine(database_url)
        try:
            with engine.connect() as conn:
                tables = conn.execute(text("SELECT count(*) FROM information_schema.tables "
                                           "WHERE table_schema = current_schema()")).scalar()
            if tables:
                upgrade_database(database_url)
                return
            with engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")  # a test's schema: no fsync wait
                for statement, params in self._batches():
                    conn.exec_driver_sql(statement, params)  # type: ignore[arg-type]
        finally:
            engine.dispose()

    def _batches(self) -> list[tuple[str, object]]:
        """The statements, those without parameters joined into one round trip each run of them."""
        out: list[tuple[str, object]] = []
        plain: list[str] = []
        for statement, params in self._statements:
            if params:
                if plain:
                    out.append((";\n".join(plain), None))
                    plain = []
                out.append((statement, params))
            else:
                plain.append(statement.strip().rstrip(";"))
        if plain:
            out.append((";\n".join(plain), None))
        return out


@contextmanager
def schema_template(folder: Path, pg_base: str | None = None) -> Iterator[SchemaTemplate]:
    """A :class:`SchemaTemplate` for databases made by ``fresh_database(…, pg_base)``."""
    from sqlalchemy import event

    from argus.core.db import create_db_engine
    from argus.store.migrate import upgrade

    if pg_base is None:
        path = folder / "template.db"
        engine = create_db_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
        finally:
            engine.dispose()  # closing the last connection checkpoints the WAL into the file
        for extra in ("-wal", "-shm"):
            if path.with_name(path.name + extra).exists() and path.with_name(path.name + extra).stat().st_size:
                raise RuntimeError(f"{path}{extra} is not empty after closing: the copy would miss it")
        yield SchemaTemplate(path, [])
        return
    recorded: list[tuple[str, object]] = []
    with fresh_database(folder, pg_base, prefix="tmpl_") as url:
        schema = url.rsplit("search_path%3D", 1)[1]
        engine = create_db_engine(url)

        def record(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
            if not statement.lstrip().upper().startswith(("SELECT", "SHOW")):
                recorded.append((statement, params))

        event.listen(engine, "before_cursor_execute", record)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
    named = [s for s, p in recorded if schema in s or schema in repr(p)]
    if named or not any(s.lstrip().upper().startswith("CREATE TABLE") for s, _ in recorded):
        raise RuntimeError(f"the migrations' statements cannot be replayed in another schema: {named[:2]}")
    yield SchemaTemplate(None, recorded)


def clone_database(source_url: str, target_url: str, template: SchemaTemplate) -> None:
    """Make the database at ``target_url`` a copy of the one at ``source_url`` (both from
    :func:`fresh_database`): the way a test module builds an expensive history once and gives each test
    its own copy to read and write. No connection may be using either meanwhile.

    SQLite: the online backup API (the whole file, consistent even with a write-ahead log). PostgreSQL:
    the target's tables (the head schema from ``template`` when it has none yet) emptied, then every
    table's rows and every sequence's position copied schema to schema. A source table the target lacks
    (e.g. the job queue's, which ``argus db upgrade`` adds) must be empty: it is left for the test to
    create; one holding rows is an error."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from argus.core.db import create_db_engine

    source, target = make_url(source_url), make_url(target_url)
    if source.get_backend_name() != target.get_backend_name():
        raise ValueError(f"cannot clone {source.get_backend_name()} into {target.get_backend_name()}")
    if target.get_backend_name() == "sqlite":
        import sqlite3

        if not source.database or not target.database or not Path(source.database).exists():
            raise ValueError(f"clone of {source_url} into {target_url}: two database files are needed")
        with sqlite3.connect(source.database) as src, sqlite3.connect(target.database) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        return
    src_engine, dst_engine = create_db_engine(source_url), create_db_engine(target_url)
    try:
        with dst_engine.connect() as conn:
            dst_schema, present = _pg_tables(conn)
        if not present:
            template.restore(target_url)
            with dst_engine.connect() as conn:
                dst_schema, present = _pg_tables(conn)
        with src_engine.connect() as conn:
            src_schema, names = _pg_tables(conn)
            if src_schema == dst_schema:
                raise ValueError(f"clone of schema {src_schema} into itself")
            filled = _pg_holding_rows(conn, src_schema, names)
            sequences = [(str(n), last, called) for n, last, called in _pg_sequences(conn, src_schema)]
        if lacking := sorted(t for t in filled if t not in present):
            raise ValueError(f"clone into {target_url}: it lacks tables that hold rows: {', '.join(lacking)}")
        with dst_engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no FK checks while copying
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            statements = [f'DELETE FROM "{dst_schema}"."{t}"' for t in _pg_holding_rows(conn, dst_schema, present)]
            columns: dict[str, list[str]] = {}
            identity: set[str] = set()
            for table, column, udt_schema, udt, is_identity in conn.execute(text(
                    "SELECT table_name, column_name, udt_schema, udt_name, is_identity FROM information_schema.columns "
                    "WHERE table_schema = :s ORDER BY table_name, ordinal_position"), {"s": src_schema}):
                value = f'"{column}"'
                if udt_schema == src_schema:  # a type of the schema itself (an enum): the target's own
                    value += f'::text::"{dst_schema}"."{udt.removeprefix("_")}"' + ("[]" if udt.startswith("_") else "")
                columns.setdefault(table, []).append(value)
                if is_identity == "YES":
                    identity.add(table)
            statements += [f'INSERT INTO "{dst_schema}"."{t}"{" OVERRIDING SYSTEM VALUE" if t in identity else ""} '
                           f'SELECT {", ".join(columns[t])} FROM "{src_schema}"."{t}"' for t in sorted(filled)]
            own = {n for n, _, _ in _pg_sequences(conn, dst_schema)}
            if unused := [n for n, _, called in sequences if n not in own and called]:
                raise ValueError(f"clone into {target_url}: it lacks the sequences {', '.join(unused)}, which were used")
            setvals = [f"setval('\"{dst_schema}\".\"{n}\"', {int(last)}, {bool(called)})"
                       for n, last, called in sequences if n in own]
            if setvals:
                statements.append("SELECT " + ", ".join(setvals))
            if statements:
                conn.exec_driver_sql(";\n".join(statements))
    finally:
        src_engine.dispose()
        dst_engine.dispose()


def _pg_tables(conn: Connection) -> tuple[str, set[str]]:
    """The connection's current schema and its tables."""
    from sqlalchemy import text

    schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
    rows = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                             "AND table_type = 'BASE TABLE'"), {"s": schema}).scalars()
    return schema, {str(t) for t in rows}


def _pg_holding_rows(conn: Connection, schema: str, tables: set[str]) -> set[str]:
    """Those of ``tables`` in ``schema`` that hold a row (one round trip)."""
    if not tables:
        return set()
    query = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{schema}\".\"{t}\")" for t in sorted(tables))
    return {str(t) for t in conn.exec_driver_sql(query).scalars()}


def _pg_sequences(conn: Connection, schema: str) -> list[tuple[str, int, bool]]:
    """Every sequence of ``schema``: its name, last value and whether it was used (one round trip more)."""
    from sqlalchemy import text

    names = conn.execute(text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"),
                         {"s": schema}).scalars().all()
    if not names:
        return []
    query = " UNION ALL ".join(f"SELECT '{n}', last_value, is_called FROM \"{schema}\".\"{n}\"" for n in names)
    return [(str(n), int(last), bool(called)) for n, last, called in conn.exec_driver_sql(query)]
