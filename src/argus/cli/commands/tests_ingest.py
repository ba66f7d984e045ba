"""``argus parse tests`` (validate, no storage) and ``argus ingest tests`` (store, idempotent)."""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from argus.app.ingest_tests import (
    FileStatus,
    IngestReportsRequest,
    IngestReportsResult,
    ParsedFile,
    ingest_test_reports,
    parse_test_reports,
)
from argus.cli import views
from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.cli.validate import as_attempt, ci_text, commit_sha, env_pairs
from argus.cli.validate import attempt as attempt_cb
from argus.core.errors import InputError
from argus.ingest.ci_env import resolve_ci_metadata
from argus.report.ingest import ingested_reports_json, parsed_report_json

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

#: File endings taken from a directory argument (files named explicitly are read whatever their name).
REPORT_SUFFIXES = (".xml", ".trx", ".json")
#: Show a progress bar from this many files on (on a terminal).
PROGRESS_FROM = 20


def expand_inputs(patterns: list[str]) -> tuple[list[Path], frozenset[Path]]:
    """Paths from files, directories (their report files, recursively) and globs (``**`` allowed).

    A pattern matching nothing is kept as-is so that it is reported as missing. The second value
    holds the paths found by a directory or glob (not named): those may be skipped as no report.
    """
    seen: dict[Path, None] = {}
    found_by_pattern: set[Path] = set()
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES)
        elif glob.has_magic(pattern):
            found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        else:
            found = [path]
        for p in found or [path]:
            seen.setdefault(p, None)
        if found and found != [path]:
            found_by_pattern.update(found)
    return list(seen), frozenset(p for p in found_by_pattern if p not in patterns_as_paths(patterns))


def patterns_as_paths(patterns: list[str]) -> set[Path]:
    """The arguments that name a file (a file named explicitly is never skipped)."""
    return {Path(p) for p in patterns if not glob.has_magic(p) and not Path(p).is_dir()}


def say_skipped(sources: list[str]) -> None:
    """One line for every file skipped as no test report."""
    if sources:
        console(stderr=True).print(f"skipped: {len(sources)} files that are not test reports: {', '.join(sources)}",
                                   markup=False, highlight=False, soft_wrap=True)


def parse_tests(
    ctx: typer.Context,
    files: list[str] = typer.Argument(..., help="Report files, directories or globs."),
    json_out: bool = typer.Option(False, "--json", help="Print every case as JSON."),
) -> None:
    """Parse test reports without storing them; print per-file counts (exit 6 if any is rejected)."""
    paths, optional = expand_inputs(files)
    parsed = parse_test_reports(state(ctx).settings.ingest, tuple(paths), optional)
    if json_out:
        print_json([parsed_report_json(p.path, p.report, error=p.error, skipped=p.skipped) for p in parsed])
    else:
        _print_parsed(parsed)
    if any(p.error is not None for p in parsed):
        raise typer.Exit(InputError.exit_code)


def _print_parsed(parsed: tuple[ParsedFile, ...]) -> None:
    err = console(stderr=True)
    rows: list[tuple[str, str, str | None, Any]] = []
    for p in parsed:
        if p.report is not None:
            rows.append(("parsed", str(p.path), p.report.format.value, p.report.summary()))
            for warning in p.report.warnings:
                err.print(f"warning: {p.path}: {warning}", soft_wrap=True)
        elif p.skipped is None:
            err.print(f"rejected: {p.message}", soft_wrap=True)
    views.file_summaries(console(), rows)
    say_skipped([str(p.path) for p in parsed if p.skipped is not None])


def ingest_tests(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="Report files, directories or globs (quote ** globs)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help="Commit SHA (default: CI environment or git HEAD)."),
    branch: str | None = typer.Option(None, "--branch", callback=ci_text("--branch"), help="Branch (default: CI environment or git)."),
    run_id: str | None = typer.Option(None, "--run-id", callback=ci_text("--run-id"), help="CI run id; reports with the same id share a run."),
    job: str | None = typer.Option(None, "--job", callback=ci_text("--job"), help="CI job name."),
    attempt: str | None = typer.Option(None, "--attempt", callback=attempt_cb, metavar="N", help="CI attempt (retry) number."),
    env: list[str] = typer.Option([], "--env", help="Extra run context KEY=VALUE (repeatable)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store test reports (idempotent by content); rejected files go to the dead-letter table (exit 6)."""
    runtime = state(ctx).runtime
    extra = env_pairs(env)
    meta = resolve_ci_metadata(
        os.environ, Path.cwd(), commit_sha=commit, branch=branch, run_id=run_id,
        job=job, attempt=as_attempt(attempt), environment=extra,
    )
    inputs, optional = expand_inputs(paths)
    request = IngestReportsRequest(tuple(inputs), meta, project, optional)
    err = console(stderr=True)
    if len(inputs) >= PROGRESS_FROM and not json_out and err.is_terminal:
        from rich.progress import Progress

        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("ingesting", total=len(inputs))
            result = ingest_test_reports(runtime, request, lambda _o: bar.advance(task))
    else:
        result = ingest_test_reports(runtime, request)
    _print_outcomes(result, json_out)
    if result.any_rejected:
        raise typer.Exit(InputError.exit_code)


def _print_outcomes(result: IngestReportsResult, json_out: bool) -> None:
    outcomes = result.files
    if json_out:
        print_json(ingested_reports_json(outcomes))
        return
    out = console()
    views.file_summaries(out, [(o.status.value, o.source, o.format.value if o.format else None, o.summary)
                               for o in outcomes if o.status not in (FileStatus.REJECTED, FileStatus.SKIPPED)])
    say_skipped([o.source for o in result.with_status(FileStatus.SKIPPED)])
    for o in outcomes:
        if o.status is FileStatus.DUPLICATE:
            views.card(out, o.source, [f"{o.reason}; stored once"])
        elif o.status is FileStatus.REJECTED:
            console(stderr=True).print(f"rejected: {o.source}: {o.reason}", soft_wrap=True)
        if o.warnings:
            views.card(out, o.source, [f"warning: {w}" for w in o.warnings])
    done = result.with_status(FileStatus.INGESTED)
    out.print(
        f"{len(done)} ingested ({result.results} results), "
        f"{len(result.with_status(FileStatus.DUPLICATE))} already stored, "
        f"{len(result.with_status(FileStatus.REJECTED))} rejected"
        + (f"; stored as {_run_name(result.ci_run_id, done[0].run_id)}" if done else ""),
        markup=False, highlight=False,
    )


def _run_name(ci_run_id: str | None, run_id: int | None) -> str:
    """The run as users name it: its CI run id, else Argus's own id written ``#12``."""
    return f"CI run {ci_run_id}" if ci_run_id else f"#{run_id}"


def register(root: typer.Typer, groups: CommandGroups) -> None:
    groups.parse.command("tests")(parse_tests)
    groups.ingest.command("tests")(ingest_tests)
