"""``argus ingest issues FILE``: store a tracker export (Jira CSV, GitHub/GitLab JSON) and relink commits."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json

if TYPE_CHECKING:
    from argus.app.issues import IssueSyncSummary
    from argus.cli.app import CommandGroups

FORMATS = ("jira-csv", "github-json", "gitlab-json")


def _format(value: str | None) -> str | None:
    if value is not None and value not in FORMATS:
        raise typer.BadParameter(f"{value!r}: expected one of {', '.join(FORMATS)}")
    return value


def ingest_issues_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Jira CSV export, or `gh issue list --json number,title,labels,state,"
                                "createdAt,closedAt` output, or GitLab's issues JSON."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    fmt: str | None = typer.Option(None, "--format", callback=_format, help="jira-csv | github-json | gitlab-json "
                                   "(default: from the file)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store tracker issues (Jira CSV, GitHub/GitLab JSON), link commits to them, re-decide which commits are fixes."""
    from argus.app.issues import ingest_issue_file

    result = ingest_issue_file(state(ctx).runtime, project, file, fmt)
    if json_out:
        print_json(result)
        return
    out = console()
    out.print(f"{result.file} ({result.format}): {result.issues} issues, {result.new} new, {result.updated} updated, "
              f"{result.bugs} bugs, {result.work_items} work items", markup=False)
    r = result.relink
    if r is not None:
        sources = ", ".join(f"{n} {s}" for s, n in r.fixes_by_source.items()) or "none"
        out.print(f"commits: {r.commits} relinked, {r.commits_linked_to_stored_issue} linked to a stored issue, "
                  f"{r.fixes} fixes (decided by: {sources}); {r.became_fix} became fixes, {r.no_longer_fix} no "
                  "longer fixes", markup=False)
        if r.szz_pending:
            out.print(f"{r.szz_pending} fixes need SZZ labels: run `argus ingest szz` for this project", markup=False)
    d = result.distrusted
    if d is not None and (d.after_report or d.too_large):
        out.print(f"SZZ: {d.after_report} links to commits made after the bug report and {d.too_large} to very large "
                  "commits removed", markup=False)


def print_sync(summary: IssueSyncSummary) -> None:
    out = console()
    kind = "incremental" if summary.incremental else "full"
    r = summary.result
    out.print(f"{summary.source} {summary.target}: {kind} issue sync, {summary.requests} request(s), waited "
              f"{summary.waited_s:.0f} s for rate limits", markup=False)
    out.print(f"issues: {r.issues} read, {r.new} new, {r.updated} updated, {r.bugs} bugs, {r.work_items} work "
              "items; cursor "
              f"{summary.cursor.isoformat() if summary.cursor else '-'}", markup=False)
    if r.relink is not None:
        out.print(f"commits: {r.relink.commits} relinked, {r.relink.fixes} fixes; {r.relink.became_fix} became "
                  f"fixes, {r.relink.no_longer_fix} no longer fixes", markup=False)
        if r.relink.szz_pending:
            out.print(f"{r.relink.szz_pending} fixes need SZZ labels: run `argus ingest szz`", markup=False)


_FULL = typer.Option(False, "--full", help="Ignore the stored cursor and read every issue again.")
_API = typer.Option(None, "--url", help="Base URL of the tracker's REST API (default from settings).")


def sync_jira(
    ctx: typer.Context,
    key: str = typer.Option(..., "--jira-project", help="Jira project key (ABC)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    url: str | None = _API,
    full: bool = _FULL,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Issues of a Jira project (REST search, incremental by `updated`); links commits, re-decides fixes."""
    from argus.app.issues import IssueSyncRequest, sync_issues

    summary = sync_issues(state(ctx).runtime, IssueSyncRequest("jira", key, project, url, full))
    if json_out:
        print_json(summary)
    else:
        print_sync(summary)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    groups.ingest.command("issues")(ingest_issues_cmd)
