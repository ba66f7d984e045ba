"""``argus dead-letters list|show|retry``: the inputs Argus refused, and a second try."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli import validate
from argus.cli.context import state
from argus.cli.output import console, print_cards, print_json, print_lines
from argus.core.enums import DeadLetterSource
from argus.core.errors import InputError
from argus.report.ingest import record_json, records_json

if TYPE_CHECKING:
    from argus.app.deadletters import DeadLetterView
    from argus.cli.app import CommandGroups


def _source(value: str | None) -> DeadLetterSource | None:
    if value is None:
        return None
    try:
        return DeadLetterSource(value)
    except ValueError:
        names = ", ".join(s.value for s in DeadLetterSource)
        raise InputError(f"--source {value!r}: use one of {names}") from None


def _card(v: DeadLetterView) -> list[str]:
    size = "?" if v.size_bytes is None else f"{v.size_bytes} bytes"
    times = f"{v.count} time(s), last {v.last_seen_at:%Y-%m-%d %H:%M} UTC"
    return [f"#{v.id} {v.source}: {v.source_name}", f"  {v.content_type or 'unknown'}, {size}, {times}",
            f"  reason: {v.reason}"]


def dl_list(
    ctx: typer.Context,
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    source: str | None = typer.Option(None, "--source", help="test_report, coverage, vulnerabilities, git …"),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List rejected inputs, most recently seen first (the same input rejected again counts once)."""
    from argus.app.deadletters import ListDeadLetters, list_dead_letters

    kind = _source(source)
    rows = list_dead_letters(state(ctx).runtime, ListDeadLetters(project, kind, limit))
    if json_out:
        print_json(records_json(rows))
        return
    print_cards(rows, _card, "no dead letters" + (f" from {kind.value}" if kind else "") + ": nothing was rejected")


def dl_show(
    ctx: typer.Context,
    dead_letter_id: int = typer.Argument(..., callback=validate.db_id("dead letter id"), help="Id from the list."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show one dead letter: reason, type, size, hash and a short redacted excerpt."""
    from argus.app.deadletters import show_dead_letter

    v = show_dead_letter(state(ctx).runtime, dead_letter_id, project)
    if json_out:
        print_json(record_json(v))
        return
    lines = [*_card(v), f"  sha256: {v.content_hash or '—'}", f"  first seen: {v.created_at:%Y-%m-%d %H:%M} UTC"]
    if v.excerpt:
        lines += ["  excerpt (secrets masked):", *(f"    {line}" for line in v.excerpt.splitlines())]
    print_lines(lines)


def dl_retry(
    ctx: typer.Context,
    dead_letter_id: int = typer.Argument(..., callback=validate.db_id("dead letter id"), help="Id from the list."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    commit: str | None = typer.Option(None, "--commit", callback=validate.commit_sha, help="Commit SHA."),
    branch: str | None = typer.Option(None, "--branch", callback=validate.ci_text("--branch")),
    run_id: str | None = typer.Option(None, "--run-id", callback=validate.ci_text("--run-id")),
    job: str | None = typer.Option(None, "--job", callback=validate.ci_text("--job")),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Re-ingest the original file if it still exists (exit 6 if it is refused again)."""
    from argus.app.deadletters import RetryDeadLetter, RetryStatus, retry_dead_letter
    from argus.ingest.ci_env import resolve_ci_metadata

    meta = resolve_ci_metadata(os.environ, Path.cwd(), commit_sha=commit, branch=branch, run_id=run_id, job=job)
    outcome = retry_dead_letter(state(ctx).runtime, RetryDeadLetter(dead_letter_id, meta, project))
    if json_out:
        print_json(record_json(outcome))
    elif outcome.status is RetryStatus.REJECTED:
        console(stderr=True).print(f"rejected again: {outcome.source_name}: {outcome.detail}",
                                   markup=False, highlight=False, soft_wrap=True)
    else:
        console().print(f"{outcome.status.value}: {outcome.source_name}: {outcome.detail} (dead letter "
                        f"{outcome.dead_letter_id} removed)", markup=False, highlight=False, soft_wrap=True)
    if outcome.status is RetryStatus.REJECTED:
        raise typer.Exit(InputError.exit_code)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    dl = typer.Typer(help="Rejected inputs (dead letters): list, show, retry.", no_args_is_help=True)
    root.add_typer(dl, name="dead-letters")
    dl.command("list")(dl_list)
    dl.command("show")(dl_show)
    dl.command("retry")(dl_retry)
