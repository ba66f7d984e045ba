"""``argus gate``, ``argus baseline`` and ``argus ci-metrics``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.context import CliState, state
from argus.cli.output import console, print_json, table
from argus.cli.render import line, para
from argus.cli.validate import ci_text, commit_sha
from argus.core.errors import InputError
from argus.ingest.ci_env import detect_ci_metadata

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups



def register(root: typer.Typer, groups: CommandGroups) -> None:
    @root.command("gate")
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
        from argus.analysis.gates.schemas import Verdict
        from argus.analysis.gates.service import git_diff, record_gate, run_gate
        from argus.report import gate as gate_report

        if fail_on not in ("fail", "warn"):
            raise InputError(f"--fail-on {fail_on!r}: use fail or warn")
        if already_failing is not None and already_failing not in ("block", "warn", "off"):
            raise InputError(f"--already-failing {already_failing!r}: use block, warn or off")
        st = state(ctx)
        gate_settings = st.settings.gate
        if already_failing is not None:
            gate_settings = gate_settings.model_copy(
                update={"rules": {**gate_settings.rules, "already_failing": already_failing}}
            )
        err = console(stderr=True)
        ci_run = run_id
        if commit is None and run_id is None:
            meta = detect_ci_metadata(os.environ, Path.cwd())
            ci_run, commit = meta.run_id, meta.commit_sha if meta.run_id is None else None
            if base is None and meta.environment.get("base_branch"):
                auto_base = f"origin/{meta.environment['base_branch']}"
                try:
                    diff_text: str | None = git_diff(repo, auto_base, meta.commit_sha)
                except InputError as exc:
                    err.print(f"note: no diff ({exc}); changed-line checks skipped", markup=False, highlight=False, soft_wrap=True)
                    diff_text = None
            else:
                diff_text = git_diff(repo, base, meta.commit_sha) if base else None
        else:
            diff_text = git_diff(repo, base, commit) if base else None
        with st.project_session(project) as (session, proj):
            outcome = run_gate(session, proj, gate_settings, commit=commit, ci_run_id=ci_run, branch=branch,
                               diff_text=diff_text)
            if record:
                outcome = record_gate(session, outcome)
            metrics = None
            if metrics_out is not None:
                from argus.analysis.gates.metrics import collect_ci_metrics

                metrics = collect_ci_metrics(session, proj.slug, commit=outcome.build.commit_sha if ci_run is None
                                             else None, ci_run_id=ci_run)
        if metrics is not None and metrics_out is not None:
            from argus.report.ci_metrics import to_json as metrics_json

            metrics_out.write_text(json.dumps(metrics_json(metrics), indent=2) + "\n", encoding="utf-8")
        md = gate_report.to_markdown(outcome, details_url=_run_url(os.environ))
        if markdown is not None:
            markdown.write_text(md, encoding="utf-8")
        if json_out:
            print_json(gate_report.to_json(outcome))
        else:
            console().print(gate_report.to_terminal(outcome))
        if github and os.environ.get("GITHUB_ACTIONS") == "true":
            from argus.report.github import gate_annotations, write_job_summary

            write_job_summary(md, os.environ)
            stream = sys.stderr if json_out else sys.stdout
            for line in gate_annotations(outcome):
                print(line, file=stream)
        if comment:
            from argus.cli.commands.comment import comment_or_warn

            annotate = github and os.environ.get("GITHUB_ACTIONS") == "true"
            comment_or_warn(md, pr, github_repo, lambda: _comment(st, md, pr, github_repo, annotate))
        failed = outcome.result.verdict is Verdict.FAIL or (
            fail_on == "warn" and outcome.result.verdict is Verdict.WARN
        )
        if failed:
            raise typer.Exit(1)

    @root.command("baseline")
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
        from argus.analysis.gates.export import baseline_file
        from argus.analysis.gates.service import current_baseline

        st = state(ctx)
        with st.project_session(project) as (session, proj):
            builds, result = current_baseline(session, proj, st.settings.gate, commit=commit, ci_run_id=run_id)
            doc = baseline_file(proj.slug, proj.default_branch, builds, result)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        if json_out:
            print_json(doc)
            return
        b = doc["baseline"]
        out_ = console()
        para(out_, f"Baseline of {proj.slug}: {doc['aggregate']} of {len(doc['runs'])} green build(s) on "
                   f"{proj.default_branch}" + (":" if doc["runs"] else " (none yet)"))
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

    @root.command("ci-metrics")
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
        from argus.analysis.gates.metrics import collect_ci_metrics
        from argus.report.ci_metrics import push_to_gateway, to_json

        st = state(ctx)
        if commit is None and run_id is None:
            meta = detect_ci_metadata(os.environ, Path.cwd())
            run_id, commit = meta.run_id, meta.commit_sha if meta.run_id is None else None
        with st.project_session(project) as (session, proj):
            metrics = collect_ci_metrics(session, proj.slug, commit=commit, ci_run_id=run_id)
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


def _run_url(environ: Mapping[str, str]) -> str | None:
    if environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
    return None


def _comment(st: CliState, md: str, pr: int | None, github_repo: str | None, annotate: bool) -> None:
    """Upsert the PR comment; token from ARGUS_GITHUB_TOKEN or GITHUB_TOKEN, API URL from settings or
    GITHUB_API_URL (GitHub Enterprise). A comment that cannot be posted is a one-line warning: it never
    changes the gate's exit code (fork PRs get a read-only token)."""
    from argus.core.errors import ArgusError
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
    token = st.settings.github_token.get_secret_value() if st.settings.github_token else os.environ.get("GITHUB_TOKEN", "")
    api = st.settings.github_api_url
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
