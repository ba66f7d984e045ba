"""``argus failures cluster|analyze|list|show``: failure clusters by root cause.

Each command parses its options, calls one use case of :mod:`argus.app.failures` and renders what it
returns (terminal cards in :mod:`argus.cli.views`, JSON as stored or through :mod:`argus.report.failures`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.app import failures as uc
from argus.cli import validate, views
from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json")


def _read_lines(source: str) -> list[str]:
    if source == "-":
        return sys.stdin.read().splitlines()
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file (give a path, or - for standard input)")
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None


def failures_cluster(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="File of messages, one per line, or - for standard input."),
    with_template: bool = typer.Option(False, "--with-template", help="Print 'label<TAB>template'."),
    json_out: bool = _JSON,
) -> None:
    """Cluster messages (no database): print one cluster label per input line, in order."""
    result = uc.cluster_messages(state(ctx).runtime, uc.ClusterMessagesRequest(tuple(_read_lines(source))))
    if json_out:
        from argus.report.failures import message_clusters_json

        print_json(message_clusters_json(result))
        return
    views.cluster_labels(sys.stdout, result, with_template=with_template)


def failures_analyze(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    no_insights: bool = typer.Option(False, "--no-insights", help="Assign clusters only."),
    json_out: bool = _JSON,
) -> None:
    """Cluster stored failures that have no cluster yet (incremental) and emit insights."""
    # like `flaky analyze`: an unknown project is exit 5
    summary = uc.analyze(state(ctx).runtime, uc.AnalyzeRequest(project, emit_insights=not no_insights))
    if json_out:
        print_json(summary)
        return
    views.cluster_analysis(console(), summary)


def failures_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    run: str | None = typer.Option(
        None, "--run", "--run-id", callback=validate.ci_text("--run"),
        help="Only clusters failing in this run: its CI run id (or Argus's own id as #12)."
    ),
    latest: bool = typer.Option(False, "--latest", help="Only clusters failing in the latest run."),
    novel: bool = typer.Option(False, "--novel", help="Only clusters first seen in the latest run."),
    min_count: int = typer.Option(
        1, "--min-count", callback=validate.count("--min-count"), help="Only clusters with at least this many failures."
    ),
    days: int | None = typer.Option(None, "--days", callback=validate.days, help="Only clusters seen in the last N days."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit")),
    json_out: bool = _JSON,
) -> None:
    """List failure clusters, busiest in the recent window first."""
    request = uc.ListRequest(project, run=run, latest=latest, novel=novel, min_count=min_count, days=days,
                             limit=limit)
    result = uc.list_clusters(state(ctx).runtime, request)
    if json_out:
        print_json(list(result.clusters))
        return
    views.cluster_list(console(), result)


def failures_show(
    ctx: typer.Context,
    cluster_id: int = typer.Argument(..., callback=validate.db_id("cluster id"), help="Cluster id (from `argus failures list`)."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Show one cluster: template, samples, trend, affected tests, newest failures."""
    shown = uc.show_cluster(state(ctx).runtime, uc.ShowRequest(cluster_id, project))
    if json_out:
        print_json(shown.detail)
        return
    views.cluster_detail(console(), shown.detail, shown.runs)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    failures = typer.Typer(help="Failure clusters: failures grouped by root cause.", no_args_is_help=True)
    root.add_typer(failures, name="failures")
    failures.command("cluster")(failures_cluster)
    failures.command("analyze")(failures_analyze)
    failures.command("list")(failures_list)
    failures.command("show")(failures_show)
