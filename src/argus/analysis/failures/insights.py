"""Turn cluster views into FAILURE_CLUSTER and NOVEL_FAILURE insights (pure: no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from argus.analysis.failures.algo import cluster_confidence, template_specificity
from argus.analysis.failures.normalise import tokenize
from argus.analysis.failures.readmodels import ClusterView
from argus.analysis.failures.schemas import Example, Trend
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.core.settings import ClusterSettings
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.analysis.failures"
VERSION = "1.0"


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _result_evidence(examples: Sequence[Example], strength: Support) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(EvidenceType.TEST_RESULT, str(rid), strength, _short(f"{ident}: {(msg or '').strip()}", 160), at)
        for rid, _run, ident, msg, at in examples
    )


def _provenance(settings: ClusterSettings) -> Provenance:
    return Provenance(ANALYZER, VERSION, settings.model_dump(mode="json"))


def _data(v: ClusterView) -> dict[str, object]:
    return {
        "cluster_id": v.id,
        "template": v.template,
        "count": v.count,
        "affected_tests": v.affected_tests,
        "trend": v.trend.value,
        "recent": v.recent,
        "previous": v.previous,
        "novel": v.novel,
        "first_seen_at": v.first_seen_at.isoformat(),
        "last_seen_at": v.last_seen_at.isoformat(),
        "first_run_id": v.first_run_id,
        "last_run_id": v.last_run_id,
        "frames": list(v.frames),
        "samples": list(v.samples),
    }


def cluster_insight(v: ClusterView, examples: Sequence[Example], settings: ClusterSettings) -> Insight:
    """FAILURE_CLUSTER: the failures share a template (and code location), with count and trend."""
    tokens = tokenize(v.template)
    conf = cluster_confidence(tokens, v.stack_fingerprint is not None, v.count)
    specific = template_specificity(tokens) >= 0.5
    strength = Support.STRONG if specific and v.stack_fingerprint else Support.MODERATE
    claims = [
        Claim(
            f"{v.count} failure(s) in {v.affected_tests} test(s) match the template '{_short(v.template, 200)}'",
            conf,
            _result_evidence(examples, strength),
        )
    ]
    if v.stack_fingerprint and v.frames:
        claims.append(
            Claim(
                f"They fail at the same place in the project's code: {' <- '.join(v.frames)}",
                0.9,
                _result_evidence(examples[:3], Support.STRONG),
            )
        )
    runs = sorted({(run, at) for _rid, run, _i, _m, at in examples}, key=lambda x: x[1], reverse=True)
    w = settings.trend_window_days
    claims.append(
        Claim(
            f"Trend {v.trend.value}: {v.recent} failure(s) in the last {w} day(s) vs {v.previous} in the {w} before",
            0.95,
            tuple(
                Evidence(
                    EvidenceType.TEST_RUN, str(run), Support.MODERATE, f"run {run} had failures of this cluster", at
                )
                for run, at in runs[:5]
            ),
        )
    )
    uncertainty = ["confidence is a heuristic of template specificity and stack agreement until calibrated"]
    if not v.stack_fingerprint:
        uncertainty.append("no stack trace from the project's own code: grouped by message only")
    if v.count < 3:
        uncertainty.append("few failures in the cluster")
    return Insight(
        kind=InsightKind.FAILURE_CLUSTER,
        subject=Subject(SubjectType.FAILURE_CLUSTER, str(v.id), _short(v.template, 120)),
        title=_short(f"{v.count} failure(s) in {v.affected_tests} test(s): {v.template}", 140),
        summary=(
            f"Cluster {v.id}: '{_short(v.template, 200)}' — {v.count} failure(s), {v.affected_tests} test(s), "
            f"first seen {v.first_seen_at:%Y-%m-%d}, last seen {v.last_seen_at:%Y-%m-%d}, trend {v.trend.value}"
            + (", new in the latest run" if v.novel else "")
        ),
        claims=tuple(claims),
        confidence=Confidence(min(c.confidence for c in claims), raw=min(c.confidence for c in claims)),
        provenance=_provenance(settings),
        action="investigate" if v.novel or v.trend is Trend.UP else "monitor",
        uncertainty=tuple(uncertainty),
        data=_data(v),
    )


def novel_insight(v: ClusterView, examples: Sequence[Example], settings: ClusterSettings) -> Insight:
    """NOVEL_FAILURE: a failure pattern first seen in the latest run."""
    tokens = tokenize(v.template)
    conf = cluster_confidence(tokens, v.stack_fingerprint is not None, v.count)
    run_ev = Evidence(
        EvidenceType.TEST_RUN,
        str(v.first_run_id),
        Support.STRONG,
        "latest run: first failure of this pattern",
        v.first_seen_at,
    )
    claim = Claim(
        f"No failure before run {v.first_run_id} matched '{_short(v.template, 200)}'"
        + (f" at {v.frames[0]}" if v.frames else ""),
        conf,
        (run_ev, *_result_evidence(examples, Support.STRONG)),
    )
    return Insight(
        kind=InsightKind.NOVEL_FAILURE,
        subject=Subject(SubjectType.FAILURE_CLUSTER, str(v.id), _short(v.template, 120)),
        title=_short(f"New failure in run {v.first_run_id}: {v.template}", 140),
        summary=(
            f"{v.count} failure(s) in {v.affected_tests} test(s) in run {v.first_run_id} match no earlier "
            f"failure: '{_short(v.template, 200)}'"
        ),
        claims=(claim,),
        confidence=Confidence(conf, raw=conf),
        provenance=_provenance(settings),
        action="investigate",
        uncertainty=("a new cluster can be a variant of an older one the template miner kept apart",),
        data=_data(v),
    )


def build_insights(
    views: Sequence[ClusterView],
    examples: Mapping[int, Sequence[Example]],
    latest: tuple[int, datetime] | None,
    settings: ClusterSettings,
) -> list[Insight]:
    """One FAILURE_CLUSTER per view, plus a NOVEL_FAILURE for each novel one."""
    out: list[Insight] = []
    for v in views:
        ex = examples.get(v.id, ())
        out.append(cluster_insight(v, ex, settings))
        if v.novel and latest is not None:
            out.append(novel_insight(v, ex, settings))
    return out
