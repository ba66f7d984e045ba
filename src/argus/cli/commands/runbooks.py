"""``argus runbooks index|list|search|show|feedback|actions|approve`` and ``argus incidents
recommend|postmortem``: runbooks indexed with BM25, recommended for incidents with their risk and
expected impact, feedback on them, proposed actions (approval recorded, never executed), postmortems.

Each command parses its options, calls one use case of :mod:`argus.app.runbooks` or
:mod:`argus.app.postmortem` and renders the read model (``--json`` for machines).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli import validate, views
from argus.cli.context import cli_actor, state
from argus.cli.output import console, print_json, table
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.runbooks.readmodels import Recommendations
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json")
_ACTOR = typer.Option(None, "--actor", help="Who (default: the login name).")
_INCIDENT = typer.Argument(..., help="Incident id.", callback=validate.db_id("incident"))


def register(root: typer.Typer, groups: CommandGroups) -> None:
    rb = typer.Typer(help="Runbooks: index Markdown, search (BM25), feedback, proposed actions.",
                     no_args_is_help=True)
    root.add_typer(rb, name="runbooks")
    rb.command("index")(runbooks_index)
    rb.command("list")(runbooks_list)
    rb.command("search")(runbooks_search)
    rb.command("show")(runbooks_show)
    rb.command("feedback")(runbooks_feedback)
    rb.command("actions")(runbooks_actions)
    rb.command("approve")(runbooks_approve)


def register_incident_commands(inc: typer.Typer) -> None:
    """The ``incidents`` sub-commands of this module (called by :mod:`argus.cli.commands.incidents`)."""
    inc.command("recommend")(incidents_recommend)
    inc.command("postmortem")(incidents_postmortem)


def _text(option: str, value: str | None, limit: int = 2000) -> str | None:
    if value is not None and len(value) > limit:
        raise InputError(f"{option}: {len(value)} characters, expected at most {limit}")
    return value


def runbooks_index(
    ctx: typer.Context,
    path: Path | None = typer.Argument(None, help="Folder of Markdown runbooks (default: [runbooks] folder), "
                                        "or a services.yaml whose runbooks links are local files."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Index a folder of Markdown runbooks (idempotent: changed files updated, removed ones marked absent)."""
    from argus.app import runbooks as uc

    out = uc.index(state(ctx).runtime, path, project)
    if json_out:
        print_json(out)
        return
    console().print(f"{out.added} added, {out.updated} updated, {out.unchanged} unchanged, {out.removed} removed, "
                    f"{len(out.skipped)} skipped ({out.folder})")
    for s in out.skipped:
        console().print(f"  skipped {s.path}: {s.reason}")


def runbooks_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    service: str | None = typer.Option(None, "--service", help="Only runbooks for this service (or for any)."),
    json_out: bool = _JSON,
) -> None:
    """Indexed runbooks with their risk and effectiveness (helped / did not help, smoothed success rate)."""
    from argus.app import runbooks as uc

    items = uc.list_runbooks(state(ctx).runtime, project, _text("--service", service, 200))
    if json_out:
        print_json(list(items))
        return
    if not items:
        console().print("no runbooks indexed (argus runbooks index PATH)")
        return
    console().print(table(None, ["id", "title", "services", "risk", "+/-", "success"],
                          [[r.id, r.title[:28], ",".join(r.services)[:14] or "any", r.risk,
                            f"{r.helped}/{r.not_helped}", f"{r.success_rate:.2f}"] for r in items]))


def runbooks_search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Words to look for (alert names, symptoms …)."),
    project: str | None = _PROJECT,
    service: str | None = typer.Option(None, "--service", help="Favour runbooks of this service."),
    limit: int = typer.Option(10, "--limit", callback=validate.count("--limit")),
    json_out: bool = _JSON,
) -> None:
    """Runbooks ranked by BM25 for the query (service and feedback factors applied)."""
    from argus.app import runbooks as uc

    if limit < 1:
        raise InputError(f"--limit {limit}: give a whole number, 1 or more")
    hits = uc.search(state(ctx).runtime, _text("QUERY", query) or "", _text("--service", service, 200), limit, project)
    if json_out:
        print_json(list(hits))
        return
    if not hits:
        console().print("no runbook matches")
        return
    console().print(table(None, ["id", "title", "score", "match", "risk", "terms"],
                          [[h.runbook.id, h.runbook.title[:28], f"{h.score:.2f}", f"{h.match:.2f}", h.runbook.risk,
                            ",".join(h.matched_terms)[:20]] for h in hits]))


