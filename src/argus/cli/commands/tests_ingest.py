"""``argus parse tests`` (validate, no storage) and ``argus ingest tests`` (store, idempotent)."""

from __future__ import annotations

import functools
import glob
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from sqlalchemy.orm import Session

from argus.cli import views
from argus.cli.context import CliState, state
from argus.cli.output import console, print_json, to_jsonable
from argus.cli.validate import as_attempt, ci_text, commit_sha
from argus.cli.validate import attempt as attempt_cb
from argus.core.errors import InputError
from argus.ingest.ci_env import CiMetadata, resolve_ci_metadata
from argus.ingest.testreports import NotATestReportError, ReportParseError, parse_report_file
from argus.ingest.testreports.service import FileOutcome, FileStatus, ingest_test_reports, limits_from
from argus.store.models import Project

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

#: File endings taken from a directory argument (files named explicitly are read whatever their name).
REPORT_SUFFIXES = (".xml", ".trx", ".json")
#: Show a progress bar from this many files on (on a terminal).
PROGRESS_FROM = 20
#: Files per transaction. Each file has its own SAVEPOINT; PostgreSQL slows down sharply once a
#: transaction has more than 64 subtransactions (its per-backend subxid cache overflows), so many
#: files are committed in batches, all attached to the run the first batch found or created.
BATCH_FILES = 50


_IN_RUN = (FileStatus.INGESTED, FileStatus.DUPLICATE)


def ingest_batched(
    st: CliState, project: str | None, inputs: list[Path], meta: CiMetadata,
    progress: Callable[[FileOutcome], None] | None = None, optional: frozenset[Path] = frozenset(),
) -> list[FileOutcome]:
    """Ingest ``inputs`` in units of work of :data:`BATCH_FILES` files, all into one run.

    Files in ``optional`` (found by a directory or glob) that are no test report are skipped.
    A batch aborted by a transient database conflict (a deadlock between concurrent writers) is run
    again whole; a batch that fails otherwise rolls back whole, batches before it stay committed.
    """
    outcomes: list[FileOutcome] = []
    run_id: int | None = None
    for i in range(0, len(inputs), BATCH_FILES):
        batch = st.in_project(project, functools.partial(
            _ingest_batch, files=inputs[i : i + BATCH_FILES], meta=meta, st=st, run_id=run_id,
            optional=optional), create=True)
        if progress is not None:  # after the commit: a batch run again must not count twice
            for outcome in batch:
                progress(outcome)
        outcomes.extend(batch)
        # a duplicate names the run the command joined (the CI run, or a local run being completed)
        run_id = run_id or next((o.run_id for o in batch if o.status in _IN_RUN), None)
    return outcomes


def _ingest_batch(session: Session, _project: Project, *, files: list[Path], meta: CiMetadata, st: CliState,
                  run_id: int | None, optional: frozenset[Path] = frozenset()) -> list[FileOutcome]:
    return ingest_test_reports(session, files, meta, st.settings.ingest, run_id=run_id, optional=optional)


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


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--env {pair!r}: expected KEY=VALUE")
        env[key.strip()] = value
    return env


def register(root: typer.Typer, groups: CommandGroups) -> None:
    @groups.parse.command("tests")
    def parse_tests(
        ctx: typer.Context,
        files: list[str] = typer.Argument(..., help="Report files, directories or globs."),
        json_out: bool = typer.Option(False, "--json", help="Print every case as JSON."),
    ) -> None:
        """Parse test reports without storing them; print per-file counts (exit 6 if any is rejected)."""
        limits = limits_from(state(ctx).settings.ingest)
        results: list[dict[str, Any]] = []
        rows: list[tuple[str, str, str | None, Any]] = []
        rejected = 0
        paths, optional = expand_inputs(files)
        skipped: list[str] = []
        for path in paths:
            try:
                report = parse_report_file(path, limits)
            except ReportParseError as exc:
                if isinstance(exc, NotATestReportError) and path in optional:
                    skipped.append(str(path))
                    results.append({"file": str(path), "skipped": exc.reason})
                    continue
                rejected += 1
                results.append({"file": str(path), "error": exc.reason})
                if not json_out:
                    console(stderr=True).print(f"rejected: {exc}", soft_wrap=True)
                continue
            summary = report.summary()
            rows.append(("parsed", str(path), report.format.value, summary))
            if not json_out:
                for warning in report.warnings:
                    console(stderr=True).print(f"warning: {path}: {warning}", soft_wrap=True)
            if json_out:
                results.append({
                    "file": str(path), "format": report.format.value, "summary": to_jsonable(summary),
                    "timestamp": to_jsonable(report.timestamp), "warnings": list(report.warnings),
                    "cases": [case.as_dict() for case in report.cases],
                })
        if json_out:
            print_json(results)
        else:
            views.file_summaries(console(), rows)
            say_skipped(skipped)
        if rejected:
            raise typer.Exit(InputError.exit_code)

    @groups.ingest.command("tests")
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
        st = state(ctx)
        extra = _parse_env(env)
        meta = resolve_ci_metadata(
            os.environ, Path.cwd(), commit_sha=commit, branch=branch, run_id=run_id,
            job=job, attempt=as_attempt(attempt), environment=extra,
        )
        inputs, optional = expand_inputs(paths)
        err = console(stderr=True)
        show_progress = len(inputs) >= PROGRESS_FROM and not json_out and err.is_terminal
        if show_progress:
            from rich.progress import Progress

            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("ingesting", total=len(inputs))
                outcomes = ingest_batched(st, project, inputs, meta, lambda _o: bar.advance(task),
                                          optional=optional)
        else:
            outcomes = ingest_batched(st, project, inputs, meta, optional=optional)
        _print_outcomes(outcomes, json_out, meta.run_id)
        if any(o.status is FileStatus.REJECTED for o in outcomes):
            raise typer.Exit(InputError.exit_code)


def _print_outcomes(outcomes: list[FileOutcome], json_out: bool, meta_run: str | None = None) -> None:
    if json_out:
        print_json(outcomes)
        return
    out = console()
    views.file_summaries(out, [(o.status.value, o.source, o.format.value if o.format else None, o.summary)
                               for o in outcomes if o.status not in (FileStatus.REJECTED, FileStatus.SKIPPED)])
    say_skipped([o.source for o in outcomes if o.status is FileStatus.SKIPPED])
    for o in outcomes:
        if o.status is FileStatus.DUPLICATE:
            views.card(out, o.source, [f"{o.reason}; stored once"])
        elif o.status is FileStatus.REJECTED:
            console(stderr=True).print(f"rejected: {o.source}: {o.reason}", soft_wrap=True)
        if o.warnings:
            views.card(out, o.source, [f"warning: {w}" for w in o.warnings])
    done = [o for o in outcomes if o.status is FileStatus.INGESTED]
    results = sum(o.summary.attempts for o in done if o.summary)
    out.print(
        f"{len(done)} ingested ({results} results), "
        f"{sum(o.status is FileStatus.DUPLICATE for o in outcomes)} already stored, "
        f"{sum(o.status is FileStatus.REJECTED for o in outcomes)} rejected"
        + (f"; stored as {_run_name(meta_run, done[0].run_id)}" if done else ""),
        markup=False, highlight=False,
    )


def _run_name(ci_run_id: str | None, run_id: int | None) -> str:
    """The run as users name it: its CI run id, else Argus's own id written ``#12``."""
    return f"CI run {ci_run_id}" if ci_run_id else f"#{run_id}"
