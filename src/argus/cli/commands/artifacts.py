"""``argus ingest coverage|vulns``: store coverage reports and vulnerability scans."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.app.ingest_artifacts import (
    ArtifactKind,
    IngestArtifactsRequest,
    IngestArtifactsResult,
    IngestStatus,
    ingest_artifacts,
)
from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.cli.render import summary_line
from argus.cli.validate import as_attempt, ci_text, commit_sha
from argus.cli.validate import attempt as attempt_cb
from argus.core.errors import InputError
from argus.ingest.ci_env import CiMetadata, resolve_ci_metadata
from argus.ingest.coverage.service import CoverageIngestResult
from argus.report.ingest import artifact_json

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_COMMIT_HELP = "Commit SHA (default: CI environment or git HEAD)."
#: How a status reads on the terminal (JSON keeps the status names).
_LABEL = {IngestStatus.DUPLICATE: "already stored (same content for this run)"}


def _meta(commit: str | None, branch: str | None, run_id: str | None, job: str | None,
          attempt: str | None) -> CiMetadata:
    return resolve_ci_metadata(os.environ, Path.cwd(), commit_sha=commit, branch=branch,
                               run_id=run_id, job=job, attempt=as_attempt(attempt))


def ingest_coverage(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="coverage.py JSON, Cobertura XML, LCOV or JaCoCo XML files."),
    project: str | None = typer.Option(None, "--project", "-p"),
    fmt: str | None = typer.Option(None, "--format", help="coveragepy | cobertura | lcov | jacoco (default: detect)."),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help=_COMMIT_HELP),
    branch: str | None = typer.Option(None, "--branch", callback=ci_text("--branch")),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id"), help="CI run id; reports with the same id share a run."),
    job: str | None = typer.Option(None, "--job", callback=ci_text("--job")),
    attempt: str | None = typer.Option(None, "--attempt", callback=attempt_cb, metavar="N"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store coverage reports (idempotent per run); rejected files go to the dead-letter table (exit 6)."""
    _run(ctx, IngestArtifactsRequest(ArtifactKind.COVERAGE, tuple(files), _meta(commit, branch, run_id, job, attempt),
                                     project, fmt), json_out)


def ingest_vulns(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Trivy, Grype, pip-audit, npm audit or OSV-Scanner JSON."),
    project: str | None = typer.Option(None, "--project", "-p"),
    fmt: str | None = typer.Option(
        None, "--format", help="trivy | grype | pip-audit | npm-audit | osv-scanner (default: detect)."
    ),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help=_COMMIT_HELP),
    branch: str | None = typer.Option(None, "--branch", callback=ci_text("--branch")),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id")),
    job: str | None = typer.Option(None, "--job", callback=ci_text("--job")),
    attempt: str | None = typer.Option(None, "--attempt", callback=attempt_cb, metavar="N"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store vulnerability scans (idempotent per run); rejected files go to the dead-letter table (exit 6)."""
    _run(ctx, IngestArtifactsRequest(ArtifactKind.VULNERABILITIES, tuple(files),
                                     _meta(commit, branch, run_id, job, attempt), project, fmt), json_out)


def _run(ctx: typer.Context, request: IngestArtifactsRequest, json_out: bool) -> None:
    result = ingest_artifacts(state(ctx).runtime, request)
    if json_out:
        print_json([artifact_json(o.file, o.status, o.report, o.reason) for o in result.files])
    else:
        _print(result)
    if result.any_rejected:
        raise typer.Exit(InputError.exit_code)


def _print(result: IngestArtifactsResult) -> None:
    out = console()
    for o in result.files:
        if o.report is None:
            console(stderr=True).print(f"rejected: {o.file}: {o.reason}", markup=False, highlight=False, soft_wrap=True)
            continue
        label = _LABEL.get(o.status, o.status.value)
        r = o.report
        if isinstance(r, CoverageIngestResult):
            pct = r.line_pct
            summary_line(out, o.file, f"{label} ({r.format}, {r.files} files, "
                         f"{'—' if pct is None else f'{pct:.2f} %'} of lines covered) → run {r.run_id}")
        else:
            c = r.counts
            summary_line(out, o.file, f"{label} ({r.format}: {c['critical']} critical, {c['high']} high, "
                         f"{c['medium']} medium, {c['low']} low, {c['unknown']} unknown) → run {r.run_id}")


def register(root: typer.Typer, groups: CommandGroups) -> None:
    groups.ingest.command("coverage")(ingest_coverage)
    groups.ingest.command("vulns")(ingest_vulns)
