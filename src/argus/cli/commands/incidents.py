"""``argus alerts ingest|list`` and ``argus incidents list|show|ack|resolve|transition|merge|split|
metrics|services|notify``: alerts in, deduplicated and correlated incidents out.

Each command parses its options, calls one use case of :mod:`argus.app.incidents` and renders the
read model (``--json`` for machines).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.app import incidents as uc
from argus.cli import validate, views
from argus.cli.context import cli_actor, state
from argus.cli.output import console, print_json, table
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.incidents.readmodels import IncidentView
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json")
_NOTE = typer.Option(None, "--note", help="Why (kept in the incident's log).")
_ACTOR = typer.Option(None, "--actor", help="Who (default: the login name).")


def register(root: typer.Typer, groups: CommandGroups) -> None:
    alerts = typer.Typer(help="Alerts: take in webhook payloads from files (replay), list them.", no_args_is_help=True)
    root.add_typer(alerts, name="alerts")
    alerts.command("ingest")(alerts_ingest)
    alerts.command("list")(alerts_list)
    inc = typer.Typer(help="Incidents: correlated alerts, lifecycle, merge/split, MTTA/MTTR, notifications.",
                      no_args_is_help=True)
    root.add_typer(inc, name="incidents")
    inc.command("list")(incidents_list)
    inc.command("show")(incidents_show)
    inc.command("ack")(incidents_ack)
    inc.command("resolve")(incidents_resolve)
    inc.command("transition")(incidents_transition)
    inc.command("merge")(incidents_merge)
    inc.command("split")(incidents_split)
    inc.command("metrics")(incidents_metrics)
    inc.command("services")(incidents_services)
    inc.command("notify")(incidents_notify)
    from argus.cli.commands.runbooks import register_incident_commands

    register_incident_commands(inc)
    from argus.cli.investigation import incidents_cause, incidents_investigate

    inc.command("investigate")(incidents_investigate)
    inc.command("cause")(incidents_cause)
    groups.ingest.command("deployments")(ingest_deployments)


def ingest_deployments(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="JSON: {\"deployments\": [...]} or a list (docs/incidents.md)."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Store deployments (service, environment, commit, time): candidate causes of later incidents."""
    import json

    from argus.core.enums import AlertSource

    outs = []
    for f in files:
        if not f.is_file():
            raise InputError(f"{f}: no such file")
        raw = f.read_bytes()
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if isinstance(doc, list):
            raw = json.dumps({"deployments": doc}).encode()
        elif not isinstance(doc, dict) or "deployments" not in doc:
            raise InputError(f"{f}: expected {{\"deployments\": [...]}} or a list of deployments")
        outs.append(uc.ingest(state(ctx).runtime, uc.IngestRequest(AlertSource.GENERIC, raw, f.name, project)))
    if json_out:
        print_json(outs)
        return
    console().print(f"{sum(o.deployments for o in outs)} deployment(s) stored "
                    f"({sum(o.deployments == 0 for o in outs)} file(s) with nothing new)")


