"""``argus incidents investigate ID [--accept HYP] [--show]`` and ``argus incidents cause ID HYP``:
ranked root-cause hypotheses with their five-factor breakdown, and the recorded cause.

Registered under ``argus incidents`` by :func:`argus.cli.commands.incidents.register`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from argus.app import investigation as uc
from argus.cli import validate, views
from argus.cli.context import cli_actor, state
from argus.cli.output import console, print_json
from argus.core.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from argus.analysis.investigation.readmodels import InvestigationView

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json")
_ACTOR = typer.Option(None, "--actor", help="Who (default: the login name).")


def _hyp(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 300:
        raise InputError("--accept / HYPOTHESIS: give a hypothesis key (from investigate), <kind>:<service> or none")
    return value


def render(v: InvestigationView) -> list[str]:
    lines = [f"verdict: {v.verdict} · run {v.id} by {v.actor} at {v.created_at:%Y-%m-%d %H:%M} UTC · snapshot "
             f"{v.snapshot_id} ({', '.join(f'{k} {n}' for k, n in v.snapshot.items())})"]
    if v.auto_ack:
        lines.append(f"auto-acknowledged by {v.auto_ack}")
    for i, h in enumerate(v.hypotheses[:10], 1):
        mark = "*" if h.shown else " "
        lines.append(f"{mark}{i}. {h.confidence:.2f} [{h.low:.2f}-{h.high:.2f}] {h.title}"[:74])
        lines.append(f"     key {h.key} · {h.kind} · tier {h.review_tier} · insight {h.insight_id}"[:74])
        lines.append("     " + " ".join(f"{f[:4]} {h.factors[f]:.2f}" for f in h.factors)
                     + f" → {h.base:.2f}")
        lines += [f"     - {e.ref_type} {e.ref_id}: {e.detail}"[:74] for e in h.evidence[:4]]
        lines += [f"     ! {c}"[:74] for c in h.contradictions]
        for rb in h.runbooks:
            lines.append(f"     runbook {rb.runbook} · risk {rb.risk} · match {rb.match:.2f}"[:74])
            lines.append(f"       impact: {rb.expected_impact}"[:74])
            lines += [f"       propose {a.kind} {a.target or '-'} · risk {a.risk} · {a.review_tier}"[:74]
                      for a in rb.actions]
    if not v.hypotheses:
        lines.append("no hypothesis")
    lines += [f"conflict: {c}" for c in v.conflicts]
    if v.request:
        lines.append(f"asks: {v.request}")
    lines += [f"note: {n}" for n in v.notes]
    lines.append(f"weights: {', '.join(f'{k} {w:.2f}' for k, w in v.weights.items())}")
    return lines


def incidents_investigate(
    ctx: typer.Context,
    incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
    accept: str | None = typer.Option(None, "--accept", help="Record this hypothesis (key, <kind>:<service>, or "
                                      "none) as the cause instead of investigating."),
    show: bool = typer.Option(False, "--show", help="Show the latest investigation; do not run a new one."),
    actor: str | None = _ACTOR,
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Rank the root-cause hypotheses of an incident (new snapshot), with the five-factor breakdown."""
    rt = state(ctx).runtime
    hyp = _hyp(accept)
    if hyp is not None:
        _cause(ctx, incident, hyp, actor, project, json_out)
        return
    v = uc.show(rt, incident, project) if show else uc.investigate(rt, incident, cli_actor(actor), project)
    if v is None:
        raise NotFoundError(f"incident {incident} was never investigated: run without --show")
    if json_out:
        print_json(v)
        return
    views.card(console(), f"incident {incident}: hypotheses", render(v))


def _cause(ctx: typer.Context, incident: int, hyp: str, actor: str | None, project: str | None, json_out: bool) -> None:
    done = uc.record_cause(state(ctx).runtime, incident, hyp, cli_actor(actor), project=project)
    if json_out:
        print_json(done)
    else:
        console().print(f"incident {done.incident_id}: cause {done.cause} ({done.hypothesis_key}) recorded by "
                        f"{done.actor}; {done.accepted} accepted, {done.rejected} rejected")


def incidents_cause(
    ctx: typer.Context,
    incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
    hypothesis: str = typer.Argument(..., help="Hypothesis key (from investigate), <kind>:<service>, or none."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the outcome)."),
    actor: str | None = _ACTOR,
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Record which hypothesis was the cause of an incident (feeds precedents, weights and calibration)."""
    hyp = _hyp(hypothesis)
    assert hyp is not None
    done = uc.record_cause(state(ctx).runtime, incident, hyp, cli_actor(actor), note, project)
    if json_out:
        print_json(done)
    else:
        console().print(f"incident {done.incident_id}: cause {done.cause} ({done.hypothesis_key}) recorded by "
                        f"{done.actor}; {done.accepted} accepted, {done.rejected} rejected")
