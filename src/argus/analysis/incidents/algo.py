"""Pure rules: fingerprints, severity classes and priorities, correlation, lifecycle, durations,
quiet hours and notification routing. Every threshold is a parameter (defaults in
:class:`argus.core.settings.IncidentSettings`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from argus.analysis.incidents.schemas import (
    TRANSITIONS,
    IncidentState,
    OpenIncident,
    Priority,
    ServiceInfo,
    Severity,
)
from argus.core.errors import InputError
from argus.ingest.alerts.model import AlertIn


def fingerprint(alert: AlertIn, labels: Sequence[str], default_labels: Sequence[str]) -> str:
    """The alert's dedup fingerprint (64 hex).

    With ``labels`` (configured): the hash of those labels' values for every source, so the same
    problem reported by two tools is one alert. Without: the source's own key (namespaced by source),
    else the hash of ``default_labels``. ``alertname``, ``service`` and ``environment`` are
    pseudo-labels read from the alert's own fields.
    """
    def value(name: str) -> str:
        pseudo = {"alertname": alert.name, "service": alert.service, "environment": alert.environment}
        got = pseudo.get(name) if name in pseudo else alert.labels.get(name)
        return got or ""

    if labels:
        key = "labels\0" + "\0".join(f"{n}={value(n)}" for n in labels)
    elif alert.source_key:
        key = f"{alert.source.value}\0{alert.source_key}"
    else:
        key = "labels\0" + "\0".join(f"{n}={value(n)}" for n in default_labels)
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def classify(word: str | None, words: Mapping[str, str], default: str) -> Severity:
    """The severity class of a source's severity word (unknown or none: ``default``)."""
    found = words.get((word or "").strip().lower(), default)
    try:
        return Severity(found)
    except ValueError:
        return Severity(default)


def priority_of(severity: Severity, environment: str | None, priorities: Mapping[str, str],
                production: Iterable[str]) -> Priority:
    """Priority by severity class; one lower outside the production environments."""
    p = Priority(priorities.get(severity.value, "P2"))
    return p if (environment or "").lower() in {e.lower() for e in production} else p.lower()


@dataclass(frozen=True)
class Episode:
    """The latest stored alert of a fingerprint, as the dedup decision sees it."""

    id: int
    firing: bool
    starts_at: datetime
    ends_at: datetime | None
    last_seen_at: datetime


def is_repeat_of(latest: Episode | None, firing: bool, starts_at: datetime, at: datetime, window: timedelta) -> bool:
    """Whether an event belongs to the ``latest`` stored alert of its fingerprint.

    A firing event repeats a firing alert seen within ``window`` before it; a firing event that started
    before a resolved alert ended is that alert's late twin (out of order: it stays resolved). A
    resolved event repeats a resolved alert whose span covers its start.
    """
    if latest is None:
        return False
    if firing:
        if latest.firing:
            return at - latest.last_seen_at <= window and at >= latest.starts_at - window
        return latest.ends_at is not None and latest.starts_at - window <= starts_at <= latest.ends_at
    return not latest.firing and latest.ends_at is not None and latest.starts_at - window <= starts_at <= latest.ends_at


@dataclass(frozen=True)
class Grouping:
    """Which open incident an alert joins (None: a new one) and why (the grouping's evidence)."""

    incident_id: int | None
    rule: str
    detail: str


def neighbours(graph: Mapping[str, ServiceInfo], service: str) -> set[str]:
    """Services directly linked to ``service`` in the graph (it depends on them, or they on it)."""
    out = set(graph[service].depends_on) if service in graph else set()
    out |= {s.name for s in graph.values() if service in s.depends_on}
    return out - {service}


