"""``argus ingest delivery``, ``argus dora`` and ``argus prs list|show`` (through :mod:`argus.app.delivery`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from argus.cli import validate
from argus.cli.output import console, print_json, table
from argus.core.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from argus.analysis.delivery.readmodels import DoraReport, MetricView
    from argus.app.delivery import WorkRequest
    from argus.app.runtime import Runtime
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json", help="Machine-readable JSON.")


def _day(option: str) -> Any:
    def check(value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InputError(f"{option} {value!r}: expected a date YYYY-MM-DD") from None

    return check


def ingest_delivery(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="Directory with deployments.csv, pull_requests.csv, ... "
                                               "(any subset; see docs/delivery.md)."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Store delivery CSV files (deployments, CI pipelines, PRs, commits, incidents); all or nothing."""
    from argus.app import delivery as uc
    from argus.cli.context import state

    summary = uc.ingest_delivery(state(ctx).runtime, uc.IngestRequest(directory, project))
    if json_out:
        print_json(summary)
        return
    out = console()
    for file, n in summary.files:
        out.print(f"{file}: {n} row(s)")
    out.print("stored: " + ", ".join(f"{k.removeprefix('delivery_')} {v}" for k, v in summary.stored.items() if v),
              soft_wrap=True)


def _value(m: MetricView) -> str:
    if m.value is None:
        return "n/a"
    if m.unit.startswith("share"):
        return f"{100 * m.value:.1f} %"
    if m.unit == "minutes":
        v = m.value
        return f"{v / 60:.1f} h" if v < 48 * 60 else f"{v / 1440:.1f} d"
    return f"{m.value:g}/week"


def _bucket(m: MetricView, report: str) -> str:
    b = next((b for b in m.benchmarks if b.report == report), None)
    return "-" if b is None or b.rule.startswith("not a") else (b.bucket or "n/a")


def _render(report: DoraReport) -> None:
    out = console()
    out.print(f"DORA {report.project}: {report.first_day}..{report.last_day} ({report.timezone})")
    rows = [[m.name.replace(" (median)", ""), _value(m), _bucket(m, "2021"), _bucket(m, "2023")]
            for m in report.metrics]
    out.print(table(None, ["metric", "value", "2021", "2023"], rows))
    out.print("how each bucket was decided:")
    for m in report.metrics:
        for b in m.benchmarks:
            if not b.rule.startswith("not a"):
                out.print(f"  {m.key} {b.report}: {b.rule}")
    if report.months:
        mrows = []
        for mv in report.months:
            by = {m.key: m for m in mv.metrics}
            mrows.append([mv.month, str(by["deployment_frequency"].inputs.get("deployments")),
                          _value(by["lead_time"]), _value(by["change_failure_rate"]),
                          _value(by["failed_deployment_recovery_time"]), _value(by["time_to_restore"])])
        out.print(table(None, ["month", "deploys", "lead", "CFR", "recovery", "MTTR"], mrows))
    c = report.coverage
    out.print(f"deployments from {c.deployment_source}: {c.production_deployments} production; "
              f"{c.merged_prs_deployed}/{c.merged_prs} merged PRs linked; "
              f"{c.incidents_linked}/{c.incidents} incidents linked")
    if report.insight_id is not None:
        out.print(f"saved as insight {report.insight_id} (argus insights show {report.insight_id})")


