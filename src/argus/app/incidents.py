"""Use cases of alerts and incidents: take in a payload, list, show, move along the lifecycle, merge,
split, metrics, load the service graph. Notifications: :mod:`argus.app.incidents_notify`.

Each runs one project-scoped unit of work and returns a frozen read model
(:mod:`argus.analysis.incidents.readmodels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argus.analysis.incidents.readmodels import (
    AlertView,
    IncidentDetail,
    IncidentView,
    IngestOutcome,
    MetricsRow,
    RegroupDone,
    ServicesLoaded,
    TransitionDone,
)
from argus.analysis.incidents.schemas import IncidentState
from argus.core.enums import AlertSource

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.ingest.alerts.model import Parsed


@dataclass(frozen=True)
class IngestRequest:
    source: AlertSource
    data: bytes
    #: Where the payload came from (a file name, or the route) for the dead-letter row.
    name: str
    project: str | None = None
    #: HTTP headers, lower-case (GitHub's event name and delivery id).
    headers: Mapping[str, str] = field(default_factory=dict)
    org: str | None = None
    create: bool = True
    #: When the payload was received (default now; replays and simulations set it).
    received_at: datetime | None = None
    #: Identity of this delivery (a stream message, an ``Idempotency-Key``): alerts without a delivery
    #: id of their own get ``<delivery_id>#<index>``, so the same delivery taken in again counts once.
    delivery_id: str | None = None


def ingest(runtime: Runtime, req: IngestRequest) -> IngestOutcome:
    """Parse, deduplicate and correlate one payload. An invalid one is kept in the dead-letter table
    (with the reason) and re-raised as :class:`~argus.core.errors.RejectedInputError`."""
    from argus.analysis.incidents.service import ingest_parsed
    from argus.core.errors import RejectedInputError
    from argus.ingest.alerts.parse import parse_payload

    try:
        parsed = parse_payload(req.source, req.data, req.headers)
        if req.delivery_id is not None:
            parsed = with_delivery(parsed, req.delivery_id)
    except RejectedInputError as exc:
        reason = exc.reason

        def dead(scope: ProjectScope) -> None:
            from argus.core.enums import DeadLetterSource
            from argus.core.hashing import sha256_bytes
            from argus.ingest.deadletter import record_dead_letter

            record_dead_letter(scope.session, DeadLetterSource.ALERT, f"{req.source.value}: {req.name}", reason,
                               content_hash=sha256_bytes(req.data), size_bytes=len(req.data), excerpt=req.data)

        runtime.in_project(req.project, dead, create=req.create, org=req.org)
        raise

    delivery = _delivery_rows(runtime, req)

    def work(scope: ProjectScope) -> IngestOutcome:
        from argus.app.investigation import on_detection

        out = ingest_parsed(scope.session, scope.settings.incidents, scope.project.slug, parsed, req.source.value,
                            req.received_at)
        if out.incidents_opened:
            on_detection(scope, out.incident_ids)  # the detection snapshot of each new incident
        if delivery is not None:
            from argus.app.delivery import record_hook

            record_hook(scope, delivery)  # the same event is a delivery deployment / pipeline for DORA
        return out

    return runtime.in_project(req.project, work, create=req.create, org=req.org)


def _delivery_rows(runtime: Runtime, req: IngestRequest) -> Any:
    """A GitHub deployment_status / workflow_run event's delivery rows (None: another source or event,
    or a body the delivery rows cannot be read from — the alert path has already judged the payload)."""
    from argus.core.errors import InputError

    if req.source is not AlertSource.GITHUB:
        return None
    from argus.app.delivery import patterns_of
    from argus.ingest.delivery import hooks

    try:
        found = hooks.parse("github", req.headers.get("x-github-event"), req.data, patterns_of(runtime.settings.delivery))
    except InputError:
        return None
    return found if found.parsed.files else None


def with_delivery(parsed: Parsed, delivery_id: str) -> Parsed:
    """``parsed`` with ``delivery_id#i`` as the delivery id of every alert that has none."""
    from dataclasses import replace

    alerts = tuple(a if a.delivery_id else replace(a, delivery_id=f"{delivery_id}#{i}")
                   for i, a in enumerate(parsed.alerts))
    return replace(parsed, alerts=alerts)


def ingest_files(runtime: Runtime, source: AlertSource, paths: list[Path], project: str | None) -> list[IngestOutcome]:
    """``argus alerts ingest``: every file one payload (JSON, or JSON lines: one payload per line)."""
    from argus.core.errors import InputError

    out = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        data = path.read_bytes()
        lines = [ln for ln in data.splitlines() if ln.strip()] if path.suffix in (".jsonl", ".ndjson") else [data]
        for i, chunk in enumerate(lines):
            name = path.name if len(lines) == 1 else f"{path.name}:{i + 1}"
            out.append(ingest(runtime, IngestRequest(source, chunk, name, project)))
    return out


