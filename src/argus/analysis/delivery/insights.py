"""Pure builder: a DORA period report → one :class:`argus.reasoning.Insight` with evidence per metric.

The numbers are computed, not estimated; the confidence expresses how much of the data the rules
could connect (deployments in the period, share of merged PRs linked to a deployment, incidents
linked to a deployment). Evidence points at the rows that decided each value (the median PR, the
deployments with incidents, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from argus.analysis.delivery.readmodels import Coverage, MetricView
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.delivery"
VERSION = "1"


def _words(m: MetricView) -> str:
    parts = [f"{b.report}: {b.bucket or 'n/a'} ({b.rule})" for b in m.benchmarks if not b.rule.startswith("not a")]
    return "; ".join(parts)


def dora_insight(first: str, last: str, metrics: Sequence[MetricView], coverage: Coverage,
                 evidence: dict[str, list[Evidence]], parameters: dict[str, Any], min_deployments: int) -> Insight:
    freq = next(m for m in metrics if m.key == "deployment_frequency")
    deployments = int(freq.inputs.get("deployments") or 0)
    linked_share = coverage.merged_prs_deployed / coverage.merged_prs if coverage.merged_prs else 0.0
    uncertainty = []
    if deployments < min_deployments:
        uncertainty.append(f"few deployments in the period ({deployments} < {min_deployments})")
    if coverage.merged_prs and linked_share < 0.5:
        uncertainty.append(f"only {100 * linked_share:.0f} % of merged PRs are linked to a production deployment "
                           "(missing commit history or deployment commits?)")
    if coverage.incidents == 0:
        uncertainty.append("no incidents collected: change failure rate and recovery time are N/A")
    if coverage.commits_in_graph == 0:
        uncertainty.append("no commit history: a PR is linked only when its merge commit is a deployment's commit")
    conf = 0.97 - 0.12 * len(uncertainty)
    strength = Support.STRONG if not uncertainty else (Support.MODERATE if len(uncertainty) == 1 else Support.WEAK)
    claims = []
    for m in metrics:
        ev = evidence.get(m.key, [])
        value = "n/a" if m.value is None else (f"{100 * m.value:.1f} %" if m.unit.startswith("share")
                                                else f"{m.value:g} {m.unit}")
        claims.append(Claim(f"{m.name}: {value}. {_words(m)}", conf,
                            tuple(Evidence(e.ref_type, e.ref_id, strength, e.detail, e.observed_at) for e in ev)))
    b23 = {m.key: next((b.bucket for b in m.benchmarks if b.report == "2023"), None) for m in metrics}
    title = (f"DORA {first}..{last}: deployment frequency {b23['deployment_frequency'] or 'n/a'}, lead time "
             f"{b23['lead_time'] or 'n/a'}, change failure rate {b23['change_failure_rate'] or 'n/a'}, "
             f"recovery {b23['failed_deployment_recovery_time'] or 'n/a'} (2023 benchmarks)")
    summary = (f"{deployments} production deployment(s); {coverage.merged_prs_deployed} of {coverage.merged_prs} "
               f"merged PR(s) linked to the deployment that shipped them; {coverage.incidents_linked} of "
               f"{coverage.incidents} incident(s) linked to a deployment. Rules: Apache DevLake's DORA plugin.")
    return Insight(
        kind=InsightKind.DORA_REPORT, subject=Subject(SubjectType.DELIVERY_PERIOD, f"{first}..{last}"),
        title=title, summary=summary, claims=tuple(claims), confidence=Confidence(max(0.5, conf)),
        provenance=Provenance(ANALYZER, VERSION, parameters), action="review", uncertainty=tuple(uncertainty),
        data={"first_day": first, "last_day": last,
              "metrics": {m.key: {"value": m.value, "unit": m.unit, "inputs": m.inputs,
                                  "benchmarks": {b.report: {"bucket": b.bucket, "rule": b.rule}
                                                 for b in m.benchmarks}} for m in metrics}},
    )


def evidence_item(kind: EvidenceType, ref: str, detail: str, observed: Any = None) -> Evidence:
    return Evidence(kind, ref, Support.STRONG, detail, observed)