def runbooks_show(
    ctx: typer.Context,
    runbook: str = typer.Argument(..., help="Runbook id, key (path in the folder) or file name."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """One runbook: front-matter fields, actions, effectiveness and text."""
    from argus.app import runbooks as uc

    d = uc.show(state(ctx).runtime, _text("RUNBOOK", runbook, 500) or "", project)
    if json_out:
        print_json(d)
        return
    r = d.runbook
    lines = [f"{r.key} · risk {r.risk} · services {', '.join(r.services) or 'any'}",
             f"expected impact: {r.impact or 'not stated'}",
             f"actions: {', '.join(r.actions) or 'none'}",
             f"feedback: helped {r.helped}, did not help {r.not_helped}, success rate {r.success_rate:.2f}"]
    lines += [f"warning: {w}" for w in r.warnings]
    views.card(console(), f"#{r.id} {r.title}", lines)
    console().print(d.body.strip()[:4000], markup=False, highlight=False)


def runbooks_feedback(
    ctx: typer.Context,
    incident: int = _INCIDENT,
    runbook: str = typer.Argument(..., help="Runbook id, key or file name."),
    helped: bool | None = typer.Option(None, "--helped/--did-not-help", help="Did the runbook help?"),
    note: str | None = typer.Option(None, "--note"),
    actor: str | None = _ACTOR,
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Record whether a runbook helped with an incident (feeds its success rate and the ranking)."""
    from argus.app import runbooks as uc

    if helped is None:
        raise InputError("give --helped or --did-not-help")
    out = uc.feedback(state(ctx).runtime, incident, _text("RUNBOOK", runbook, 500) or "", helped, cli_actor(actor),
                      _text("--note", note), project)
    if json_out:
        print_json(out)
        return
    console().print(f"runbook {out.runbook_id} {'helped' if helped else 'did not help'} with incident "
                    f"{out.incident_id}: now {out.helped_total}/{out.not_helped_total}, "
                    f"success rate {out.success_rate:.2f}")


def runbooks_actions(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    incident: int | None = typer.Option(None, "--incident", callback=validate.db_id("--incident")),
    status: str | None = typer.Option(None, "--status", help="proposed, approved or rejected."),
    json_out: bool = _JSON,
) -> None:
    """Proposed actions (rollback, scale, restart …) with their review tier and decision."""
    from argus.analysis.runbooks.schemas import ActionStatus
    from argus.app import runbooks as uc

    if status is not None and status not in {s.value for s in ActionStatus}:
        raise InputError(f"--status {status!r}: use proposed, approved or rejected")
    rows = uc.actions(state(ctx).runtime, incident, status, project=project)
    if json_out:
        print_json(list(rows))
        return
    if not rows:
        console().print("no proposed actions (argus incidents recommend ID --propose)")
        return
    console().print(table(None, ["id", "inc", "kind", "risk", "tier", "status", "by"],
                          [[a.id, a.incident_id, a.kind, a.risk, a.review_tier, a.status, (a.decided_by or "-")[:14]]
                           for a in rows]))


def runbooks_approve(
    ctx: typer.Context,
    action: int = typer.Argument(..., help="Proposed action id.", callback=validate.db_id("action")),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approve."),
    note: str | None = typer.Option(None, "--note"),
    actor: str | None = _ACTOR,
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Approve (or reject) a proposed action: records who and when. Argus does not execute it."""
    from argus.app import runbooks as uc

    out = uc.decide(state(ctx).runtime, action, not reject, cli_actor(actor), _text("--note", note), project)
    if json_out:
        print_json(out)
        return
    console().print(f"action {out.id} ({out.kind}, {out.review_tier}) {out.status} by {out.decided_by} at "
                    f"{out.decided_at:%Y-%m-%d %H:%M} UTC; not executed: run it yourself")


def _render_recommendations(rec: Recommendations) -> None:
    lines = []
    for r in rec.items:
        lines.append(f"{r.rank}. #{r.runbook.id} {r.runbook.title} — score {r.score:.2f}, match {r.match:.2f}, "
                     f"risk {r.risk}, success {r.runbook.success_rate:.2f}" + (" (linked)" if r.linked else ""))
        lines.append(f"   expected impact: {r.expected_impact}")
        lines += [f"   action {a.kind}: {a.description[:60]} [{a.risk}, {a.review_tier}, {a.status}"
                  + (f" #{a.id}" if a.id else "") + "]" for a in r.actions]
    if not rec.items:
        lines.append("no indexed runbook matches (argus runbooks index PATH)")
    lines += [f"linked, not indexed: {x}" for x in rec.unindexed_links]
    lines += [f"precedent: postmortem of incident {p.incident_id} ({p.title[:40]}), similarity {p.similarity:.2f}"
              + (f", cause: {p.cause[:40]}" if p.cause else "") for p in rec.precedents]
    if rec.proposed:
        lines.append(f"{rec.proposed} action(s) proposed: approve with argus runbooks approve ID")
    views.card(console(), f"Runbooks for incident {rec.incident_id}", lines)


def incidents_recommend(
    ctx: typer.Context,
    incident: int = _INCIDENT,
    project: str | None = _PROJECT,
    text: str | None = typer.Option(None, "--text", help="More words for the query (e.g. a hypothesis)."),
    top: int | None = typer.Option(None, "--top", callback=validate.count("--top")),
    propose: bool = typer.Option(False, "--propose", help="Store the recommended actions as proposals."),
    actor: str | None = _ACTOR,
    json_out: bool = _JSON,
) -> None:
    """Runbooks for an incident (BM25 over its service and alerts), with risk, expected impact and actions."""
    from argus.app import runbooks as uc

    if top is not None and top < 1:
        raise InputError(f"--top {top}: give a whole number, 1 or more")
    rec = uc.recommend(state(ctx).runtime, uc.RecommendRequest(incident, project, _text("--text", text), top, propose,
                                                               cli_actor(actor)))
    if json_out:
        print_json(rec)
        return
    _render_recommendations(rec)


def incidents_postmortem(
    ctx: typer.Context,
    incident: int = _INCIDENT,
    project: str | None = _PROJECT,
    out: Path | None = typer.Option(None, "--out", help="Write the Markdown here (else print it)."),
    cause: str | None = typer.Option(None, "--cause", help="The cause as you state it (wins over recorded ones)."),
    follow_up: list[str] = typer.Option([], "--follow-up", help="A follow-up action (repeatable)."),
    actor: str | None = _ACTOR,
    json_out: bool = _JSON,
) -> None:
    """Draft the incident's postmortem (timeline, impact, cause, what was tried, follow-ups) and store it."""
    from argus.app import postmortem as pm

    if out is not None and out.is_dir():
        raise InputError(f"--out {out}: is a folder, expected a file")
    if out is not None and not out.parent.is_dir():
        raise InputError(f"--out {out}: folder {out.parent} does not exist")
    items = tuple(_text("--follow-up", x, 500) or "" for x in follow_up)
    view = pm.write(state(ctx).runtime, pm.PostmortemRequest(incident, cli_actor(actor), project, _text("--cause", cause),
                                                              items))
    if out is not None:
        out.write_text(view.markdown, encoding="utf-8")
    if json_out:
        print_json(view)
        return
    if out is not None:
        console().print(f"postmortem of incident {incident} {'written' if view.created else 'redrafted'}: {out}"
                        f" (cause: {view.cause or 'not recorded'})")
        return
    typer.echo(view.markdown, nl=False)