def signed_org(runtime: Runtime, project: str, source: AlertSource, body: bytes, headers: Mapping[str, str]) -> str | None:
    """The organisation whose configured secret for ``org/project/source`` signed ``body`` (None: no
    secret configured for it, or none verifies)."""
    from argus.ingest.alerts.signatures import verify

    for key, secret in runtime.settings.incidents.secrets.items():
        org, _, rest = key.partition("/")
        if rest == f"{project}/{source.value}" and verify(source, secret.get_secret_value(), body, headers):
            return org
    return None


@dataclass(frozen=True)
class ListRequest:
    project: str | None = None
    state: IncidentState | None = None
    service: str | None = None
    open_only: bool = False
    include_merged: bool = False
    limit: int = 100
    after_id: int | None = None
    org: str | None = None


def list_incidents(runtime: Runtime, req: ListRequest) -> tuple[IncidentView, ...]:
    def work(scope: ProjectScope) -> tuple[IncidentView, ...]:
        from argus.analysis.incidents.queries import list_incidents as rows

        return tuple(rows(scope.session, state=req.state, service=req.service, open_only=req.open_only,
                          include_merged=req.include_merged, limit=req.limit, after_id=req.after_id))

    return runtime.in_project(req.project, work, org=req.org)


def list_alerts(runtime: Runtime, project: str | None, incident_id: int | None = None, status: str | None = None,
                limit: int = 100, org: str | None = None) -> tuple[AlertView, ...]:
    def work(scope: ProjectScope) -> tuple[AlertView, ...]:
        from argus.analysis.incidents.queries import list_alerts as rows

        return tuple(rows(scope.session, incident_id=incident_id, status=status, limit=limit))

    return runtime.in_project(project, work, org=org)


def show_incident(runtime: Runtime, incident_id: int, project: str | None = None, org: str | None = None) -> IncidentDetail:
    def work(scope: ProjectScope) -> IncidentDetail:
        from argus.analysis.incidents.queries import show_incident as detail
        from argus.analysis.incidents.service import get_incident
        from argus.core.clock import utcnow

        return detail(scope.session, get_incident(scope.session, incident_id), scope.settings.incidents, utcnow())

    return runtime.in_project(project, work, org=org)


@dataclass(frozen=True)
class TransitionRequest:
    incident_id: int
    target: IncidentState
    actor: str
    note: str | None = None
    project: str | None = None
    org: str | None = None


def transition(runtime: Runtime, req: TransitionRequest) -> TransitionDone:
    """Move an incident along its lifecycle (legal steps only; logged with actor, time and note)."""
    def work(scope: ProjectScope) -> TransitionDone:
        from argus.analysis.incidents.service import transition as step

        return step(scope.session, scope.settings.incidents, scope.project.slug, req.incident_id, req.target,
                    req.actor, req.note)

    return runtime.in_project(req.project, work, org=req.org)


def merge(runtime: Runtime, target: int, sources: list[int], actor: str, note: str | None = None,
          project: str | None = None, org: str | None = None) -> RegroupDone:
    def work(scope: ProjectScope) -> RegroupDone:
        from argus.analysis.incidents.service import merge as run

        return run(scope.session, target, sources, actor, note)

    return runtime.in_project(project, work, org=org)


def split(runtime: Runtime, incident_id: int, alert_ids: list[int], actor: str, note: str | None = None,
          project: str | None = None, org: str | None = None) -> RegroupDone:
    def work(scope: ProjectScope) -> RegroupDone:
        from argus.analysis.incidents.service import split as run

        return run(scope.session, incident_id, alert_ids, actor, note)

    return runtime.in_project(project, work, org=org)


def metrics(runtime: Runtime, project: str | None = None, since: datetime | None = None,
            org: str | None = None) -> tuple[MetricsRow, ...]:
    def work(scope: ProjectScope) -> tuple[MetricsRow, ...]:
        from argus.analysis.incidents.queries import metrics as rows
        from argus.core.clock import utcnow

        return tuple(rows(scope.session, utcnow(), since))

    return runtime.in_project(project, work, org=org)


def load_services(runtime: Runtime, path: Path, project: str | None = None) -> ServicesLoaded:
    """Replace the project's service graph with ``services.yaml``."""
    from argus.analysis.incidents.graph import parse_services
    from argus.core.errors import InputError

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    services = parse_services(path.read_text(encoding="utf-8", errors="replace"), path.name)

    def work(scope: ProjectScope) -> ServicesLoaded:
        from argus.analysis.incidents.service import store_services

        return store_services(scope.session, services)

    return runtime.in_project(project, work, create=True)
