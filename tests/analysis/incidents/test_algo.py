"""Golden tests of the pure incident rules: fingerprints, severity/priority, dedup decision,
correlation, lifecycle, time in state, quiet hours, routing, backoff, the service graph file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from argus.analysis.incidents import algo
from argus.analysis.incidents.graph import parse_services
from argus.analysis.incidents.schemas import IncidentState, OpenIncident, Priority, ServiceInfo, Severity
from argus.core.enums import AlertSource
from argus.core.errors import InputError
from argus.core.settings import IncidentSettings
from argus.ingest.alerts.model import AlertIn, AlertStatus

T = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def alert(**kw: object) -> AlertIn:
    base: dict[str, object] = {"source": AlertSource.ALERTMANAGER, "name": "Down", "status": AlertStatus.FIRING}
    return AlertIn(**(base | kw))  # type: ignore[arg-type]


def test_fingerprint_source_key_labels_and_fallback() -> None:
    labels, default = [], ["alertname", "service", "environment"]
    a = alert(source_key="abc", service="x")
    assert algo.fingerprint(a, labels, default) != algo.fingerprint(alert(source_key="abc", source=AlertSource.GRAFANA),
                                                                     labels, default)
    assert algo.fingerprint(a, labels, default) == algo.fingerprint(alert(source_key="abc", service="y"), labels, default)
    no_key = algo.fingerprint(alert(service="x"), labels, default)
    assert no_key == algo.fingerprint(alert(service="x", source=AlertSource.DATADOG), labels, default)
    across = ["alertname", "service"]
    assert algo.fingerprint(a, across, default) == algo.fingerprint(
        alert(source=AlertSource.GENERIC, source_key="zzz", service="x"), across, default)
    assert len(no_key) == 64


def test_severity_and_priority_rules() -> None:
    cfg = IncidentSettings()
    assert algo.classify("CRITICAL", cfg.severity_words, "warning") is Severity.CRITICAL
    assert algo.classify("P2", cfg.severity_words, "warning") is Severity.HIGH
    assert algo.classify("???", cfg.severity_words, "warning") is Severity.WARNING
    assert algo.classify(None, cfg.severity_words, "info") is Severity.INFO
    prod = cfg.production_environments
    assert algo.priority_of(Severity.CRITICAL, "prod", cfg.priorities, prod) is Priority.P0
    assert algo.priority_of(Severity.CRITICAL, "staging", cfg.priorities, prod) is Priority.P1
    assert algo.priority_of(Severity.INFO, "staging", cfg.priorities, prod) is Priority.P3
    assert algo.priority_of(Severity.WARNING, None, cfg.priorities, prod) is Priority.P2


def ep(firing: bool, starts: datetime, ends: datetime | None, last: datetime) -> algo.Episode:
    return algo.Episode(1, firing, starts, ends, last)


@pytest.mark.parametrize("latest,firing,starts,at,want", [
    (None, True, T, T, False),
    (ep(True, T, None, T), True, T, T + 30 * timedelta(minutes=1), True),  # repeat within the window
    (ep(True, T, None, T), True, T, T + 2 * H, False),  # past the window: a new episode
    (ep(False, T, T + H, T + H), True, T, T + 2 * H, True),  # late firing twin of a resolved alert
    (ep(False, T, T + H, T + H), True, T + 3 * H, T + 3 * H, False),  # fires again after it ended
    (ep(False, T, T + H, T + H), False, T, T + H, True),  # the same resolution again
    (ep(True, T, None, T), False, T, T + H, False),  # a resolution is not a repeat of a firing alert
])
def test_dedup_decision(latest: algo.Episode | None, firing: bool, starts: datetime, at: datetime, want: bool) -> None:
    assert algo.is_repeat_of(latest, firing, starts, at, H) is want


GRAPH = {s.name: s for s in parse_services("web: {depends_on: [api]}\napi: {depends_on: [db]}\ndb: {}\nsolo: {}\n")}


def inc(i: int, services: set[str], last: datetime, names: frozenset[str] = frozenset()) -> OpenIncident:
    return OpenIncident(i, frozenset(services), names, last)


def test_correlation_rules_and_reasons() -> None:
    w = timedelta(minutes=30)
    open_ = [inc(1, {"db"}, T), inc(2, {"solo"}, T)]
    g = algo.correlate("api", "Slow", T + timedelta(minutes=5), open_, GRAPH, w)
    assert (g.incident_id, g.rule) == (1, "dependency") and "api depends on db" in g.detail
    assert algo.correlate("db", "X", T, open_, GRAPH, w).rule == "same_service"
    assert algo.correlate("web", "X", T, open_, GRAPH, w).incident_id is None  # two hops: not linked directly
    assert algo.correlate("api", "X", T + timedelta(minutes=40), open_, GRAPH, w).incident_id is None
    late = algo.correlate("api", "X", T + timedelta(minutes=20), open_, GRAPH, w, dependency_window=timedelta(minutes=10))
    assert late.incident_id is None
    named = [inc(3, set(), T, frozenset({"Disk"}))]
    assert algo.correlate(None, "Disk", T, named, GRAPH, w).rule == "same_name"
    assert algo.correlate(None, "Disk", T, named, GRAPH, w, by_name=False).incident_id is None


def test_lifecycle_table() -> None:
    S = IncidentState
    algo.check_transition(S.DETECTED, S.ACKNOWLEDGED)
    algo.check_transition(S.RESOLVED, S.INVESTIGATING)  # reopened
    algo.check_transition(S.INVESTIGATING, S.INCONCLUSIVE)
    for a, b in [(S.DETECTED, S.LEARNED), (S.DETECTED, S.MITIGATED), (S.INCONCLUSIVE, S.RESOLVED),
                 (S.LEARNED, S.DETECTED), (S.ACKNOWLEDGED, S.DETECTED)]:
        with pytest.raises(InputError):
            algo.check_transition(a, b)


def test_time_in_states() -> None:
    S = IncidentState
    steps = [(S.DETECTED, T), (S.ACKNOWLEDGED, T + timedelta(minutes=5)), (S.RESOLVED, T + H),
             (S.LEARNED, T + 2 * H)]
    got = algo.time_in_states(steps, T + 10 * H)
    assert got == {S.DETECTED: 300.0, S.ACKNOWLEDGED: 3300.0, S.RESOLVED: 3600.0, S.LEARNED: 0.0}
    assert algo.time_in_states([(S.DETECTED, T)], T + H) == {S.DETECTED: 3600.0}


def test_quiet_hours_wrap_midnight() -> None:
    assert algo.quiet_until(datetime(2026, 1, 1, 23, 0, tzinfo=UTC), "22:00-07:00") == datetime(2026, 1, 2, 7, 0, tzinfo=UTC)
    assert algo.quiet_until(datetime(2026, 1, 1, 3, 0, tzinfo=UTC), "22:00-07:00") == datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
    assert algo.quiet_until(datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "22:00-07:00") is None
    assert algo.quiet_until(datetime(2026, 1, 1, 12, 30, tzinfo=UTC), "12:00-13:00") == datetime(2026, 1, 1, 13, 0, tzinfo=UTC)
    assert algo.quiet_until(T, None) is None
    with pytest.raises(ValueError):
        IncidentSettings(quiet_hours="25:00-07:00")


def test_routing() -> None:
    def route(name: str, **kw: object) -> algo.Route:
        base: dict[str, object] = dict(projects=frozenset(), priorities=frozenset(), services=frozenset(),
                                       owners=frozenset(), kinds=frozenset({"opened", "escalated", "resolved"}),
                                       escalation_only=False)
        return algo.Route(name, **(base | kw))  # type: ignore[arg-type]

    routes = [route("all"), route("pages", priorities=frozenset({"P0"})), route("db", services=frozenset({"db"})),
              route("team", owners=frozenset({"t1"})), route("esc", escalation_only=True),
              route("other", projects=frozenset({"x"}))]
    assert algo.routes_for(routes, "opened", "shop", "P0", ["db"], ["t1"]) == ["all", "pages", "db", "team"]
    assert algo.routes_for(routes, "opened", "shop", "P2", ["api"], []) == ["all"]
    assert "esc" in algo.routes_for(routes, "escalated", "shop", "P2", ["api"], [])


def test_backoff_doubles_and_caps() -> None:
    assert [algo.backoff(n, 30).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert algo.backoff(30, 30).total_seconds() == 3600


def test_services_file_forms_and_errors() -> None:
    listed = parse_services("services:\n  - name: a\n    depends_on: b\n    owners: [t]\n")
    assert listed == (ServiceInfo("a", ("b",), ("t",), ()),)
    for bad, why in [("[1, 2", "not YAML"), ("42", "expected a mapping"), ("a: {depends_on: {x: 1}}", "depends_on")]:
        with pytest.raises(InputError, match=why):
            parse_services(bad)


def test_learned_links_from_co_occurrence() -> None:
    history = {1: ["web", "db"], 2: ["web", "db", "cache"], 3: ["db", "web"], 4: ["cache"]}
    links = algo.learned_links(history, 3)
    assert links == {"web": {"db": 3}, "db": {"web": 3}}
    w = timedelta(minutes=30)
    g = algo.correlate("db", "X", T, [inc(5, {"web"}, T)], {}, w, learned=links)
    assert g.rule == "learned" and "3 earlier incidents" in g.detail
    assert algo.correlate("db", "X", T, [inc(5, {"web"}, T)], {}, w).incident_id is None
    assert algo.learned_links(history, 2) == {"web": {"db": 3}, "db": {"web": 3}}
    assert algo.learned_links(history, 1)["cache"] == {"db": 1, "web": 1}
