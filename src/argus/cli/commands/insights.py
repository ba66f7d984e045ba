"""``argus insights list|show``, ``argus feedback``, ``argus calibration``."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer

from argus.analysis.insights.service import (
    add_feedback,
    calibration_report,
    get_insight,
    list_insights,
)
from argus.cli import validate
from argus.cli.context import state
from argus.cli.output import console, fmt_pct, print_json, styled, table
from argus.core.enums import FeedbackVerdict

if TYPE_CHECKING:
    from argus.analysis.insights.schemas import InsightView
    from argus.cli.app import CommandGroups

_VERDICTS = {
    "accept": FeedbackVerdict.ACCEPTED,
    "reject": FeedbackVerdict.REJECTED,
    "correct": FeedbackVerdict.CORRECTED,
}


def _render_insight(v: InsightView) -> None:
    c = console()
    interval = ""
    if v.confidence_low is not None and v.confidence_high is not None:
        interval = f" [{fmt_pct(v.confidence_low, 0)}–{fmt_pct(v.confidence_high, 0)}]"
    c.print(styled((f"#{v.id} {v.title}", "bold")))
    c.print(f"  kind: {v.kind}   subject: {v.subject_type} {v.subject_label or v.subject_id}")
    c.print(
        f"  confidence: {fmt_pct(v.confidence)}{interval} (raw {fmt_pct(v.raw_confidence)})   "
        f"grounding: {v.grounding}   review: {v.review_tier}   action: {v.action or '—'}"
    )
    c.print(f"  {v.summary}")
    for i, claim in enumerate(v.claims):
        c.print(styled(
            "  ", (f"claim {i + 1}", "bold"), f" ({claim.get('support')}, {fmt_pct(claim.get('confidence'))}): {claim.get('text')}"
        ))
        for contra in claim.get("contradictions", []):
            c.print(styled("    ", ("against:", "yellow"), f" {contra}"))
        for ev in (e for e in v.evidence if e.claim_index == i):
            c.print(f"    - [{ev.strength}] {ev.ref_type} {ev.ref_id}: {ev.detail}")
    if v.uncertainty:
        c.print("  uncertainty: " + "; ".join(v.uncertainty))
    for fb in v.feedback:
        c.print(f"  feedback: {fb.verdict} by {fb.actor}" + (f" — {fb.note}" if fb.note else ""))
    prov = v.provenance
    c.print(styled(
        "  ", (f"by {prov.get('analyzer')} {prov.get('version')}; calibration: {prov.get('calibration')}", "dim")
    ))


def register(root: typer.Typer, groups: CommandGroups) -> None:
    insights = typer.Typer(
        help="Stored insights: what the analyses found, with evidence.", no_args_is_help=True
    )
    root.add_typer(insights, name="insights")

    @insights.command("list")
    def insights_list(
        ctx: typer.Context,
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        kind: str | None = typer.Option(None, "--kind", help="Only this kind (e.g. flaky_test)."),
        min_confidence: float | None = typer.Option(None, "--min-confidence"),
        all_versions: bool = typer.Option(False, "--all", help="Include superseded insights."),
        limit: int = typer.Option(50, "--limit", callback=validate.count("--limit")),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """List current insights, most confident first."""
        with state(ctx).project_session(project) as (s, _):
            items = list_insights(
                s, kind=kind, include_superseded=all_versions, min_confidence=min_confidence, limit=limit
            )
        if json_out:
            print_json(items)
            return
        rows = [
            [
                i.id,
                i.kind,
                i.subject_label or i.subject_id,
                fmt_pct(i.confidence),
                i.review_tier,
                i.action or "",
                i.title,
            ]
            for i in items
        ]
        console().print(table(None, ["id", "kind", "subject", "conf.", "review", "action", "title"], rows))
        if not items:
            console().print("no insights yet: run an analysis (e.g. `argus flaky analyze`)")

    @insights.command("show")
    def insights_show(
        ctx: typer.Context,
        insight_id: int = typer.Argument(..., callback=validate.db_id("insight id"), help="Insight id."),
        project: str | None = typer.Option(None, "--project", "-p"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Show one insight with its claims, evidence and feedback."""
        with state(ctx).project_session(project) as (s, _):
            view = get_insight(s, insight_id)
        if json_out:
            print_json(view)
        else:
            _render_insight(view)

    @root.command("feedback")
    def feedback(
        ctx: typer.Context,
        insight_id: int = typer.Argument(..., callback=validate.db_id("insight id"), help="Insight id."),
        verdict: str = typer.Argument(..., help="accept | reject | correct"),
        note: str | None = typer.Option(None, "--note", help="Why (kept with the verdict)."),
        actor: str | None = typer.Option(None, "--by", help="Who (default: the OS user)."),
        project: str | None = typer.Option(None, "--project", "-p"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Record a human verdict on an insight (feeds calibration)."""
        value = _VERDICTS.get(verdict.lower(), verdict)
        who = actor or getpass.getuser()
        with state(ctx).project_session(project) as (s, _):
            fid = add_feedback(s, insight_id, value, who, note)
        if json_out:
            print_json({"feedback_id": fid, "insight_id": insight_id, "verdict": str(value), "by": who})
        else:
            console().print(f"recorded {value} on insight {insight_id} (feedback {fid})")

    @root.command("calibration")
    def calibration(
        ctx: typer.Context,
        kind: str | None = typer.Option(None, "--kind", help="Only insights of this kind."),
        bins: int = typer.Option(10, "--bins", min=1, max=100),
        project: str | None = typer.Option(None, "--project", "-p"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Reliability table: of insights scored in each band, how many were accepted."""
        with state(ctx).project_session(project) as (s, _):
            report, cal = calibration_report(s, kind, bins)
        if json_out:
            print_json({"reliability": report, "calibrator": {"method": cal.method, "note": cal.note}})
            return
        rows = [
            [
                f"{b.lower:.1f}–{b.upper:.1f}",
                b.count,
                fmt_pct(b.mean_confidence),
                fmt_pct(b.accuracy),
                "" if b.gap is None else f"{100 * b.gap:+.1f} pt",
            ]
            for b in report.bins
        ]
        console().print(table("Reliability", ["band", "n", "mean conf.", "accepted", "gap"], rows))
        brier = "—" if report.brier is None else f"{report.brier:.3f}"
        console().print(f"n={report.n}  ECE={report.ece:.3f}  MCE={report.mce:.3f}  Brier={brier}")
        console().print(f"calibrator in use: {cal.note or cal.method}")
