"""``argus db upgrade|current`` and ``argus config show``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json, table
from argus.core.db import create_db_engine
from argus.store.migrate import current_revision, head_revision, known_revisions, upgrade

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def register(root: typer.Typer, groups: CommandGroups) -> None:
    db = typer.Typer(help="Database schema: upgrade and inspect.", no_args_is_help=True)
    config = typer.Typer(help="Effective configuration.", no_args_is_help=True)
    root.add_typer(db, name="db")
    root.add_typer(config, name="config")
    db.command("upgrade")(db_upgrade)
    db.command("current")(db_current)
    db.command("create-readonly-role")(db_create_readonly_role)
    config.command("show")(config_show)


def _jobs_schema(url: str) -> str:
    """PostgreSQL: apply procrastinate's schema (the job queue of ``argus worker``) when missing."""
    if not url.startswith("postgresql"):
        return "not used (SQLite runs jobs without a queue)"
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        return "not applied (procrastinate is not installed: pip install 'argus-quality[server]')"
    from argus.jobs.queue import apply_schema

    return "applied" if apply_schema(url) else "present"


def db_upgrade(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """Create or upgrade the schema to the newest migration (PostgreSQL: and the job queue's schema)."""
    st = state(ctx)
    url = st.settings.effective_database_url
    engine = create_db_engine(url)
    before, after = upgrade(engine)
    engine.dispose()
    jobs = _jobs_schema(url)
    if json_out:
        print_json({"before": before, "after": after, "jobs_schema": jobs})
        return
    if before == after:
        console().print(f"schema already at {after}")
    else:
        console().print(f"schema upgraded {before or '(empty)'} → {after}")
    console().print(f"job queue schema: {jobs}", markup=False, highlight=False)


def db_current(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """Show the schema revision of the database and of this Argus."""
    st = state(ctx)
    engine = create_db_engine(st.settings.effective_database_url)
    cur = current_revision(engine)
    engine.dispose()
    head = head_revision()
    newer = cur is not None and cur not in known_revisions()
    data = {"database": cur, "code": head, "up_to_date": cur == head, "newer_than_code": newer}
    if json_out:
        print_json(data)
    else:
        if newer:
            status = f"database is at an unknown, newer revision {cur}; upgrade Argus"
        else:
            status = "up to date" if cur == head else "behind: run `argus db upgrade`"
        console().print(f"database: {cur or '(no schema)'}  code: {head}  ({status})")


def db_create_readonly_role(
    ctx: typer.Context,
    role: str | None = typer.Option(None, "--role", help="Role name (default: query.pg_role, else argus_readonly)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """PostgreSQL: create the NOLOGIN role `argus query`/`ask` switch to (SELECT on the views' tables only)."""
    from argus.app.query import create_readonly_role

    out = create_readonly_role(state(ctx).runtime, role)
    if json_out:
        print_json(out)
        return
    c = console()
    verb = "created" if out["created"] else "refreshed"
    c.print(f"role {out['role']} {verb}: SELECT on {len(out['tables'])} tables of schema {out['schema']}, "  # type: ignore[arg-type]
            f"granted to {out['granted_to']}", soft_wrap=True, markup=False, highlight=False)
    c.print(f"use it: set ARGUS_QUERY__PG_ROLE={out['role']} (or [query] pg_role)", soft_wrap=True, markup=False,
            highlight=False)


def config_show(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """Print the effective settings (secrets masked)."""
    data = state(ctx).settings.masked()
    if json_out:
        print_json(data)
        return
    rows: list[list[object]] = []
    _walk(rows, "", data)
    console().print(table("Argus settings", ["setting", "value"], rows))


def _walk(rows: list[list[object]], prefix: str, value: object) -> None:
    """Flatten nested settings into ``[dotted key, value]`` rows."""
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(rows, f"{prefix}.{k}" if prefix else k, v)
    else:
        rows.append([prefix, value])