def alerts_ingest(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Payload files (JSON; .jsonl: one payload per line)."),
    source: str = typer.Option(..., "--source", "-s",
                               help="alertmanager, grafana, pagerduty, datadog, github or generic."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Take in alert payloads from files (replay): dedup, correlate into incidents; bad ones are dead-lettered (exit 6)."""
    from argus.ingest.alerts.parse import parse_source

    src = parse_source(source)
    for f in files:
        if not f.is_file():
            raise InputError(f"{f}: no such file")
    from argus.core.errors import RejectedInputError

    outs, rejected = [], []
    for f in files:
        try:
            outs += uc.ingest_files(state(ctx).runtime, src, [f], project)
        except RejectedInputError as exc:
            rejected.append(f"{f}: {exc.reason}")
    from argus.jobs.service import notify_after_ingest

    notify_after_ingest(state(ctx).runtime, project, outs)  # SQLite: sent now; PostgreSQL: a worker sends
    if json_out:
        print_json({"outcomes": outs, "rejected": rejected})
    c, err = console(), console(stderr=True)
    for line in rejected:
        err.print(f"rejected (kept in dead letters) {line}", soft_wrap=True)
    if rejected:
        raise typer.Exit(6)
    if json_out:
        return
    for o in outs:
        c.print(f"{o.source}: {o.events} event(s): {o.new_alerts} new alert(s), {o.repeats} repeat(s), "
                f"{o.resolved} resolved, {o.replays} replay(s); incidents {o.incidents_opened} opened, "
                f"{o.incidents_joined} joined, {o.incidents_resolved} resolved; {o.deployments} deployment(s)"
                + (f" ({o.ignored})" if o.ignored else ""), soft_wrap=True)


def alerts_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    incident: int | None = typer.Option(None, "--incident", help="Only the alerts of this incident."),
    status: str | None = typer.Option(None, "--status", help="firing or resolved."),
    limit: int = typer.Option(100, "--limit", callback=validate.count("--limit")),
    json_out: bool = _JSON,
) -> None:
    """Alerts, newest first: fingerprint dedup counts, sources, incident."""
    if status is not None and status not in ("firing", "resolved"):
        raise InputError(f"--status {status!r}: use firing or resolved")
    if limit < 1:
        raise InputError(f"--limit {limit}: give a whole number, 1 or more")
    rows = uc.list_alerts(state(ctx).runtime, project, incident, status, limit)
    if json_out:
        print_json(list(rows))
        return
    if not rows:
        console().print("no alerts yet (argus alerts ingest FILE --source …)")
        return
    console().print(table(None, ["id", "alert", "service", "sev", "status", "n", "inc"],
                          [[a.id, a.name[:28], (a.service or "-")[:16], a.priority, a.status, a.count,
                            a.incident_id or "-"] for a in rows]))


def _state(value: str | None) -> object:
    from argus.analysis.incidents.schemas import parse_state

    return None if value is None else parse_state(value)


def _rows(items: tuple[IncidentView, ...]) -> list[list[object]]:
    return [[i.id, i.priority, i.state, i.title[:30], ",".join(i.services)[:18] or "-", i.alerts,
             f"{i.opened_at:%m-%d %H:%M}"] for i in items]


def incidents_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    lifecycle: str | None = typer.Option(None, "--state", help="detected, acknowledged, … learned."),
    service: str | None = typer.Option(None, "--service"),
    open_only: bool = typer.Option(False, "--open", help="Only incidents still open."),
    limit: int = typer.Option(100, "--limit", callback=validate.count("--limit")),
    json_out: bool = _JSON,
) -> None:
    """Incidents, newest first."""
    from argus.analysis.incidents.schemas import IncidentState

    st = _state(lifecycle)
    if limit < 1:
        raise InputError(f"--limit {limit}: give a whole number, 1 or more")
    items = uc.list_incidents(state(ctx).runtime, uc.ListRequest(
        project, st if isinstance(st, IncidentState) else None, service, open_only, limit=limit))
    if json_out:
        print_json(list(items))
        return
    if not items:
        console().print("no incidents" + (" match these filters" if lifecycle or service or open_only else " yet"))
        return
    console().print(table(None, ["id", "P", "state", "title", "services", "alerts", "opened"], _rows(items)))


def incidents_show(
    ctx: typer.Context,
    incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """One incident: its alerts with the grouping reasons, change candidates, log, notifications."""
    d = uc.show_incident(state(ctx).runtime, incident, project)
    if json_out:
        print_json(d)
        return
    i = d.incident
    lines = [f"{i.priority} {i.severity} · {i.state} · opened {i.opened_at:%Y-%m-%d %H:%M} UTC",
             f"services: {', '.join(i.services) or '-'} · {i.alerts} alert(s), {i.events} event(s)"]
    if d.owners:
        lines.append(f"owners: {', '.join(d.owners)}")
    lines += [f"runbook: {r}" for r in d.runbooks]
    lines.append("alerts:")
    lines += [f"  #{a.id} {a.name} [{a.service or '-'}] {a.status} ×{a.count} "
              f"({', '.join(f'{k} {v}' for k, v in a.sources.items())}): {a.correlation.get('detail', '')}"
              for a in d.alerts]
    if d.changes:
        lines.append("changes before it (candidates):")
        lines += [f"  {c.kind} {c.ref[:12]} {int(c.gap_s // 60)} min before: {c.detail}" for c in d.changes]
    lines.append("log:")
    lines += [f"  {t.at:%m-%d %H:%M} {t.from_state or '-'} → {t.to_state} by {t.actor}"
              + (f": {t.note}" if t.note else "") for t in d.transitions]
    lines += [f"  notify {n.channel} ({n.kind}): {n.status}, {n.attempts} attempt(s)" for n in d.notifications]
    views.card(console(), f"#{i.id} {i.title}", lines)


def _move(ctx: typer.Context, incident: int, target: str, note: str | None, actor: str | None, project: str | None,
          json_out: bool) -> None:
    from argus.analysis.incidents.schemas import parse_state

    done = uc.transition(state(ctx).runtime, uc.TransitionRequest(incident, parse_state(target), cli_actor(actor), note,
                                                                  project))
    if json_out:
        print_json(done)
    else:
        console().print(f"incident {done.incident_id}: {done.from_state} → {done.to_state} by {done.actor}")


def incidents_ack(ctx: typer.Context, incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
                  note: str | None = _NOTE, actor: str | None = _ACTOR, project: str | None = _PROJECT,
                  json_out: bool = _JSON) -> None:
    """Acknowledge an incident (stops its escalation)."""
    _move(ctx, incident, "acknowledged", note, actor, project, json_out)


def incidents_resolve(ctx: typer.Context, incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
                      note: str | None = _NOTE, actor: str | None = _ACTOR, project: str | None = _PROJECT,
                      json_out: bool = _JSON) -> None:
    """Resolve an incident."""
    _move(ctx, incident, "resolved", note, actor, project, json_out)


def incidents_transition(ctx: typer.Context, incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
                         target: str = typer.Argument(..., metavar="STATE",
                                                      help="acknowledged, investigating, mitigated, resolved, "
                                                      "inconclusive or learned."),
                         note: str | None = _NOTE, actor: str | None = _ACTOR, project: str | None = _PROJECT,
                         json_out: bool = _JSON) -> None:
    """Move an incident to another lifecycle state (legal steps only)."""
    _move(ctx, incident, target, note, actor, project, json_out)


def incidents_merge(ctx: typer.Context, target: int = typer.Argument(..., help="Incident that keeps the alerts.", callback=validate.db_id("incident")),
                    sources: list[int] = typer.Argument(..., help="Incidents merged into it."),
                    note: str | None = _NOTE, actor: str | None = _ACTOR, project: str | None = _PROJECT,
                    json_out: bool = _JSON) -> None:
    """Merge incidents into one (their alerts move; the reason is kept on each alert)."""
    done = uc.merge(state(ctx).runtime, target, sources, cli_actor(actor), note, project)
    if json_out:
        print_json(done)
    else:
        console().print(f"merged {', '.join(map(str, done.sources))} into {done.target}: {len(done.moved)} alert(s)")


def incidents_split(ctx: typer.Context, incident: int = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident")),
                    alerts: list[int] = typer.Argument(..., help="Alert ids moved to a new incident."),
                    note: str | None = _NOTE, actor: str | None = _ACTOR, project: str | None = _PROJECT,
                    json_out: bool = _JSON) -> None:
    """Split alerts out of an incident into a new one."""
    done = uc.split(state(ctx).runtime, incident, alerts, cli_actor(actor), note, project)
    if json_out:
        print_json(done)
    else:
        console().print(f"split {len(done.moved)} alert(s) of {incident} into new incident {done.target}")


def incidents_metrics(ctx: typer.Context, project: str | None = _PROJECT,
                      since: str | None = typer.Option(None, "--since", help="Only incidents opened since (ISO date)."),
                      json_out: bool = _JSON) -> None:
    """MTTA, MTTR and time in each state per service and severity."""
    when = None
    if since:
        from datetime import UTC, datetime

        try:
            when = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"--since {since[:40]!r}: expected an ISO date, e.g. 2026-11-01") from None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    rows = uc.metrics(state(ctx).runtime, project, when)
    if json_out:
        print_json(list(rows))
        return
    if not rows:
        console().print("no incidents yet")
        return

    def m(x: float | None) -> str:
        return "-" if x is None else f"{x / 60:.1f}m"

    console().print(table(None, ["service", "severity", "n", "acked", "MTTA", "resolved", "MTTR"],
                          [[r.service[:20], r.severity, r.incidents, r.acknowledged, m(r.mtta_s), r.resolved,
                            m(r.mttr_s)] for r in rows]))


def incidents_services(ctx: typer.Context, file: Path = typer.Argument(..., help="services.yaml"),
                       project: str | None = _PROJECT, json_out: bool = _JSON) -> None:
    """Load the service graph (services.yaml: depends_on, owners, runbooks); replaces the stored one."""
    done = uc.load_services(state(ctx).runtime, file, project)
    if json_out:
        print_json(done)
    else:
        console().print(f"{done.services} service(s), {done.edges} dependency edge(s)")


def incidents_notify(ctx: typer.Context, project: str | None = _PROJECT, json_out: bool = _JSON) -> None:
    """Queue escalations of unacknowledged incidents and deliver due notifications (retried later on failure)."""
    from argus.app.incidents_notify import notify

    done = notify(state(ctx).runtime, project)
    if json_out:
        print_json(done)
    else:
        console().print(f"{done.escalations} escalation(s) queued; {done.sent} sent, {done.retried} to retry, "
                        f"{done.failed} failed")
