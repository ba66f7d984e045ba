"""``argus comment``: post a Markdown file as the marked PR comment (GitHub) or MR note (GitLab).

Also used by ``argus gate --comment``. Where it posts: GitLab in a merge-request pipeline
(``CI_MERGE_REQUEST_IID`` set, not inside GitHub Actions, no ``--github-repo``), GitHub otherwise.
A failure (API down, read-only token on a fork PR) is a warning that says how to fix it, never an
error: a passing gate must not turn red because its comment could not be posted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console
from argus.core.errors import ArgusError, InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups
    from argus.core.settings import Settings
    from argus.report.gitlab import MergeRequestRef

GITLAB_FIX = "set ARGUS_GITLAB_TOKEN to a project access token with the api scope (Reporter role or above)"
GITHUB_FIX = "grant the workflow `permissions: pull-requests: write` (fork PRs get a read-only token)"


def comment_or_warn(md: str, pr: int | None, github_repo: str | None, post_github: Callable[[], None]) -> bool:
    """Post ``md`` on GitLab or (through ``post_github``) GitHub; warn on failure. True when posted."""
    from argus.report.gitlab import merge_request_from_env

    mr = merge_request_from_env(os.environ)
    on_gitlab = mr is not None and github_repo is None and os.environ.get("GITHUB_ACTIONS") != "true"
    try:
        if mr is not None and on_gitlab:
            gitlab_note(md, mr if pr is None else replace(mr, iid=pr))
        else:
            post_github()
    except ArgusError as exc:
        console(stderr=True).print(
            f"warning: comment not posted: {' '.join(str(exc).split())}; to fix: "
            f"{GITLAB_FIX if on_gitlab else GITHUB_FIX}", markup=False, highlight=False, soft_wrap=True)
        return False
    return True


def gitlab_note(md: str, mr: MergeRequestRef) -> None:
    """Create or update the MR note; token from ARGUS_GITLAB_TOKEN or GITLAB_TOKEN."""
    from argus.report.gate import MARKER
    from argus.report.gitlab import GitLabClient, upsert_note

    token = os.environ.get("ARGUS_GITLAB_TOKEN") or os.environ.get("GITLAB_TOKEN", "")
    with GitLabClient(token, mr.api_url) as client:
        action, note = upsert_note(client, mr, md, MARKER)
    console().print(f"MR note {action}: !{mr.iid} note {note.get('id')}", markup=False, highlight=False,
                    soft_wrap=True)


def post_github_comment(settings: Settings, md: str, pr: int | None, github_repo: str | None, annotate: bool) -> None:
    """Upsert the PR comment; token from ARGUS_GITHUB_TOKEN or GITHUB_TOKEN, API URL from settings or
    GITHUB_API_URL (GitHub Enterprise). A comment that cannot be posted is a one-line warning: it never
    changes the gate's exit code (fork PRs get a read-only token)."""
    from argus.report.gate import MARKER
    from argus.report.github import (
        GitHubClient,
        GitHubError,
        PullRequestRef,
        comment_failure_hint,
        pull_request_from_env,
        upsert_comment,
        workflow_command,
    )

    ref = pull_request_from_env(os.environ)
    repo = github_repo or (ref.repo if ref else os.environ.get("GITHUB_REPOSITORY"))
    number = pr or (ref.number if ref else None)
    token = settings.github_token.get_secret_value() if settings.github_token else os.environ.get("GITHUB_TOKEN", "")
    api = settings.github_api_url
    if api == "https://api.github.com" and os.environ.get("GITHUB_API_URL"):
        api = os.environ["GITHUB_API_URL"]
    try:
        if not repo or not number:
            raise InputError("no pull request: give --pr N and --github-repo owner/name (or run on a pull_request event)")
        with GitHubClient(token, api) as client:
            action, body = upsert_comment(client, PullRequestRef(repo, number), md, MARKER)
    except ArgusError as exc:
        hint = comment_failure_hint(exc.status if isinstance(exc, GitHubError) else None)
        message = f"PR comment not posted: {exc}; {hint}"
        console(stderr=True).print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)
        if annotate:
            print(workflow_command("warning", message, title="Argus: PR comment"), file=sys.stderr)
        return
    console().print(f"PR comment {action}: {body.get('html_url') or body.get('id')}", markup=False, highlight=False, soft_wrap=True)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("comment")(comment_cmd)


def comment_cmd(
    ctx: typer.Context,
    markdown: Path = typer.Argument(..., help="Markdown file to post (e.g. from `argus gate --markdown`)."),
    pr: int | None = typer.Option(None, "--pr", help="PR number / MR IID (default: from the CI event)."),
    github_repo: str | None = typer.Option(None, "--github-repo", help="owner/name (default: GITHUB_REPOSITORY)."),
) -> None:
    """Post a Markdown file as the PR comment (GitHub) or MR note (GitLab); a failure only warns."""
    if not markdown.is_file():
        raise InputError(f"{markdown}: no such file")
    md = markdown.read_text(encoding="utf-8")
    st = state(ctx)
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    comment_or_warn(md, pr, github_repo, lambda: post_github_comment(st.settings, md, pr, github_repo, annotate))