def correlate(service: str | None, name: str, at: datetime, incidents: Sequence[OpenIncident],
              graph: Mapping[str, ServiceInfo], window: timedelta, by_name: bool = True,
              dependency_window: timedelta | None = None,
              learned: Mapping[str, Mapping[str, int]] | None = None) -> Grouping:
    """The open incident an alert of ``service`` firing at ``at`` joins.

    In order: an incident with the same service, then one with a service linked in the graph, then
    (no service) one with an alert of the same name; among equals the most recently alerted, then the
    oldest id. Only incidents whose last new alert is within ``window`` of ``at`` qualify, and for a
    link through the graph within ``dependency_window`` (default ``window``): a cascade spreads in
    minutes, while an unrelated failure of a neighbour later on is a new incident.
    """
    dep_window = window if dependency_window is None else dependency_window
    live = sorted((i for i in incidents if abs(at - i.last_alert_at) <= window),
                  key=lambda i: (-i.last_alert_at.timestamp(), i.id))
    if service:
        for inc in live:
            if service in inc.services:
                return Grouping(inc.id, "same_service", f"service {service} already in incident {inc.id}")
        near = neighbours(graph, service)
        for inc in live:
            if abs(at - inc.last_alert_at) > dep_window:
                continue
            linked = sorted(near & inc.services)
            if linked:
                how = "depends on" if linked[0] in (graph[service].depends_on if service in graph else ()) \
                    else "is a dependency of"
                return Grouping(inc.id, "dependency", f"{service} {how} {linked[0]} (service graph)")
        seen = (learned or {}).get(service, {})
        for inc in live:
            if abs(at - inc.last_alert_at) > dep_window:
                continue
            together = sorted((s for s in inc.services if s in seen), key=lambda s: (-seen[s], s))
            if together:
                return Grouping(inc.id, "learned", f"{service} and {together[0]} alerted together in "
                                                   f"{seen[together[0]]} earlier incidents")
    elif by_name:
        for inc in live:
            if name in inc.names:
                return Grouping(inc.id, "same_name", f"alert {name!r} (no service) already in incident {inc.id}")
    return Grouping(None, "new", f"no open incident of {service or name!r} or its dependencies within "
                                 f"{int(window.total_seconds())} s")


def learned_links(incident_services: Mapping[int, Iterable[str]], min_incidents: int) -> dict[str, dict[str, int]]:
    """Service pairs that alerted together in at least ``min_incidents`` incidents (a dependency the
    graph may not know): ``{a: {b: n}}``, symmetric."""
    pairs: dict[tuple[str, str], int] = {}
    for services in incident_services.values():
        names = sorted(set(services))
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                pairs[(a, b)] = pairs.get((a, b), 0) + 1
    out: dict[str, dict[str, int]] = {}
    for (a, b), n in pairs.items():
        if n >= min_incidents:
            out.setdefault(a, {})[b] = n
            out.setdefault(b, {})[a] = n
    return out


def check_transition(current: IncidentState, target: IncidentState) -> None:
    """InputError unless ``current`` → ``target`` is a legal step of the lifecycle."""
    if target not in TRANSITIONS[current]:
        legal = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        raise InputError(f"incident is {current.value}: cannot go to {target.value} (legal: {legal})")


def time_in_states(steps: Sequence[tuple[IncidentState, datetime]], now: datetime) -> dict[IncidentState, float]:
    """Seconds spent in each state, from the ordered (state entered, at) steps; the last runs to ``now``
    unless final (LEARNED)."""
    out: dict[IncidentState, float] = {}
    for i, (state, at) in enumerate(steps):
        end = steps[i + 1][1] if i + 1 < len(steps) else (at if state is IncidentState.LEARNED else now)
        out[state] = out.get(state, 0.0) + max(0.0, (end - at).total_seconds())
    return out


def parse_quiet(hours: str | None) -> tuple[time, time] | None:
    if not hours:
        return None
    a, b = hours.split("-")
    return time.fromisoformat(a), time.fromisoformat(b)


def quiet_until(at: datetime, hours: str | None) -> datetime | None:
    """When the quiet period ``at`` falls in ends (None: not quiet). ``hours`` is UTC ``HH:MM-HH:MM``
    and may wrap midnight."""
    span = parse_quiet(hours)
    if span is None:
        return None
    start, end = span
    t = at.time().replace(tzinfo=None)
    inside = (start <= t < end) if start <= end else (t >= start or t < end)
    if not inside:
        return None
    day = at.date() if t < end else at.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=at.tzinfo)


@dataclass(frozen=True)
class Route:
    """What a channel filters on (empty: anything)."""

    name: str
    projects: frozenset[str]
    priorities: frozenset[str]
    services: frozenset[str]
    owners: frozenset[str]
    kinds: frozenset[str]
    escalation_only: bool


def routes_for(routes: Sequence[Route], kind: str, project: str, priority: str, services: Iterable[str],
               owners: Iterable[str]) -> list[str]:
    """Names of the channels a message of ``kind`` about an incident goes to."""
    svc, own = set(services), set(owners)
    out = []
    for r in routes:
        if kind not in r.kinds or (r.escalation_only and kind != "escalated"):
            continue
        if (r.projects and project not in r.projects) or (r.priorities and priority not in r.priorities):
            continue
        if (r.services and not r.services & svc) or (r.owners and not r.owners & own):
            continue
        out.append(r.name)
    return out


def backoff(attempt: int, base_s: float) -> timedelta:
    """Wait before try ``attempt + 1`` (doubling, at most 1 h)."""
    return timedelta(seconds=min(3600.0, base_s * (2 ** max(0, attempt - 1))))
