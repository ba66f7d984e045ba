"""``argus projects list|create`` and ``argus tokens create|list|revoke``."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer

from argus.cli import validate
from argus.cli.context import state
from argus.cli.output import console, print_json, table
from argus.core.enums import Role
from argus.store.admin import create_token, list_tokens, record_audit, revoke_token
from argus.store.projects import get_or_create_org, get_or_create_project, get_project, list_projects

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def register(root: typer.Typer, groups: CommandGroups) -> None:
    projects = typer.Typer(help="Projects (every row belongs to one).", no_args_is_help=True)
    tokens = typer.Typer(help="API tokens for the server (only hashes are stored).", no_args_is_help=True)
    root.add_typer(projects, name="projects")
    root.add_typer(tokens, name="tokens")
    projects.command("list")(projects_list)
    projects.command("create")(projects_create)
    tokens.command("create")(tokens_create)
    tokens.command("list")(tokens_list)
    tokens.command("revoke")(tokens_revoke)


def projects_list(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """List organisations and their projects."""
    with state(ctx).session() as s:  # tenant roots only: no project scope needed
        rows = list_projects(s)
    if json_out:
        print_json([{"organisation": o, "project": p} for o, p in rows])
    else:
        console().print(table(None, ["organisation", "project"], [list(r) for r in rows]))


def projects_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Project name (letters, digits, . _ -)."),
    default_branch: str = typer.Option("main", "--default-branch"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a project in the default organisation (no-op when it exists)."""
    st = state(ctx)
    with st.session() as s:  # project and audit_log are not project-owned: no project scope needed
        proj = get_or_create_project(s, name, st.settings.default_org, default_branch)
        record_audit(
            s,
            proj.org_id,
            getpass.getuser(),
            "project.create",
            project_id=proj.id,
            target_type="project",
            target_id=name,
        )
        pid = proj.id
    if json_out:
        print_json({"id": pid, "project": name})
    else:
        console().print(f"project {name} (id {pid}) ready")


def tokens_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What the token is for (e.g. ci-upload)."),
    role: Role = typer.Option(Role.UPLOADER, "--role"),
    project: str | None = typer.Option(None, "--project", "-p", help="Limit the token to one project."),
    expires_in_days: int | None = typer.Option(None, "--expires-in-days", min=1),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create an API token and print its secret once."""
    st = state(ctx)
    with st.session() as s:  # api_token is organisation-level: no project scope needed
        org = get_or_create_org(s, st.settings.default_org)
        proj = get_project(s, project, org.slug) if project else None
        secret, view = create_token(
            s, org, name, role, getpass.getuser(), project=proj, expires_in_days=expires_in_days
        )
    if json_out:
        print_json({"secret": secret, "token": view})
    else:
        console().print(f"token {view.id} ({view.role}) created; secret (shown once):\n{secret}")


def tokens_list(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """List tokens (never their secrets)."""
    st = state(ctx)
    with st.session() as s:
        views = list_tokens(s, get_or_create_org(s, st.settings.default_org))
    if json_out:
        print_json(views)
        return
    rows = [
        [
            v.id,
            v.name,
            v.prefix + "…",
            v.role,
            v.project or "(all)",
            v.expires_at or "",
            "revoked" if v.revoked_at else "live",
        ]
        for v in views
    ]
    console().print(table(None, ["id", "name", "prefix", "role", "project", "expires", "state"], rows))


def tokens_revoke(ctx: typer.Context, token_id: int = typer.Argument(..., callback=validate.db_id("token id"))) -> None:
    """Revoke a token."""
    st = state(ctx)
    with st.session() as s:
        revoke_token(s, get_or_create_org(s, st.settings.default_org), token_id, getpass.getuser())
    console().print(f"token {token_id} revoked")
