"""``argus insights list|show``, ``argus feedback``, ``argus calibration``.

Each command parses its options, calls one use case of :mod:`argus.app.insights` and renders the
read model (terminal cards: :mod:`argus.cli.views`).
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import typer

from argus.app import insights as uc
from argus.cli import validate, views
from argus.cli.context import state
from argus.cli.output import console, fmt_pct, print_json, table
from argus.core.enums import FeedbackVerdict, InsightKind
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_VERDICTS = {
    "accept": FeedbackVerdict.ACCEPTED,
    "reject": FeedbackVerdict.REJECTED,
    "correct": FeedbackVerdict.CORRECTED,
}


def register(root: typer.Typer, groups: CommandGroups) -> None:
    insights = typer.Typer(
        help="Stored insights: what the analyses found, with evidence.", no_args_is_help=True
    )
    root.add_typer(insights, name="insights")
    insights.command("list")(insights_list)
    insights.command("show")(insights_show)
    root.command("feedback")(feedback)
    root.command("calibration")(calibration)


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
    kinds = [k.value for k in InsightKind]
    if kind is not None and kind not in kinds:
        raise InputError(f"--kind {kind!r}: use one of {', '.join(kinds)}")
    if min_confidence is not None and not 0 <= min_confidence <= 1:
        raise InputError(f"--min-confidence {min_confidence:g}: give a probability from 0 to 1 (e.g. 0.8)")
    if limit < 1:
        raise InputError(f"--limit {limit}: give a whole number, 1 or more")
    items = uc.list_insights(state(ctx).runtime, uc.ListInsightsRequest(
        project, kind, min_confidence, include_superseded=all_versions, limit=limit))
    if json_out:
        print_json(list(items))
        return
    if not items:
        filtered = kind is not None or min_confidence is not None
        console().print("no insight matches these filters" if filtered else
                        "no insights yet: run an analysis (e.g. `argus flaky analyze`)", soft_wrap=True)
    views.insight_rows(console(), items)


def insights_show(
    ctx: typer.Context,
    insight_id: int = typer.Argument(..., callback=validate.db_id("insight id"), help="Insight id."),
    project: str | None = typer.Option(None, "--project", "-p"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show one insight with its claims, evidence and feedback."""
    shown = uc.show_insight(state(ctx).runtime, uc.ShowInsightRequest(insight_id, project))
    if json_out:
        print_json(shown.insight)
    else:
        views.insight_detail(console(), shown.insight, shown.refs)


def _verdict(text: str) -> FeedbackVerdict:
    """``accept``/``reject``/``correct`` (or the stored words ``accepted``, …) as a verdict."""
    found = _VERDICTS.get(text.lower())
    if found is not None:
        return found
    try:
        return FeedbackVerdict(text)
    except ValueError:
        raise InputError(f"unknown verdict {text!r}: use accept, reject or correct") from None


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
    done = uc.record_feedback(state(ctx).runtime, uc.FeedbackRequest(
        insight_id, _verdict(verdict), actor or getpass.getuser(), note, project))
    if json_out:
        print_json({"feedback_id": done.feedback_id, "insight_id": done.insight_id, "verdict": str(done.verdict),
                    "by": done.actor})
    else:
        console().print(f"recorded {done.verdict} on insight {done.insight_id} (feedback {done.feedback_id})")


def calibration(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, "--kind", help="Only insights of this kind."),
    bins: int = typer.Option(10, "--bins", min=1, max=100),
    project: str | None = typer.Option(None, "--project", "-p"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Reliability table: of insights scored in each band, how many were accepted."""
    done = uc.calibration(state(ctx).runtime, uc.CalibrationRequest(project, kind, bins))
    report, cal = done.report, done.calibrator
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
