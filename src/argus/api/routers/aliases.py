"""The seed's read paths, kept as aliases where they map onto Argus's analyses (seed S0-54, S0-56):
``GET /api/v1/ai/flaky/analysis`` and ``GET /api/v1/ai/patterns/clusters``, in the seed's shapes.

Fields the seed computes with services Argus does not have (LLM root-cause analysis, suggested and
automatic fixes) are null or false; each alias returns at most one page (the top 200) of its list.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from argus.api.deps import Caller, require
from argus.api.problems import ApiProblem
from argus.api.routers._read import in_project
from argus.app.paging import MAX_LIMIT, Page
from argus.core.enums import Role

router = APIRouter(tags=["seed aliases"])
ProjectId = Annotated[str, Query(min_length=1, max_length=100, description="The project (its slug).")]
_SPAN = re.compile(r"^(\d{1,5})([hdw])$")


class FlakyAnalysis(BaseModel):
    tests: list[dict[str, Any]]
    stats: dict[str, int]


class ClusterAnalysis(BaseModel):
    clusters: list[dict[str, Any]]
    total_failures: int
    analysis_time: float


def _seed_action(score: float, fix_confidence: float | None) -> str:
    """The seed's action thresholds (S0-56)."""
    if score > 0.7 and fix_confidence is not None and fix_confidence > 0.9:
        return "auto_fix"
    if score > 0.7:
        return "quarantine"
    return "investigate" if score > 0.5 else "monitor"


@router.get("/api/v1/ai/flaky/analysis", response_model=FlakyAnalysis)
def flaky_analysis(request: Request, project_id: ProjectId, who: Annotated[Caller, require(Role.VIEWER)],
                   min_runs: Annotated[int, Query(ge=0, le=1_000_000)] = 5,
                   include_root_cause: bool = True) -> FlakyAnalysis:
    """Current flaky tests with at least ``min_runs`` runs in their window, highest score first."""
    from argus.app.pages import InsightsRequest, list_insights

    rt = in_project(request, project_id, who)
    page = list_insights(rt, InsightsRequest(project_id, MAX_LIMIT, kind="flaky_test"))
    tests: list[dict[str, Any]] = []
    for v in page.items:
        data = v.data or {}
        if data.get("verdict") == "stable":
            continue
        window = data.get("window") or {}
        runs, failures = int(window.get("runs") or 0), int(window.get("failures") or 0)
        if runs < min_runs:
            continue
        dims = data.get("dimensions") or {}
        category = (data.get("category") or {})
        row: dict[str, Any] = {
            "id": v.id, "name": v.subject_id, "flakiness_score": v.confidence,
            "pass_rate": None if runs == 0 else round((runs - failures) / runs, 4),
            "failure_count": failures, "total_runs": runs,
            "dimensions": {"temporal_consistency": dims.get("temporal_variance"),
                           "environmental_consistency": dims.get("environmental_consistency"),
                           "result_alternation": dims.get("alternation_rate"),
                           "duration_variance": dims.get("duration_variance")},
            "suggested_fix": None, "auto_fixable": False, "fix_confidence": None,
            "action": _seed_action(v.confidence, None),
        }
        if include_root_cause:
            row["root_cause"] = {"category": category.get("name"), "confidence": category.get("confidence"),
                                 "explanation": v.summary}
        tests.append(row)
    tests.sort(key=lambda t: (-t["flakiness_score"], t["id"]))
    stats = {"total_flaky": len(tests), "auto_fixable": 0,
             "needs_quarantine": sum(1 for t in tests if t["action"] == "quarantine"),
             "total_wasted_runs": sum(t["failure_count"] for t in tests)}
    return FlakyAnalysis(tests=tests, stats=stats)


@router.get("/api/v1/ai/patterns/clusters", response_model=ClusterAnalysis)
def pattern_clusters(request: Request, project_id: ProjectId, who: Annotated[Caller, require(Role.VIEWER)],
                     time_range: Annotated[str, Query(max_length=8, description="e.g. 24h, 7d, 2w")] = "7d",
                     min_occurrences: Annotated[int, Query(ge=1, le=2**31 - 1)] = 2) -> ClusterAnalysis:
    """Failure clusters seen within ``time_range`` with at least ``min_occurrences`` failures (the seed
    accepted this parameter but never applied it; here it filters)."""
    from argus.analysis.failures.readmodels import ClusterView
    from argus.app.pages import ClustersRequest, list_clusters
    from argus.core.clock import utcnow

    started = time.perf_counter()
    m = _SPAN.match(time_range)
    if m is None:
        raise ApiProblem(422, "invalid-input", f"time_range {time_range!r}: use a number of hours, days or weeks "
                                               "(24h, 7d, 2w)")
    n, unit = int(m.group(1)), m.group(2)
    span = timedelta(hours=n) if unit == "h" else timedelta(days=n * (7 if unit == "w" else 1))
    rt = in_project(request, project_id, who)
    try:
        since = utcnow() - span
    except OverflowError:
        since = None
    page: Page[ClusterView] = list_clusters(rt, ClustersRequest(project_id, MAX_LIMIT, None, since,
                                                                min_count=min_occurrences, samples=3))
    total = sum(c.count for c in page.items)
    clusters = [{
        "id": c.id, "name": c.template[:120], "count": c.count,
        "percentage": round(100.0 * c.count / total, 2) if total else 0.0,
        "affected_tests": c.affected_tests, "trend": str(c.trend.value if hasattr(c.trend, "value") else c.trend),
        "root_cause": c.failure_type, "suggested_fix": None, "confidence": None,
        "sample_errors": list(c.samples[:3]),
    } for c in sorted(page.items, key=lambda c: (-c.count, c.id))]
    return ClusterAnalysis(clusters=clusters, total_failures=total,
                           analysis_time=round(time.perf_counter() - started, 4))
