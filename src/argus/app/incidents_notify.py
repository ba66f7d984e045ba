"""Deliver incident notifications: queue escalations, send what is due (Slack incoming webhooks,
generic HMAC-signed webhooks), log every attempt and retry with backoff.

The HTTP calls happen outside any transaction: one unit of work picks the due messages, the sends
run, a second unit of work records each result. Run it from ``argus incidents notify`` or as the
``incidents.notify`` job (:mod:`argus.jobs.tasks`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from argus.analysis.incidents.readmodels import DeliveryRow, NotifyOutcome
from argus.core.settings import ChannelKind, ChannelSettings

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime


@dataclass(frozen=True)
class Sent:
    id: int
    ok: bool
    status: int | None
    error: str | None


def slack_text(body: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text`` with mrkdwn) for a notification body."""
    inc = body["incident"]
    verb = {"incident.opened": "opened", "incident.escalated": "ESCALATED (not acknowledged)",
            "incident.resolved": "resolved"}.get(body["type"], body["type"])
    return {"text": f"*[{inc['priority']}] Incident {inc['id']} {verb}*: {inc['title']}\n"
                    f"state {inc['state']} · severity {inc['severity']} · services "
                    f"{', '.join(inc['services']) or '-'} · {inc['alerts']} alert(s), {inc['events']} event(s) · "
                    f"project {body['project']}"}


def send(channel: ChannelSettings, row: DeliveryRow, timeout_s: float) -> Sent:
    """POST one message; 2xx is delivered, anything else (or no answer) a failed attempt."""
    import httpx

    from argus.core.enums import AlertSource
    from argus.ingest.alerts.signatures import sign

    if channel.kind is ChannelKind.SLACK:
        data = json.dumps(slack_text(row.body)).encode()
        headers = {"Content-Type": "application/json"}
    else:
        data = json.dumps(row.body, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "X-Argus-Event": row.body["type"],
                   "X-Argus-Delivery": str(row.id)}
        if channel.secret is not None:
            headers.update(sign(AlertSource.GENERIC, channel.secret.get_secret_value(), data))
    try:
        r = httpx.post(channel.url.get_secret_value(), content=data, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return Sent(row.id, False, None, f"{type(exc).__name__}: {str(exc)[:200]}")
    return Sent(row.id, 200 <= r.status_code < 300, r.status_code, None if r.is_success else r.text[:200])


def notify(runtime: Runtime, project: str | None = None, now: datetime | None = None,
           org: str | None = None) -> NotifyOutcome:
    """Queue due escalations, then deliver every due notification once (failures retried later)."""
    from argus.core.clock import utcnow

    at = now or utcnow()

    def pick(scope: ProjectScope) -> tuple[int, list[DeliveryRow]]:
        from argus.analysis.incidents.notify import due, escalate_due
        from argus.analysis.incidents.service import lock_intake

        cfg = scope.settings.incidents
        lock_intake(scope.session)  # one notifier of the project at a time picks (and claims) messages
        n = escalate_due(scope.session, cfg, scope.project.slug, at)
        scope.session.flush()
        return n, due(scope.session, scope.project.slug, at, claim_s=60 + cfg.delivery_timeout_s * 200)

    escalations, rows = runtime.in_project(project, pick, org=org)
    cfg = runtime.settings.incidents
    channels = {c.name: c for c in cfg.channels}
    results = [send(channels[r.channel], r, cfg.delivery_timeout_s) if r.channel in channels
               else Sent(r.id, False, None, f"channel {r.channel!r} is no longer configured") for r in rows]

    def record(scope: ProjectScope) -> list[str]:
        from argus.analysis.incidents.notify import record as log

        return [log(scope.session, scope.settings.incidents, s.id, s.ok, s.status, s.error, now or utcnow())
                for s in results]

    states = runtime.in_project(project, record, org=org)
    deferred = 0
    return NotifyOutcome(escalations, states.count("sent"), states.count("pending"), states.count("failed"), deferred)
