"""``argus audit list``: the append-only audit log (token changes, every mutating API call, every
refused authentication), newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json, table

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def register(root: typer.Typer, groups: CommandGroups) -> None:
    audit = typer.Typer(help="The append-only audit log (who did what, when, with what outcome).",
                        no_args_is_help=True)
    root.add_typer(audit, name="audit")
    audit.command("list")(audit_list)


def audit_list(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org", help="Only this organisation (default: every row)."),
    limit: int = typer.Option(100, "--limit", min=1, max=100000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List audit rows, newest first (--json adds target, request id and detail)."""
    from argus.app.admin import list_audit

    rows = list_audit(state(ctx).runtime, org, limit=limit)
    if json_out:
        print_json(list(rows))
        return
    console().print(table(None, ["id", "at", "org", "actor", "action", "status"], [
        [a.id, a.at.strftime("%Y-%m-%d %H:%M:%S"), a.org or "", a.actor, a.action,
         a.status if a.status is not None else ""] for a in rows]))
