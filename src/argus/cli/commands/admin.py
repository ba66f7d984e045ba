"""``argus projects list|create`` and ``argus tokens create|list|revoke``."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer

from argus.cli import validate
from argus.cli.context import state
from argus.cli.output import console, print_json, table
from argus.core.enums import Role

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
    from argus.app.admin import list_projects

    rows = list_projects(state(ctx).runtime)
    if json_out:
        print_json([{"organisation": r.organisation, "project": r.project} for r in rows])
    else:
        console().print(table(None, ["organisation", "project"], [[r.organisation, r.project] for r in rows]))


def projects_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Project name (letters, digits, . _ -)."),
    default_branch: str = typer.Option("main", "--default-branch"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a project in the default organisation (no-op when it exists)."""
    from argus.app.admin import CreateProject, create_project

    st = state(ctx)
    pid = create_project(st.runtime, CreateProject(st.settings.default_org, name, getpass.getuser(), default_branch))
    if json_out:
        print_json({"id": pid, "project": name})
    else:
        console().print(f"project {name} (id {pid}) ready")


def tokens_create(
    ctx: typer.Context,
    name: str = typer.Argument("api-token", help="What the token is for (e.g. ci-upload)."),
    role: Role = typer.Option(..., "--role", help="viewer < uploader < maintainer < admin."),
    org: str | None = typer.Option(None, "--org", help="Organisation (default: the configured default_org)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Limit the token to one project."),
    expires: str | None = typer.Option(None, "--expires", help="Lifetime, e.g. 90d, 12h, 2w (default: never)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create an API token and print its secret once (organisation and project created when missing)."""
    from argus.app.admin import CreateToken, create_token
    from argus.store.admin import parse_duration

    st = state(ctx)
    expires_in = parse_duration(expires) if expires else None
    created = create_token(st.runtime, CreateToken(org or st.settings.default_org, role, getpass.getuser(), name,
                                                   project, expires_in))
    view = created.token
    if json_out:
        print_json({"token": created.secret, "id": view.id, "name": view.name, "role": view.role,
                    "org": org or st.settings.default_org, "project": view.project, "expires_at": view.expires_at})
    else:
        console().print(f"token {view.id} ({view.role}) created; secret (shown once):\n{created.secret}")


def tokens_list(ctx: typer.Context, org: str | None = typer.Option(None, "--org", help="Organisation."),
                json_out: bool = typer.Option(False, "--json")) -> None:
    """List tokens (never their secrets)."""
    from argus.app.admin import list_tokens

    st = state(ctx)
    views = list_tokens(st.runtime, org or st.settings.default_org)
    if json_out:
        print_json(list(views))
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


def tokens_revoke(ctx: typer.Context, token_id: int = typer.Argument(..., callback=validate.db_id("token id")),
                  org: str | None = typer.Option(None, "--org", help="Organisation.")) -> None:
    """Revoke a token."""
    from argus.app.admin import revoke_token

    st = state(ctx)
    revoke_token(st.runtime, org or st.settings.default_org, token_id, getpass.getuser())
    console().print(f"token {token_id} revoked")
