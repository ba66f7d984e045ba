"""``argus flaky analyze|list|show|quarantine|set-state``: flaky vs broken tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.analysis.flaky.export import ExportFormat, export, write_export
from argus.analysis.flaky.insights import data_of
from argus.analysis.flaky.schemas import LifecycleState
from argus.analysis.flaky.service import analyze
from argus.analysis.flaky.views import list_tests, quarantine_list, set_state, show_test
from argus.analysis.insights.refs import describe_refs
from argus.cli import validate, views
from argus.cli.context import state
from argus.cli.output import console, print_json, styled
from argus.core.clock import utcnow
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")


def register(root: typer.Typer, groups: CommandGroups) -> None:
    app = typer.Typer(help="Flaky vs broken tests: evidence, probability, category, quarantine.", no_args_is_help=True)
    root.add_typer(app, name="flaky")

    @app.command("analyze")
    def flaky_analyze(
        ctx: typer.Context,
        project: str | None = _PROJECT,
        dry_run: bool = typer.Option(False, "--dry-run", help="Analyse without storing insights or states."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Judge every test that failed: store flaky/broken insights and lifecycle states."""
        st = state(ctx)
        with st.project_session(project) as (s, proj):
            res = analyze(s, st.settings.flaky, persist=not dry_run)
            rows = sorted(
                (a for a in res.assessments if a.verdict.value != "stable"),
                key=lambda a: (a.verdict.value, -a.probability),
            )
            data = {
                "project": proj.slug,
                "runs": res.runs,
                "tests_examined": res.candidates,
                "outage_runs": res.outage_runs,
                "flaky": len(res.flaky),
                "broken": len(res.broken),
                "insights_stored": len(res.insight_ids),
                "wasted_s": round(sum(a.wasted_s for a in res.flaky), 3),
                "state_changes": [c.__dict__ for c in res.changes],
                "tests": [{"test": a.identity, **data_of(a, None)} for a in rows],
            }
        if json_out:
            print_json(data)
            return
        c = console()
        c.print(styled(
            f"{res.runs} runs, {res.candidates} tests with failures examined, {res.outage_runs} outage runs excluded: ",
            (f"{len(res.flaky)} flaky", "bold"), ", ", (f"{len(res.broken)} broken", "bold"),
            "" if not dry_run else " (dry run: nothing stored)",
        ))
        if not rows:
            c.print("no flaky or broken test found", soft_wrap=True)
        for a in rows[:50]:
            p, low, high = (a.broken.probability, None, None) if a.broken is not None else (a.probability, a.low, a.high)
            views.flaky_row(c, a.identity, a.verdict.value, p, low, high, a.category.category.value, a.action.value,
                            a.wasted_s)
        if len(rows) > 50:
            c.print(f"…and {len(rows) - 50} more (`argus flaky list --limit {len(rows)}`)", soft_wrap=True)
        for ch in res.changes:
            views.card(c, ch.identity, [f"{ch.before or 'untracked'} → {ch.after} ({ch.reason})"])

    @app.command("list")
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
        kinds = {None: None, "flaky": "flaky_test", "broken": "broken_test"}
        if kind not in kinds:
            raise InputError(f"--kind {kind!r}: use flaky or broken")
        if lifecycle is not None and lifecycle not in set(LifecycleState):
            raise InputError(f"--state {lifecycle!r}: use {', '.join(LifecycleState)}")
        if not 0 <= min_probability <= 1:
            raise InputError(f"--min-probability {min_probability:g}: give a probability from 0 to 1 (e.g. 0.8)")
        if limit < 1:
            raise InputError(f"--limit {limit}: give a whole number, 1 or more")
        with state(ctx).project_session(project) as (s, _):
            items = list_tests(s, kind=kinds[kind], state=lifecycle, min_probability=min_probability, limit=limit)
        if json_out:
            print_json(items)
            return
        if not items:
            filtered = kind is not None or lifecycle is not None or min_probability > 0
            console().print("no flaky or broken test matches these filters" if filtered else
                            "no flaky or broken test yet (run `argus flaky analyze` after ingesting reports)",
                            soft_wrap=True)
        views.flaky_list(console(), items)

    @app.command("show")
    def flaky_show(
        ctx: typer.Context,
        test: str = typer.Argument(..., help="Test id (or a unique name / id suffix)."),
        project: str | None = _PROJECT,
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """One test: verdict, probability, evidence, category, lifecycle."""
        st = state(ctx)
        with st.project_session(project) as (s, _):
            d = show_test(s, test)
            refs = describe_refs(s, ((e.ref_type, e.ref_id) for v in d.insights for e in v.evidence), st.settings.run_url)
        if json_out:
            print_json(d)
            return
        views.flaky_detail(console(), d, refs)

    @app.command("quarantine")
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
        st = state(ctx)
        with st.project_session(project) as (s, proj):
            tests = quarantine_list(s)
            slug = proj.slug
        fmt = ExportFormat.JSON if json_out else fmt
        done = export(tests, fmt, project=slug, now=utcnow())
        err = console(stderr=True)
        if output is None:
            print(done.text, end="")
        else:
            write_export(output, done.text, merge=fmt is ExportFormat.CONFTEST and not force, force=force)
            err.print(f"wrote {len(tests) - len(done.left_out)} quarantined test(s) to {output}",
                      markup=False, highlight=False, soft_wrap=True)
        if done.left_out:
            err.print(f"left out {len(done.left_out)} test(s) the {fmt.value} form cannot express:",
                      markup=False, highlight=False)
            for item in done.left_out:
                err.print(f"  {item.identity}: {item.reason}", markup=False, highlight=False, soft_wrap=True)

    @app.command("set-state")
    def flaky_set_state(
        ctx: typer.Context,
        test: str = typer.Argument(..., help="Test id (or a unique name / id suffix)."),
        new_state: str = typer.Argument(..., metavar="STATE", help="active, quarantined or fixed."),
        note: str | None = typer.Option(None, "--note"),
        project: str | None = _PROJECT,
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Set a test's lifecycle state by hand (analysis moves it on from there)."""
        with state(ctx).project_session(project) as (s, _):
            identity = set_state(s, test, new_state, note)
        if json_out:
            print_json({"test": identity, "state": new_state})
        else:
            console().print(f"{identity}: {new_state}")
