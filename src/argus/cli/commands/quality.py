"""``argus gate``, ``argus baseline`` and ``argus ci-metrics`` (the use cases are in :mod:`argus.app.gate`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json, table
from argus.cli.render import line, para
from argus.cli.validate import ci_text, commit_sha
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("gate")(gate_cmd)
    root.command("baseline")(baseline_cmd)
    root.command("ci-metrics")(ci_metrics_cmd)


def gate_cmd(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", "-p"),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help="Build to judge (default: from the CI env / git)."),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id"), help="CI run id of the build (instead of --commit)."),
    branch: str | None = typer.Option(None, "--branch", callback=ci_text("--branch"), help="Only runs of the build on this branch."),
    base: str | None = typer.Option(None, "--base", help="Diff base ref for changed-line coverage (PR base)."),
    repo: Path = typer.Option(Path("."), "--repo", help="Git checkout for --base."),
    fail_on: str = typer.Option("fail", "--fail-on", help="Exit 1 on: fail (default) or warn."),
    json_out: bool = typer.Option(False, "--json", help="Print the gate result as JSON."),
    markdown: Path | None = typer.Option(None, "--markdown", help="Write the PR-comment Markdown here."),
    comment: bool = typer.Option(False, "--comment", help="Create or update the PR comment (GitHub) or MR note "
                                 "(GitLab, in a merge-request pipeline)."),
    pr: int | None = typer.Option(None, "--pr", help="PR number / MR IID (default: from the CI event)."),
    github_repo: str | None = typer.Option(None, "--github-repo", help="owner/name (default: GITHUB_REPOSITORY)."),
    github: bool = typer.Option(True, "--github/--no-github", help="Job summary + annotations in Actions."),
    record: bool = typer.Option(True, "--record/--no-record", help="Store the verdict as an insight."),
    metrics_out: Path | None = typer.Option(None, "--metrics-out", help="Also write CI metrics JSON here."),
    already_failing: str | None = typer.Option(
        None, "--already-failing",
        help="Tests already failing on the default branch: block | warn | off (default: gate.rules.already_failing, "
        "warn). New failures always follow rule new_failures.",
    ),
) -> None:
    """Judge a build against the rolling baseline; exit 1 on FAIL (or WARN with --fail-on warn)."""
    from argus.app.gate import GateRequest, evaluate_gate
    from argus.report import gate as gate_report
    from argus.report.github import run_url

    if fail_on not in ("fail", "warn"):
        raise InputError(f"--fail-on {fail_on!r}: use fail or warn")
    req = GateRequest(project=project, commit=commit, ci_run_id=run_id, branch=branch, base=base, repo=repo,
                      already_failing=already_failing, record=record, with_metrics=metrics_out is not None,
                      environ=os.environ, cwd=Path.cwd())
    st = state(ctx)
    err = console(stderr=True)
    view = evaluate_gate(st.runtime, req, on_note=lambda text: err.print(
        f"note: {text}", markup=False, highlight=False, soft_wrap=True))
    outcome = view.outcome
    if view.metrics is not None and metrics_out is not None:
        from argus.report.ci_metrics import to_json as metrics_json

        metrics_out.write_text(json.dumps(metrics_json(view.metrics), indent=2) + "\n", encoding="utf-8")
    md = gate_report.to_markdown(outcome, details_url=run_url(os.environ))
    if markdown is not None:
        markdown.write_text(md, encoding="utf-8")
    if json_out:
        print_json(gate_report.to_json(outcome))
    else:
        console().print(gate_report.to_terminal(outcome))
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    if github and in_actions:
        from argus.report.github import gate_annotations, write_job_summary

        write_job_summary(md, os.environ)
        stream = sys.stderr if json_out else sys.stdout
        for text in gate_annotations(outcome):
            print(text, file=stream)
    if comment:
        from argus.cli.commands.comment import comment_or_warn, post_github_comment

        annotate = github and in_actions
        comment_or_warn(md, pr, github_repo, lambda: post_github_comment(st.settings, md, pr, github_repo, annotate))
    if view.blocks(fail_on):
        raise typer.Exit(1)


def baseline_cmd(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", "-p"),
    out: Path | None = typer.Option(None, "--out", help="Write it as JSON (e.g. ci_metrics/quality_metrics.json)."),
    json_out: bool = typer.Option(False, "--json"),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha,
                                      help="Show the baseline this build is judged against."),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id"),
                                      help="Same, naming the build by its CI run id."),
) -> None:
    """The rolling baseline the gate uses: the last N green builds on the default branch.

    The same function as ``argus gate``; without --commit/--run-id, for a build starting now.
    """
    from argus.app.gate import BuildRequest, gate_baseline
    from argus.report.gate import baseline_file

    view = gate_baseline(state(ctx).runtime, BuildRequest(project=project, commit=commit, ci_run_id=run_id))
    doc = baseline_file(view)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if json_out:
        print_json(doc)
        return
    b = doc["baseline"]
    out_ = console()
    para(out_, f"Baseline of {view.project}: {doc['aggregate']} of {len(doc['runs'])} green build(s) on "
               f"{view.default_branch}" + (":" if doc["runs"] else " (none yet)"))
    for r in doc["runs"]:
        cov = "—" if r["coverage_pct"] is None else f"{r['coverage_pct']:.2f} %"
        line(out_, f"  {r['commit'] or '—'}")
        high, crit = ("—" if r[k] is None else r[k] for k in ("high", "critical"))
        para(out_, f"{(r['timestamp'] or '')[:16].replace('T', ' ')}; coverage {cov}; HIGH {high}, "
                   f"CRITICAL {crit}", "    ")
    cov = "none yet" if b["coverage_pct"] is None else f"{b['coverage_pct']:.2f} % ({b['coverage_source']})"
    para(out_, f"baseline: coverage {cov}, HIGH {b['high']:g}, "
               f"CRITICAL {b['critical']:g} ({b['vulnerability_source']})")
    for note in doc["notes"]:
        para(out_, f"note: {note}")


def ci_metrics_cmd(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", "-p"),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id")),
    out: Path | None = typer.Option(None, "--out", help="Write the metrics JSON to this file."),
    push_gateway: str | None = typer.Option(
        None, "--push-gateway", envvar="PROMETHEUS_GATEWAY", help="Pushgateway URL (env PROMETHEUS_GATEWAY)."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """CI metrics of a build as JSON (schema argus.ci-metrics/v1), optionally pushed to a Pushgateway."""
    from argus.app.gate import BuildRequest, ci_metrics
    from argus.report.ci_metrics import push_to_gateway, to_json

    metrics = ci_metrics(state(ctx).runtime, BuildRequest(project=project, commit=commit, ci_run_id=run_id,
                                                          environ=os.environ, cwd=Path.cwd()))
    doc = to_json(metrics)
    if out is not None:
        out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    pushed = push_to_gateway(push_gateway, metrics) if push_gateway else None
    if json_out:
        print_json(doc)
    else:
        rows = [[k, v] for k, v in doc["metrics"].items()] + [[f"job:{k}", v] for k, v in doc["job_statuses"].items()]
        console().print(table(f"CI metrics of {metrics.build[:12]}", ["metric", "value"], rows))
        if pushed:
            console().print(f"pushed to {pushed}", markup=False, highlight=False, soft_wrap=True)
