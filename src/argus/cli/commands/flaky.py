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
from argus.cli import validate
from argus.cli.context import state
from argus.cli.output import console, fmt_pct, print_json, styled, table
from argus.core.clock import utcnow
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


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
        t = table(
            None,
            ["verdict", "test", "P(flaky)", "range", "category", "action", "wasted"],
            [
                [a.verdict.value, a.identity, f"{a.probability:.2f}", f"{a.low:.2f}–{a.high:.2f}",
                 a.category.category.value, a.action.value, _minutes(a.wasted_s)]
                for a in rows[:50]
            ],
        )
        c.print(t)
        for ch in res.changes:
            c.print(f"  {ch.identity}: {ch.before or 'untracked'} → {ch.after} ({ch.reason})")

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
        with state(ctx).project_session(project) as (s, _):
            items = list_tests(s, kind=kinds[kind], state=lifecycle, min_probability=min_probability, limit=limit)
        if json_out:
            print_json(items)
            return
        console().print(
            table(
                "Flaky and broken tests",
                ["test", "kind", "probability", "range", "category", "action", "state", "wasted", "review"],
                [
                    [v.test, v.kind.replace("_test", ""), fmt_pct(v.probability),
                     f"{fmt_pct(v.low, 0)}–{fmt_pct(v.high, 0)}" if v.low is not None else "—",
                     v.category, v.action, v.state or "—", _minutes(v.wasted_s), v.review_tier]
                    for v in items
                ],
            )
        )

    @app.command("show")
    def flaky_show(
        ctx: typer.Context,
        test: str = typer.Argument(..., help="Test id (or a unique name / id suffix)."),
        project: str | None = _PROJECT,
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """One test: verdict, probability, evidence, category, lifecycle."""
        with state(ctx).project_session(project) as (s, _):
            d = show_test(s, test)
        if json_out:
            print_json(d)
            return
        c = console()
        c.print(styled((d.test, "bold"), f"  lifecycle: {d.state or 'untracked'}" + (" (set by hand)" if d.manual else "")))
        if not d.insights:
            c.print("  no flaky or broken finding (run `argus flaky analyze`)")
        for v in d.insights:
            c.print(styled((f"#{v.id} {v.title}", "bold")))
            rng = f" (range {fmt_pct(v.confidence_low, 0)}–{fmt_pct(v.confidence_high, 0)})" if v.confidence_low is not None else ""
            c.print(f"  probability {fmt_pct(v.confidence)}{rng}   review: {v.review_tier}   action: {v.action}")
            c.print(f"  {v.summary}")
            for i, claim in enumerate(v.claims):
                c.print(f"  claim {i + 1} ({claim.get('support')}): {claim.get('text')}")
                for ev in (e for e in v.evidence if e.claim_index == i):
                    c.print(f"    - [{ev.strength}] {ev.ref_type} {ev.ref_id}: {ev.detail}")
            cat = v.data.get("category") or {}
            c.print(f"  category: {cat.get('name')} — " + "; ".join(cat.get("reasons") or []))
            dims = v.data.get("dimensions")
            if dims:
                c.print(
                    f"  seed score {dims['score']:.2f} = 0.3·TV {dims['temporal_variance']:.2f} + 0.3·ALT "
                    f"{dims['alternation_rate']:.2f} + 0.2·(1-ENV {dims['environmental_consistency']:.2f}) + "
                    f"0.2·DUR {dims['duration_variance']:.2f}"
                )
            if v.uncertainty:
                c.print("  uncertainty: " + "; ".join(v.uncertainty))

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
