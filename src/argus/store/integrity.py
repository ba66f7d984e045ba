"""Referential integrity of ``test_result`` on PostgreSQL without a per-row foreign-key check.

On SQLite ``test_result.run_id`` → ``test_run`` and ``test_result.test_case_id`` → ``test_case`` are
ordinary foreign keys (``ON DELETE CASCADE``). On PostgreSQL a foreign key is checked row by row, also
under ``COPY``, and each check takes a ``FOR KEY SHARE`` row lock on the parent; concurrent uploads of one
suite all lock the same ``test_case`` rows, which PostgreSQL records as MultiXacts — ≈ 7–10 ms of the
database's CPU per 1,000-case upload (``docs/benchmarks.md``, "Uploads"). There the initial migration
drops those two foreign keys (:data:`DROPPED_FOREIGN_KEYS`) and installs (:data:`POSTGRESQL_DDL`):

* **insert check** — one statement-level ``AFTER INSERT`` trigger on ``test_result`` with a transition
  table: after each ``INSERT``/``COPY`` statement, one anti-join of the new rows against ``test_case``
  and one against ``test_run`` (each parent must also belong to the result's project). A row without
  its parent fails the statement with SQLSTATE 23503 (``foreign_key_violation``, what a foreign key
  raises; SQLAlchemy's ``IntegrityError``) naming the column, the id and the project. A row-level
  ``AFTER UPDATE`` trigger checks the rare update that changes one of those columns.
* **delete cascade** — statement-level ``AFTER DELETE`` triggers on ``test_case`` and ``test_run``
  delete the results of the deleted rows (also when they go by a cascade from ``project``), and
  ``AFTER TRUNCATE`` triggers truncate ``test_result`` with them. Changing a parent's ``id`` is refused.
* **the insert/delete race, without row locks** — the check of an insert and the cascade of a delete
  each see only what was committed when they ran, so an insert checked before a concurrent delete of
  its parent commits would leave an orphan. They serialise on a per-project advisory lock
  (:func:`results_lock`, key ``(LOCK_CLASS, project_id mod 2^31-1)``): the insert trigger takes it
  *shared* (uploads of one project do not wait for each other), the delete triggers *exclusive*, both
  until the end of the transaction. Whichever comes second waits for the first to commit and, in READ
  COMMITTED (PostgreSQL's and Argus's isolation level: every statement of the trigger takes a new
  snapshot), then sees its effect: the insert finds its parent gone and fails, or the delete finds the
  committed results and deletes them. Services take the same lock first (ingest shared in
  :func:`argus.ingest.testreports.service.store_report`, retention exclusive in
  :func:`argus.jobs.retention.delete_batch`) so that the lock is always taken before the row locks of
  the statements that follow (no lock-order deadlock); the triggers' own calls are then no-ops, and
  they protect any other writer that does not take it.

The check runs in the inserting transaction under a fresh snapshot; a transaction at REPEATABLE READ
or SERIALIZABLE that inserts results is refused by the check (its snapshot could predate a concurrent
delete), so the race argument above always holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

#: First key of the advisory lock on a project's results (``'ARGR'``); the second is the project id.
#: Two-int4 advisory keys never collide with the one-bigint keys of :func:`argus.ingest.runs.advisory_lock`.
LOCK_CLASS = 0x41524752
_MOD = 2147483647

#: The foreign keys of ``test_result`` that PostgreSQL replaces with the triggers below (the names the
#: naming convention gives them; SQLite keeps them).
DROPPED_FOREIGN_KEYS = ("fk_test_result_run_id_test_run", "fk_test_result_test_case_id_test_case")

_LOCK_SHARED = text(f"SELECT pg_advisory_xact_lock_shared({LOCK_CLASS}, :k)")
_LOCK_EXCLUSIVE = text(f"SELECT pg_advisory_xact_lock({LOCK_CLASS}, :k)")


def lock_key(project_id: int) -> int:
    """The second key of a project's results lock (the same expression as the triggers')."""
    return project_id % _MOD


def results_lock(connection: Any, project_id: int, *, exclusive: bool) -> None:
    """Hold the project's results lock until the end of the transaction (PostgreSQL; no-op on SQLite).

    ``exclusive=False`` before inserting results, ``True`` before deleting test runs or test cases."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(_LOCK_EXCLUSIVE if exclusive else _LOCK_SHARED, {"k": lock_key(project_id)})


def _check(rows: str, column: str, parent: str, what: str, distinct: bool = False) -> str:
    # The parent is joined on its primary key only and its project compared after the join: a condition
    # on ``p.project_id`` inside the join would let the planner probe the parent's project index and
    # filter every row of the project by id (seen: a scan of all the project's runs per result row on a
    # table without statistics yet). Runs: one distinct pair per COPY, one probe.
    source = f"(SELECT DISTINCT project_id, {column} FROM {rows})" if distinct else rows
    return f"""
  SELECT n.project_id, n.{column} AS ref INTO bad
    FROM {source} n LEFT JOIN {parent} p ON p.id = n.{column}
   WHERE p.project_id IS DISTINCT FROM n.project_id
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING
      MESSAGE = 'insert or update on table "test_result" violates its reference to {parent}: {column}='
                || bad.ref || ' is not a {what} of project ' || bad.project_id,
      ERRCODE = 'foreign_key_violation', TABLE = 'test_result', COLUMN = '{column}',
            CONSTRAINT = 'test_result_{column}_ref';
  END IF;"""


