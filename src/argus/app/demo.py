"""Use cases of ``argus demo``: what the analyses stored for a simulated project, read back for the
tour, and how it scores against the simulator's ground truth.

The demo runs the normal commands (ingest, analyses, gate) itself; these use cases only read what
they stored, each in one project-scoped unit of work (:meth:`argus.app.runtime.Runtime.in_project`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argus.core.enums import EvidenceType

if TYPE_CHECKING:
    from argus.analysis.insights.schemas import InsightView
    from argus.app.runtime import ProjectScope, Runtime

#: The most insights of one kind the tour reads back.
MAX_INSIGHTS = 1000
#: The gate verdicts the tour reads back.
MAX_GATE_VERDICTS = 10


@dataclass(frozen=True)
class ProjectFindings:
    """What the analyses stored for one project, as the tour reads it back."""

    project: str
    counts: dict[str, int] = field(default_factory=dict)
    flaky: Sequence[InsightView] = ()
    broken: Sequence[InsightView] = ()
    clusters: Sequence[InsightView] = ()
    novel: Sequence[InsightView] = ()
    #: Commits of the builds to judge: the latest on the default branch, then where the oldest open
    #: regression first failed.
    gate_builds: tuple[str, ...] = ()
    gates: Sequence[dict[str, Any]] = ()
    gate_insights: Sequence[InsightView] = ()


@dataclass(frozen=True)
class Score:
    """How the analyses did against the simulator's ground truth (scoring only; analyses never read it)."""

    planted_flaky: int
    found_flaky: int
    true_flaky: int
    called_broken: int
    broken_correct: int
    planted_broken: int

    @property
    def flaky_precision(self) -> float | None:
        return self.true_flaky / self.found_flaky if self.found_flaky else None

    @property
    def flaky_recall(self) -> float | None:
        return self.true_flaky / self.planted_flaky if self.planted_flaky else None


def _first_failing_commit(view: InsightView) -> str | None:
    broken = view.data.get("broken")
    if isinstance(broken, dict) and isinstance(broken.get("first_commit"), str):
        return str(broken["first_commit"])
    for ev in view.evidence:
        if ev.ref_type == EvidenceType.COMMIT:
            return ev.ref_id
    return None


def _insights(scope: ProjectScope, kind: str, limit: int = MAX_INSIGHTS, *, detail: bool = False) -> list[InsightView]:
    from argus.analysis.insights.service import get_insight, list_insights

    views = list_insights(scope.session, kind=kind, limit=limit)
    return [get_insight(scope.session, v.id) for v in views] if detail else views


def stored_findings(runtime: Runtime, project: str) -> ProjectFindings:
    """Counts, flaky and broken tests, failure clusters and the builds to judge, as stored for ``project``."""
    from argus.core.enums import InsightKind
    from argus.ingest.queries import latest_commit_on_branch, stored_counts

    def work(scope: ProjectScope) -> ProjectFindings:
        broken = _insights(scope, InsightKind.BROKEN_TEST, detail=True)
        builds: list[str] = []
        latest = latest_commit_on_branch(scope.session, scope.project.default_branch)
        if latest:
            builds.append(latest)
        for view in sorted(broken, key=lambda v: v.created_at)[:1]:
            commit = _first_failing_commit(view)
            if commit and commit not in builds:
                builds.append(commit)
        return ProjectFindings(
            project,
            counts=stored_counts(scope.session),
            flaky=tuple(_insights(scope, InsightKind.FLAKY_TEST, detail=True)),
            broken=tuple(broken),
            clusters=tuple(sorted(_insights(scope, InsightKind.FAILURE_CLUSTER),
                                  key=lambda v: -int(v.data.get("count") or 0))),
            novel=tuple(_insights(scope, InsightKind.NOVEL_FAILURE)),
            gate_builds=tuple(builds),
        )

    return runtime.in_project(project, work)


def with_gates(runtime: Runtime, findings: ProjectFindings, gates: list[dict[str, Any]]) -> ProjectFindings:
    """``findings`` with the gate's answers (its JSON) and the gate verdicts stored for the project."""
    from argus.core.enums import InsightKind

    verdicts = runtime.in_project(
        findings.project,
        lambda scope: _insights(scope, InsightKind.GATE_VERDICT, MAX_GATE_VERDICTS, detail=True),
    )
    return replace(findings, gates=tuple(gates), gate_insights=tuple(verdicts))


def score_project(findings: ProjectFindings, ground_truth: Path) -> Score:
    """How ``findings`` compare with the flaky and broken tests the simulator planted."""
    from argus.evaluation import load_ground_truth
    from argus.evaluation.identity import truth_identity

    gt = load_ground_truth(ground_truth)
    planted_flaky = {truth_identity(t) for t in gt.flaky_ids()}
    planted_broken = {truth_identity(t) for t in gt.broken_ids()}
    found = {v.subject_id for v in findings.flaky}
    broken = {v.subject_id for v in findings.broken}
    return Score(
        planted_flaky=len(planted_flaky),
        found_flaky=len(found),
        true_flaky=len(found & planted_flaky),
        called_broken=len(broken),
        broken_correct=len(broken & planted_broken),
        planted_broken=len(planted_broken),
    )
