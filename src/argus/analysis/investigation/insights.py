"""Every hypothesis is an Insight (kind ``incident_hypothesis``, subject ``<incident id>:<key>``): one
claim (the hypothesis, with the snapshot items behind it as evidence rows and what speaks against it),
the five-factor score as raw confidence with its range, the breakdown in ``data``."""

from __future__ import annotations

from argus.analysis.investigation.schemas import FACTORS, HypothesisKind, Scored
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.analysis.investigation"
VERSION = "1"

#: the insight's action (at most 40 characters: the column)
_ACTIONS = {
    HypothesisKind.DEPLOY: "check the deployment; roll back",
    HypothesisKind.CONFIG: "check the config change; revert",
    HypothesisKind.UPSTREAM: "investigate the upstream dependency",
    HypothesisKind.CAPACITY: "check capacity; scale",
    HypothesisKind.PRECEDENT: "compare with the similar incident",
    HypothesisKind.CI_SIGNAL: "check the deployed commit's failures",
    HypothesisKind.LLM: "check the draft against the evidence",
}


def hypothesis_insight(incident_id: int, snapshot_id: int, x: Scored, params: dict[str, object]) -> Insight:
    h = x.hypothesis
    evidence = tuple(Evidence(EvidenceType(e.ref_type), e.ref_id, Support(e.strength), e.detail[:300], e.at)
                     for e in h.evidence[:20])
    evidence += (Evidence(EvidenceType.INCIDENT_SNAPSHOT, str(snapshot_id), Support.WEAK,
                          f"context snapshot {snapshot_id} of incident {incident_id}"),)
    claim = Claim(h.title[:300], round(min(max(x.base, 0.0), 1.0), 6), evidence, h.contradictions)
    breakdown = ", ".join(f"{f} {x.factors[f]:.2f}×{x.weights[f]:.2f}" for f in FACTORS)
    uncertainty = tuple(f"{f}: no information (level {x.factors[f]:.2f})" for f in x.defaults)
    if h.kind is HypothesisKind.LLM:
        uncertainty += (f"drafted by {h.drafted_by or 'a language model'}; scored by the same rules",)
    return Insight(
        kind=InsightKind.INCIDENT_HYPOTHESIS,
        subject=Subject(SubjectType.HYPOTHESIS, f"{incident_id}:{h.key}"[:300], h.title[:200]),
        title=f"Incident {incident_id}: {h.title}"[:300],
        summary=f"{h.title}. Score {x.base:.2f} [{x.low:.2f}, {x.high:.2f}] = {breakdown}."[:2000],
        claims=(claim,),
        confidence=Confidence(round(min(max(x.base, 0.0), 1.0), 6), round(x.low, 6), round(x.high, 6)),
        provenance=Provenance(ANALYZER, VERSION, params, h.drafted_by),
        action=_ACTIONS.get(h.kind),
        uncertainty=uncertainty,
        data={"incident_id": incident_id, "snapshot_id": snapshot_id, "key": h.key, "kind": h.kind.value,
              "cause": h.cause, "service": h.service, "factors": x.factors, "weights": x.weights,
              "base": x.base, "low": x.low, "high": x.high, "defaults": list(x.defaults),
              "precedents": list(h.precedent_refs)},
    )