def dora(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    first: str | None = typer.Option(None, "--from", callback=_day("--from"),
                                     help="First day YYYY-MM-DD (default: --to minus delivery.default_period_days)."),
    last: str | None = typer.Option(None, "--to", callback=_day("--to"),
                                    help="Last day YYYY-MM-DD (default: day of the latest deployment or incident)."),
    detail: bool = typer.Option(False, "--detail", help="Per-row results: PR breakdown, incident and previous "
                                                        "deployment links (JSON with --json)."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not store the report as an insight."),
    json_out: bool = _JSON,
) -> None:
    """DORA four keys (DevLake rules) per month and period, with 2021/2023 benchmark buckets."""
    from argus.app import delivery as uc
    from argus.cli.context import state

    runtime = state(ctx).runtime
    if detail:
        doc = uc.dora_detail(runtime, project)
        if json_out:
            print_json(doc)
            return
        out = console()
        rows = [[k, v["coding_time_min"], v["pickup_time_min"], v["review_time_min"], v["deploy_time_min"],
                 v["cycle_time_min"], v["deployment_id"]] for k, v in doc["pull_requests"].items()]
        out.print(table("pull requests (minutes)", ["PR", "coding", "pickup", "review", "deploy", "cycle",
                                                    "deployment"], rows))
        out.print(table("incidents", ["incident", "deployment"],
                        [[k, v["deployment_id"]] for k, v in doc["incidents"].items()]))
        out.print(table("deployments", ["deployment", "previous"],
                        [[k, v["previous_deployment_id"]] for k, v in doc["deployments"].items()]))
        return
    report = uc.dora_report(runtime, uc.DoraRequest(project, first, last, save=not no_save))  # type: ignore[arg-type]
    if json_out:
        print_json(report)
        return
    _render(report)


def prs_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    repo: str | None = typer.Option(None, "--repo", help="Only PRs of this repo."),
    deployed: bool = typer.Option(False, "--deployed", help="Only PRs linked to a production deployment."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many, newest first."),
    json_out: bool = _JSON,
) -> None:
    """Merged PRs with their lead-time breakdown (coding, pickup, review, deploy, cycle), newest first."""
    from argus.app import delivery as uc
    from argus.cli.context import state

    result = uc.list_prs(state(ctx).runtime, uc.PrListRequest(project, limit, repo, deployed))
    if json_out:
        print_json(result)
        return
    out = console()
    if not result.items:
        out.print("no merged pull requests (argus ingest delivery DIR first)")
        return
    rows = [[r.pr_id, r.coding_time_min, r.pickup_time_min, r.review_time_min, r.deploy_time_min,
             r.cycle_time_min, r.deployment_id or "-"] for r in result.items]
    out.print(table(None, ["PR", "coding", "pickup", "review", "deploy", "cycle", "deployment"], rows))
    out.print(f"{len(result.items)} of {result.merged_total} merged PR(s); times in minutes")


def prs_show(
    ctx: typer.Context,
    pr_id: str = typer.Argument(..., callback=validate.ci_text("PR id"), help="PR id (from `argus prs list`)."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """One merged PR: each stage in minutes, the deployment that shipped it and why."""
    from argus.app import delivery as uc
    from argus.cli.context import state

    view = uc.show_pr(state(ctx).runtime, uc.PrShowRequest(pr_id, project))
    if json_out:
        print_json(view)
        return
    out = console()
    p = view.pr
    out.print(f"PR {p.pr_id} {p.repo or ''}#{p.number if p.number is not None else '-'} {p.title or ''}",
              soft_wrap=True)
    for label, value in (("coding", p.coding_time_min), ("pickup", p.pickup_time_min),
                         ("review", p.review_time_min), ("deploy", p.deploy_time_min), ("cycle", p.cycle_time_min)):
        out.print(f"  {label:<7} {'-' if value is None else f'{value} min'}")
    out.print(f"  deployment {p.deployment_id or '-'}")
    for line in view.explanation:
        out.print(f"  {line}", soft_wrap=True)


def sync_github(
    ctx: typer.Context,
    repo: str = typer.Option(..., "--repo", help="owner/name of the GitHub repository."),
    project: str | None = _PROJECT,
    api_url: str | None = typer.Option(None, "--api-url", help="GitHub REST base URL (default: github_api_url)."),
    graphql: bool = typer.Option(False, "--graphql", help="Pull requests with their commits, reviews and comments "
                                 "through GraphQL (one request per 50 PRs instead of 3 per merged PR)."),
    delivery: bool = typer.Option(True, "--delivery/--no-delivery", help="Sync PRs, deployments, commits, incidents."),
    issues: bool = typer.Option(True, "--issues/--no-issues", help="Sync the repository's issues (bug labels, "
                                "commit links; see docs/ingest/issues.md)."),
    json_out: bool = _JSON,
) -> None:
    """Pull requests, reviews, deployments, workflow runs, incidents, commits and issues from GitHub."""
    from argus.app import delivery as uc
    from argus.app.issues import IssueSyncRequest, sync_issues
    from argus.cli.commands.issues import print_sync
    from argus.cli.context import state
    from argus.ingest.delivery.github import check_repo

    if not (delivery or issues):
        raise InputError("--no-delivery --no-issues: nothing to sync")
    check_repo(repo)
    runtime = state(ctx).runtime
    summary = uc.sync_github(runtime, uc.SyncRequest(repo, project, api_url, graphql)) if delivery else None
    issue_summary = sync_issues(runtime, IssueSyncRequest("github", repo, project, api_url)) if issues else None
    if json_out:
        from dataclasses import asdict

        print_json({**(asdict(summary) if summary is not None else {}), "issues": issue_summary})
        return
    out = console()
    if summary is not None:
        kind = "incremental" if summary.incremental else "full"
        out.print(f"{summary.repo}: {kind} sync, {summary.requests} request(s), waited {summary.waited_s:.0f} s "
                  "for rate limits")
        for file, n in summary.rows:
            out.print(f"  {file}: {n} row(s)")
    if issue_summary is not None:
        print_sync(issue_summary)


def prs_rework(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    train: bool = typer.Option(False, "--train", help="Train, evaluate on a time-ordered holdout and register a "
                               "new version (active if it beats the active one)."),
    pr_id: str | None = typer.Option(None, "--pr", help="Predict for this PR only (default: every open PR)."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many PRs."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not store the predictions as insights."),
    json_out: bool = _JSON,
) -> None:
    """PR rework classifier (review cycles > 2 or rework commits > 3): train it, or predict open PRs."""
    from argus.app import delivery as uc
    from argus.cli.context import state

    runtime = state(ctx).runtime
    request = uc.ReworkRequest(project, train, pr_id, limit, not no_save)
    out = console()
    if train:
        t = uc.train_rework(runtime, request)
        if json_out:
            print_json(t)
            return
        out.print(f"pr_rework v{t.version}: {'active' if t.promoted else 'candidate'} ({t.reason})", markup=False)
        out.print(f"{t.train_rows} PRs to train, {t.holdout_rows} later PRs held out; rework share "
                  f"{100 * t.rework_share:.1f} %")

        def fmt(m: dict[str, Any]) -> list[str]:
            return [f"{m['auc']:.3f}" if m.get("auc") is not None else "n/a", f"{m['brier']:.3f}", f"{m['ece']:.3f}"]

        rows = [["model, holdout", *fmt(t.holdout)], ["model, in-sample", *fmt(t.in_sample)],
                ["base rate, holdout", *fmt(t.baselines["base_rate"])],
                ["logistic, holdout", *fmt(t.baselines["logistic"])]]
        out.print(table(None, ["", "AUC", "Brier", "ECE"], rows))
        return
    preds = uc.predict_rework(runtime, request)
    if json_out:
        print_json(preds)
        return
    if not preds:
        out.print("no open pull requests")
        return
    out.print(table(None, ["PR", "p(rework)", "top factors"],
                    [[p.pr_id, f"{p.probability:.2f}", ", ".join(f"{f}={v:g}" for f, v, _ in p.factors)]
                     for p in preds]))


def _work_model(ctx: typer.Context, use_case: Callable[[Runtime, WorkRequest], Any], request: WorkRequest,
                json_out: bool, columns: list[str], row: Callable[[Any], list[str]]) -> None:
    """The common part of ``argus work points|epics``: run the use case, then print JSON, the training
    summary (``--train``) or one table row per result."""
    from argus.cli.context import state

    result = use_case(state(ctx).runtime, request)
    if json_out:
        print_json(result)
        return
    out = console()
    if not request.train:
        out.print(table(None, columns, [row(r) for r in result]))
        return
    t = result
    out.print(f"{t.model} v{t.version}: {'active' if t.promoted else 'candidate'} ({t.reason})", markup=False)
    out.print(f"{t.train_rows} earlier rows to train, {t.holdout_rows} later rows held out")
    keys = [k for k in t.holdout if k != "rows"]
    out.print(table(None, ["", *keys], [[name, *[str(m.get(k)) for k in keys]] for name, m in (
        ("holdout", t.holdout), ("in-sample", t.in_sample), ("baseline, holdout", t.baseline))]))


def work_points(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    train: bool = typer.Option(False, "--train", help="Train, evaluate (time-ordered holdout) and register."),
    item: str | None = typer.Option(None, "--item", help="Estimate this work item only."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many items."),
    json_out: bool = _JSON,
) -> None:
    """Story-point estimator (work_items.csv): train it, or estimate the items without points."""
    from argus.app import delivery as uc

    _work_model(ctx, uc.work_points, uc.WorkRequest(project, train, item, limit), json_out,
                ["item", "points", "raw", "title"],
                lambda e: [e.item_id, f"{e.estimate:g}", f"{e.raw:.1f}", (e.title or "")[:40]])


def work_epics(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    train: bool = typer.Option(False, "--train", help="Learn the P85 factor on earlier epics, score later ones."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many epics."),
    json_out: bool = _JSON,
) -> None:
    """Epic lead-time forecaster: train it, or forecast P50/P85 completion of the open epics."""
    from argus.app import delivery as uc

    _work_model(ctx, uc.work_epics, uc.WorkRequest(project, train, None, limit), json_out,
                ["epic", "done", "P50", "P85"],
                lambda f: [f.epic_id, f"{f.done}/{f.items}", f.p50_date or "-", f.p85_date or "-"])


def _print_delivery(summary: Any) -> None:
    out = console()
    kind = "incremental" if summary.incremental else "full"
    out.print(f"{summary.repo}: {kind} delivery sync, {summary.requests} request(s), waited "
              f"{summary.waited_s:.0f} s for rate limits", markup=False)
    for file, n in summary.rows:
        out.print(f"  {file}: {n} row(s)")


def sync_gitlab(
    ctx: typer.Context,
    target: str = typer.Option(..., "--gitlab-project", help="GitLab project id or group/name."),
    project: str | None = _PROJECT,
    url: str | None = typer.Option(None, "--url", help="GitLab REST v4 base URL (default: issues.gitlab_url)."),
    delivery: bool = typer.Option(True, "--delivery/--no-delivery", help="Sync merge requests, deployments, "
                                  "pipelines, incidents, commits."),
    issues: bool = typer.Option(True, "--issues/--no-issues", help="Sync the project's issues (bug labels, "
                                "commit links; see docs/ingest/issues.md)."),
    full: bool = typer.Option(False, "--full", help="Issues: ignore the stored cursor and read every issue again."),
    json_out: bool = _JSON,
) -> None:
    """Merge requests, deployments, pipelines, incidents, commits and issues from GitLab (incremental)."""
    from argus.app import delivery as uc
    from argus.app.issues import IssueSyncRequest, sync_issues
    from argus.cli.commands.issues import print_sync
    from argus.cli.context import state
    from argus.ingest.issues.remote import check_target

    if not (delivery or issues):
        raise InputError("--no-delivery --no-issues: nothing to sync")
    check_target("gitlab", target)
    runtime = state(ctx).runtime
    summary = uc.sync_gitlab(runtime, uc.SyncRequest(target, project, url)) if delivery else None
    issue_summary = sync_issues(runtime, IssueSyncRequest("gitlab", target, project, url, full)) if issues else None
    if json_out:
        if summary is None:
            print_json(issue_summary)  # the shape of the issue-only sync
            return
        from dataclasses import asdict

        print_json({**asdict(summary), "issues": issue_summary})
        return
    if summary is not None:
        _print_delivery(summary)
    if issue_summary is not None:
        print_sync(issue_summary)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    groups.ingest.command("delivery")(ingest_delivery)
    root.command("dora")(dora)
    prs = typer.Typer(help="Merged pull requests with their lead-time breakdown (DevLake rules).",
                      no_args_is_help=True)
    root.add_typer(prs, name="prs")
    prs.command("list")(prs_list)
    prs.command("show")(prs_show)
    prs.command("rework")(prs_rework)
    work = typer.Typer(help="Work-item models: story-point estimator, epic lead-time forecaster.",
                       no_args_is_help=True)
    root.add_typer(work, name="work")
    work.command("points")(work_points)
    work.command("epics")(work_epics)
    from argus.cli.commands.issues import sync_jira

    sync = typer.Typer(help="Pull delivery data and issues from a live source (GitHub, GitLab, Jira), incrementally.",
                       no_args_is_help=True)
    root.add_typer(sync, name="sync")
    sync.command("github")(sync_github)
    sync.command("gitlab")(sync_gitlab)
    sync.command("jira")(sync_jira)
