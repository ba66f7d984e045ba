"""Every incident is an Insight (kind ``incident``): "these alerts are one incident", with each alert
as evidence carrying the reason it was grouped (the correlation rule and its detail), and a confidence
for the grouping as a whole: the weakest reason of any alert in it (same service > service-graph link
> learned co-occurrence > same name; a person's merge or split is taken as given).

Saved (a new version superseding the previous one) whenever an incident opens or its grouping changes
(an alert joins, a merge, a split), so the review queue and the event stream see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents.schemas import IncidentState
from argus.core.clock import as_utc
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.models import Alert, Incident

ANALYZER = "argus.analysis.incidents"
VERSION = "1"
_MAX_EVIDENCE = 20


@dataclass(frozen=True)
class Reason:
    """How much a grouping rule is trusted, and how strong its evidence is."""

    confidence: float
    support: Support
    words: str


#: The grouping rules of :func:`argus.analysis.incidents.algo.correlate` (and a person's merge/split).
REASONS: dict[str, Reason] = {
    "new": Reason(0.99, Support.STRONG, "opened the incident"),
    "merge": Reason(0.97, Support.STRONG, "merged in by a person"),
    "split": Reason(0.97, Support.STRONG, "split out by a person"),
    "same_service": Reason(0.95, Support.STRONG, "same service"),
    "dependency": Reason(0.85, Support.MODERATE, "linked in the service graph"),
    "learned": Reason(0.7, Support.WEAK, "learned link (alerted together before)"),
    "same_name": Reason(0.6, Support.WEAK, "same alert name (no service)"),
}
_UNKNOWN = Reason(0.5, Support.WEAK, "unknown rule")


def reason_of(rule: str) -> Reason:
    return REASONS.get(rule, _UNKNOWN)


def incident_insight(inc: Incident, alerts: Sequence[Alert]) -> Insight:
    """The insight of one incident from its alerts (each with its stored ``correlation``)."""
    by_rule: dict[str, list[Alert]] = {}
    for a in sorted(alerts, key=lambda r: (as_utc(r.starts_at), r.id)):
        by_rule.setdefault(str((a.correlation or {}).get("rule", "unknown")), []).append(a)
    order = sorted(by_rule, key=lambda r: -reason_of(r).confidence)
    claims = []
    for rule in order:
        why, rows = reason_of(rule), by_rule[rule]
        evidence = tuple(
            Evidence(EvidenceType.ALERT, str(a.id), why.support,
                     f"{a.name}" + (f" on {a.service}" if a.service else "") + f": {rule}: "
                     + str((a.correlation or {}).get("detail", ""))[:300], as_utc(a.starts_at))
            for a in rows[:_MAX_EVIDENCE])
        more = f" ({len(rows) - _MAX_EVIDENCE} more not listed)" if len(rows) > _MAX_EVIDENCE else ""
        claims.append(Claim(f"{len(rows)} alert(s) grouped by {why.words} ({rule}){more}", why.confidence, evidence))
    weakest = min((reason_of(r) for r in by_rule), key=lambda r: r.confidence, default=_UNKNOWN)
    services = ", ".join(inc.services) or "-"
    summary = (f"Incident {inc.id} ({inc.state}, {inc.priority}, severity {inc.severity}): {inc.alert_count} "
               f"alert(s) on {services}; weakest grouping reason: {weakest.words}.")
    uncertainty = tuple(f"grouped by {reason_of(r).words}: correlation, not a proven common cause"
                        for r in order if reason_of(r).support is not Support.STRONG)
    return Insight(
        kind=InsightKind.INCIDENT,
        subject=Subject(SubjectType.INCIDENT, str(inc.id), inc.title),
        title=f"Incident {inc.id}: {inc.title}"[:300],
        summary=summary,
        claims=tuple(claims),
        confidence=Confidence(weakest.confidence),
        provenance=Provenance(ANALYZER, VERSION, {"rules": {r: REASONS[r].confidence for r in REASONS}}),
        action="acknowledge" if inc.state == IncidentState.DETECTED.value else None,
        uncertainty=uncertainty,
        data={"incident_id": inc.id, "state": inc.state, "priority": inc.priority, "severity": inc.severity,
              "services": list(inc.services), "alerts": inc.alert_count,
              "rules": {r: len(v) for r, v in by_rule.items()}},
    )


def save_incident_insights(session: Session, incidents: Iterable[Incident]) -> list[int]:
    """Store (a new version of) the insight of each incident; their ids."""
    from argus.analysis.insights.service import save_insights

    incs = [i for i in dict.fromkeys(incidents) if i.merged_into_id is None]
    if not incs:
        return []
    session.flush()
    alerts: dict[int, list[Alert]] = {}
    ids = [i.id for i in incs]
    for i in range(0, len(ids), 500):
        for a in session.scalars(select(Alert).where(Alert.incident_id.in_(ids[i:i + 500]))):
            if a.incident_id is not None:
                alerts.setdefault(a.incident_id, []).append(a)
    return save_insights(session, [incident_insight(inc, alerts.get(inc.id, [])) for inc in incs])
