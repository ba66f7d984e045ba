"""The review tier of an action a runbook proposes, by the one insight rule.

Each proposed action is judged as an Insight built only to apply
:attr:`argus.reasoning.Insight.review_tier` (it is not stored; the tier is kept on the action): one
claim "runbook R fits incident I" whose evidence is the incident's alerts that share terms with the
runbook — strong when the runbook is for the incident's service and matches at least half of the
query's idf mass, moderate from a quarter, else weak — and the recommendation's confidence. The tier is
then made at least as cautious as the action's risk floor (:data:`RISK_FLOOR`: low → ASYNC_REVIEW,
medium → PRE_APPROVAL, high → HUMAN_REQUIRED), so no system-changing action is ever AUTONOMOUS.
"""

from __future__ import annotations

from collections.abc import Sequence

from argus.analysis.runbooks import algo
from argus.analysis.runbooks.schemas import RISK_FLOOR, Risk
from argus.core.clock import as_utc
from argus.core.enums import EvidenceType, InsightKind, ReviewTier, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.reasoning.policy import more_cautious
from argus.store.models import Alert

ANALYZER = "argus.analysis.runbooks"
VERSION = "1"
_MAX_EVIDENCE = 10


def support_of(match: float, for_service: bool) -> Support:
    if match >= 0.5 and for_service:
        return Support.STRONG
    return Support.MODERATE if match >= 0.25 else Support.WEAK


def action_insight(incident_id: int, runbook_title: str, action: str, confidence: float, match: float,
                   for_service: bool, matched_terms: Sequence[str], alerts: Sequence[Alert]) -> Insight:
    """The (unsaved) insight judging one proposed action."""
    terms = set(matched_terms)
    strength = support_of(match, for_service)
    evidence = tuple(
        Evidence(EvidenceType.ALERT, str(a.id), strength, f"{a.name} on {a.service or '-'} shares terms with the runbook",
                 as_utc(a.starts_at))
        for a in alerts if terms & set(algo.tokenize(f"{a.name} {a.service or ''} {a.summary}")))[:_MAX_EVIDENCE]
    claim = Claim(f"runbook {runbook_title!r} fits incident {incident_id} (match {match:.2f})", confidence, evidence)
    return Insight(InsightKind.INCIDENT_HYPOTHESIS, Subject(SubjectType.INCIDENT, str(incident_id)),
                   f"Proposed: {action}"[:300], f"{action} from runbook {runbook_title!r}", (claim,),
                   Confidence(confidence), Provenance(ANALYZER, VERSION), action="approve_action")


def action_tier(insight: Insight, risk: Risk) -> ReviewTier:
    """The insight's review tier, made at least as cautious as the risk floor."""
    return more_cautious(insight.review_tier, RISK_FLOOR[risk])