_ISOLATION = """
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
      MESSAGE = 'test results and their test cases and runs are written at READ COMMITTED only (not '
                || current_setting('transaction_isolation') || ')';
  END IF;"""


def _lock_projects(rows: str, function: str) -> str:
    return (f"\n  PERFORM {function}({LOCK_CLASS}, mod(p, {_MOD})::int4)"
            f"\n     FROM (SELECT DISTINCT project_id AS p FROM {rows} ORDER BY 1) AS projects;")


_FUNCTION = "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n{body}\n$$"

#: The PostgreSQL statements of the initial migration (after the tables), in order. Embedded verbatim
#: into the migration by ``scripts/regen_initial_migration.py``; tests check the installed triggers.
POSTGRESQL_DDL: tuple[str, ...] = (
    *(f"ALTER TABLE test_result DROP CONSTRAINT {name}" for name in DROPPED_FOREIGN_KEYS),
    _FUNCTION.format(name="argus_test_result_check_new", body="DECLARE\n  bad record;\nBEGIN" + _ISOLATION
                     + _lock_projects("argus_new_results", "pg_advisory_xact_lock_shared")
                     + _check("argus_new_results", "test_case_id", "test_case", "test case")
                     + _check("argus_new_results", "run_id", "test_run", "test run", distinct=True)
                     + "\n  RETURN NULL;\nEND;"),
    "CREATE TRIGGER test_result_check_insert AFTER INSERT ON test_result REFERENCING NEW TABLE AS "
    "argus_new_results FOR EACH STATEMENT EXECUTE FUNCTION argus_test_result_check_new()",
    _FUNCTION.format(name="argus_test_result_check_row", body=(
        "DECLARE\n  bad record;\nBEGIN" + _ISOLATION
        + f"\n  PERFORM pg_advisory_xact_lock_shared({LOCK_CLASS}, mod(NEW.project_id, {_MOD})::int4);"
        + _check("(SELECT NEW.project_id, NEW.test_case_id)", "test_case_id", "test_case", "test case")
        + _check("(SELECT NEW.project_id, NEW.run_id)", "run_id", "test_run", "test run")
        + "\n  RETURN NULL;\nEND;")),
    "CREATE TRIGGER test_result_check_update AFTER UPDATE OF project_id, run_id, test_case_id ON test_result "
    "FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.run_id IS DISTINCT FROM NEW.run_id "
    "OR OLD.test_case_id IS DISTINCT FROM NEW.test_case_id) EXECUTE FUNCTION argus_test_result_check_row()",
    *(stmt for parent, column in (("test_case", "test_case_id"), ("test_run", "run_id")) for stmt in (
        _FUNCTION.format(name=f"argus_{parent}_delete_results", body=(
            "BEGIN" + _ISOLATION + _lock_projects("argus_old_rows", "pg_advisory_xact_lock")
            + f"\n  DELETE FROM test_result r USING argus_old_rows o WHERE r.{column} = o.id;"
            + "\n  RETURN NULL;\nEND;")),
        f"CREATE TRIGGER {parent}_delete_results AFTER DELETE ON {parent} REFERENCING OLD TABLE AS argus_old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION argus_{parent}_delete_results()",
        f"CREATE TRIGGER {parent}_truncate_results AFTER TRUNCATE ON {parent} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION argus_truncate_results()",
        f"CREATE TRIGGER {parent}_keep_id BEFORE UPDATE OF id ON {parent} FOR EACH ROW "
        f"WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION argus_refuse_id_change()",
    )),
)

#: Functions the DDL needs before its triggers (created first).
POSTGRESQL_FUNCTIONS: tuple[str, ...] = (
    _FUNCTION.format(name="argus_truncate_results", body="BEGIN\n  TRUNCATE test_result;\n  RETURN NULL;\nEND;"),
    _FUNCTION.format(name="argus_refuse_id_change", body=(
        "BEGIN\n  RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',"
        "\n    MESSAGE = 'the id of a ' || TG_TABLE_NAME || ' row is referenced by test_result and cannot change';\nEND;")),
)

#: Trigger names installed on PostgreSQL (what the tests look for).
POSTGRESQL_TRIGGERS = {
    "test_result": ("test_result_check_insert", "test_result_check_update"),
    "test_case": ("test_case_delete_results", "test_case_truncate_results", "test_case_keep_id"),
    "test_run": ("test_run_delete_results", "test_run_truncate_results", "test_run_keep_id"),
}


def postgresql_upgrade() -> list[str]:
    """Every statement, in order (functions first)."""
    return [*POSTGRESQL_FUNCTIONS, *POSTGRESQL_DDL]


def include_object(dialect: str) -> Any:
    """Alembic ``include_object`` for comparing the models with a ``dialect`` database: on PostgreSQL
    the foreign keys of :data:`DROPPED_FOREIGN_KEYS` are expected to be absent (triggers instead)."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (dialect == "postgresql" and type_ == "foreign_key_constraint" and name in DROPPED_FOREIGN_KEYS)

    return include
