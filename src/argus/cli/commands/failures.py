"""``argus failures cluster|analyze|list|show``: failure clusters by root cause."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.analysis.failures.algo import miner_config
from argus.analysis.failures.miner import TemplateMiner
from argus.analysis.failures.service import (
    analyze_failures,
    clusters_for_run,
    get_cluster,
    list_clusters,
)
from argus.analysis.insights.refs import resolve_run, run_refs
from argus.cli import validate
from argus.cli import views as views_
from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


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


def register(root: typer.Typer, groups: CommandGroups) -> None:
    failures = typer.Typer(help="Failure clusters: failures grouped by root cause.", no_args_is_help=True)
    root.add_typer(failures, name="failures")

    @failures.command("cluster")
    def failures_cluster(
        ctx: typer.Context,
        source: str = typer.Argument(..., help="File of messages, one per line, or - for standard input."),
        with_template: bool = typer.Option(False, "--with-template", help="Print 'label<TAB>template'."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Cluster messages (no database): print one cluster label per input line, in order."""
        lines = _read_lines(source)
        miner = TemplateMiner(miner_config(state(ctx).settings.clusters))
        labels = miner.add_messages(lines)
        if json_out:
            print_json(
                {
                    "labels": labels,
                    "templates": {
                        str(t.id): {"template": t.text, "count": t.count} for t in miner.templates.values()
                    },
                }
            )
            return
        out = sys.stdout
        for label in labels:
            out.write(f"{label}\t{miner.templates[label].text}\n" if with_template else f"{label}\n")

    @failures.command("analyze")
    def failures_analyze(
        ctx: typer.Context,
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        no_insights: bool = typer.Option(False, "--no-insights", help="Assign clusters only."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Cluster stored failures that have no cluster yet (incremental) and emit insights."""
        st = state(ctx)
        with st.project_session(project) as (s, _):  # like `flaky analyze`: an unknown project is exit 5
            summary = analyze_failures(s, st.settings.clusters, emit_insights=not no_insights)
        if json_out:
            print_json(summary)
            return
        console().print(
            f"{summary.failures} failure(s) clustered: {summary.clusters_touched} cluster(s) touched, "
            f"{summary.new_clusters} new, {summary.novel_clusters} novel in the latest run; "
            f"{len(summary.insight_ids)} insight(s) saved"
        )

    @failures.command("list")
    def failures_list(
        ctx: typer.Context,
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
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
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """List failure clusters, busiest in the recent window first."""
        st = state(ctx)
        if days is not None and days < 1:
            raise InputError(f"--days {days}: give a whole number of days, 1 or more")
        for name, value in (("--min-count", min_count), ("--limit", limit)):
            if value < 1:
                raise InputError(f"{name} {value}: give a whole number, 1 or more")
        with st.project_session(project) as (s, _):
            run_pk = None if run is None else resolve_run(s, run)
            if latest:
                views = clusters_for_run(s, st.settings.clusters)[:limit]
            else:
                views = list_clusters(
                    s,
                    st.settings.clusters,
                    run_id=run_pk,
                    novel_only=novel,
                    min_count=min_count,
                    since_days=days,
                    limit=limit,
                )
            any_cluster = bool(views) or bool(list_clusters(s, st.settings.clusters, limit=1))
        if json_out:
            print_json(views)
            return
        if not views:
            console().print(
                ("no failure in the latest run belongs to a cluster" if latest
                 else "no failure cluster matches these filters") if any_cluster
                else "no failure clusters yet (run `argus failures analyze` after ingesting reports)",
                soft_wrap=True,
            )
            return
        views_.cluster_rows(console(), views)

    @failures.command("show")
    def failures_show(
        ctx: typer.Context,
        cluster_id: int = typer.Argument(..., callback=validate.db_id("cluster id"), help="Cluster id (from `argus failures list`)."),
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Show one cluster: template, samples, trend, affected tests, newest failures."""
        st = state(ctx)
        with st.project_session(project) as (s, _):
            detail = get_cluster(s, st.settings.clusters, cluster_id)
            ends = (detail.cluster.first_run_id, detail.cluster.last_run_id)
            refs = run_refs(s, [*(r for r in ends if r is not None), *(r for _, r, _ in detail.recent_results)],
                            st.settings.run_url)
        if json_out:
            print_json(detail)
            return
        views_.cluster_detail(console(), detail, refs)
