"""``argus flaky analyze|list|show|quarantine|set-state``: flaky vs broken tests.

Each command parses its options, calls one use case of :mod:`argus.app.flaky` and renders the read
model (terminal cards: :mod:`argus.cli.views`; JSON and CI forms: :mod:`argus.report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.analysis.flaky.lifecycle import LifecycleState, parse_state
from argus.app import flaky as uc
from argus.cli import validate, views
from argus.cli.context import state
from argus.cli.output import console, print_json, styled
from argus.core.clock import utcnow
from argus.core.enums import InsightKind
from argus.core.errors import InputError
from argus.report.flaky import analysis_json
from argus.report.quarantine import ExportFormat, export, write_export

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_KINDS = {None: None, "flaky": InsightKind.FLAKY_TEST, "broken": InsightKind.BROKEN_TEST}
#: Rows ``flaky analyze`` prints before pointing at ``flaky list``.
_SHOWN = 50


def register(root: typer.Typer, groups: CommandGroups) -> None:
    app = typer.Typer(help="Flaky vs broken tests: evidence, probability, category, quarantine.", no_args_is_help=True)
    root.add_typer(app, name="flaky")
    app.command("analyze")(flaky_analyze)
    app.command("list")(flaky_list)
    app.command("show")(flaky_show)
    app.command("quarantine")(flaky_quarantine)
    app.command("set-state")(flaky_set_state)


def flaky_analyze(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Analyse without storing insights or states."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Judge every test that failed: store flaky/broken insights and lifecycle states."""
    res = uc.analyze(state(ctx).runtime, uc.AnalyzeRequest(project, dry_run))
    if json_out:
        print_json(analysis_json(res))
        return
    c = console()
    c.print(styled(
        f"{res.runs} runs, {res.tests_examined} tests with failures examined, {res.outage_runs} outage runs excluded: ",
        (f"{res.flaky} flaky", "bold"), ", ", (f"{res.broken} broken", "bold"),
        "" if not dry_run else " (dry run: nothing stored)",
    ))
    if not res.tests:
        c.print("no flaky or broken test found", soft_wrap=True)
    for t in res.tests[:_SHOWN]:
        views.flaky_row(c, t.identity, t.verdict, t.probability, t.low, t.high, t.category, t.action, t.wasted_s)
    if len(res.tests) > _SHOWN:
        c.print(f"…and {len(res.tests) - _SHOWN} more (`argus flaky list --limit {len(res.tests)}`)", soft_wrap=True)
    for ch in res.state_changes:
        views.card(c, ch.identity, [f"{ch.before or 'untracked'} → {ch.after} ({ch.reason})"])


def flaky_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    kind: str | None = typer.Option(None, "--kind", help="flaky or broken (default both)."),
    lifecycle: str | None = typer.Option(None, "--state", help="active, quarantined or fixed."),
    min_probability: float = typer.Option(0.0, "--min-probability"),
    limit: int = typer.Option(100, "--limit", callback=validate.count("--limit")),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Current flaky and broken tests, most likely first."""
    if kind not in _KINDS:
        raise InputError(f"--kind {kind!r}: use flaky or broken")
    if lifecycle is not None and lifecycle not in set(LifecycleState):
        raise InputError(f"--state {lifecycle!r}: use {', '.join(LifecycleState)}")
    if not 0 <= min_probability <= 1:
        raise InputError(f"--min-probability {min_probability:g}: give a probability from 0 to 1 (e.g. 0.8)")
    if limit < 1:
        raise InputError(f"--limit {limit}: give a whole number, 1 or more")
    items = uc.list_tests(state(ctx).runtime, uc.ListRequest(
        project, _KINDS[kind], LifecycleState(lifecycle) if lifecycle else None, min_probability, limit))
    if json_out:
        print_json(list(items))
        return
    if not items:
        filtered = kind is not None or lifecycle is not None or min_probability > 0
        console().print("no flaky or broken test matches these filters" if filtered else
                        "no flaky or broken test yet (run `argus flaky analyze` after ingesting reports)",
                        soft_wrap=True)
    views.flaky_list(console(), items)


def flaky_show(
    ctx: typer.Context,
    test: str = typer.Argument(..., help="Test id (or a unique name / id suffix)."),
    project: str | None = _PROJECT,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """One test: verdict, probability, evidence, category, lifecycle."""
    shown = uc.show_test(state(ctx).runtime, uc.ShowRequest(test, project))
    if json_out:
        print_json(shown.detail)
        return
    views.flaky_detail(console(), shown.detail, shown.refs)


def flaky_quarantine(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    fmt: ExportFormat = typer.Option(
        ExportFormat.TEXT, "--format", "-f",
        help="pytest, conftest, json, text, surefire, gradle, jest, go or dotnet."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --output file (conftest merges without)."),
    json_out: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    """Export the quarantined tests for CI (pytest, conftest, Surefire, Gradle, jest, Go, .NET, JSON, ids)."""
    q = uc.quarantine(state(ctx).runtime, uc.QuarantineRequest(project))
    fmt = ExportFormat.JSON if json_out else fmt
    done = export(q.tests, fmt, project=q.project, now=utcnow())
    err = console(stderr=True)
    if output is None:
        print(done.text, end="")
    else:
        write_export(output, done.text, merge=fmt is ExportFormat.CONFTEST and not force, force=force)
        err.print(f"wrote {len(q.tests) - len(done.left_out)} quarantined test(s) to {output}",
                  markup=False, highlight=False, soft_wrap=True)
    if done.left_out:
        err.print(f"left out {len(done.left_out)} test(s) the {fmt.value} form cannot express:",
                  markup=False, highlight=False)
        for item in done.left_out:
            err.print(f"  {item.identity}: {item.reason}", markup=False, highlight=False, soft_wrap=True)


def flaky_set_state(
    ctx: typer.Context,
    test: str = typer.Argument(..., help="Test id (or a unique name / id suffix)."),
    new_state: str = typer.Argument(..., metavar="STATE", help="active, quarantined or fixed."),
    note: str | None = typer.Option(None, "--note"),
    project: str | None = _PROJECT,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Set a test's lifecycle state by hand (analysis moves it on from there)."""
    done = uc.set_state(state(ctx).runtime, uc.SetStateRequest(test, parse_state(new_state), note, project))
    if json_out:
        print_json({"test": done.test, "state": new_state})
    else:
        console().print(f"{done.test}: {new_state}")
