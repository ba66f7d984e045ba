"""Change-risk use cases: evaluate a Kamei CSV (no database), train / evaluate / promote / list models,
assess a change or a range, and monitor drift. Each runs in one project unit of work and returns a frozen
read model (:mod:`argus.analysis.risk.readmodels`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from argus.analysis.risk.readmodels import DriftReport, EvaluationView, ModelView, RiskAssessment, TrainResult

if TYPE_CHECKING:
    from argus.analysis.risk.model import Evaluation
    from argus.app.runtime import ProjectScope, Runtime

__all__ = ["AssessRequest", "assess_change", "evaluate_dataset", "evaluate_model", "list_models", "model_drift",
           "promote_model", "train_model"]


def evaluate_dataset(path: Path, train_fraction: float = 0.8) -> Evaluation:
    """Our model and the baselines on a Kamei-feature CSV, split in time (no database)."""
    from argus.analysis.risk.dataset import evaluate_dataset as run
    from argus.analysis.risk.model import ml_modules

    ml_modules()
    return run(path, train_fraction)


def list_models(runtime: Runtime, project: str | None) -> tuple[ModelView, ...]:
    from argus.analysis.risk import service

    return runtime.in_project(project, lambda sc: tuple(service.list_models(sc.session, sc.settings.risk.model_name)))


def train_model(runtime: Runtime, project: str | None) -> TrainResult:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> TrainResult:
        return service.train(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch)

    return runtime.in_project(project, work)


def evaluate_model(runtime: Runtime, project: str | None, version: int | None) -> EvaluationView:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> EvaluationView:
        return service.evaluate(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                                version)

    return runtime.in_project(project, work)


def promote_model(runtime: Runtime, project: str | None, version: int, force: bool = False) -> TrainResult:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> TrainResult:
        return service.promote(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                               version, force=force)

    return runtime.in_project(project, work)


def model_drift(runtime: Runtime, project: str | None, anomalies: bool = True) -> DriftReport:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> DriftReport:
        return service.drift(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                             anomalies=anomalies)

    return runtime.in_project(project, work)


@dataclass(frozen=True)
class AssessRequest:
    project: str | None = None
    sha: str | None = None
    base: str | None = None
    head: str | None = None


def assess_change(runtime: Runtime, request: AssessRequest) -> RiskAssessment:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> RiskAssessment:
        return service.assess(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                              sha=request.sha, base=request.base, head=request.head,
                              repo_path=sc.project.repo_path)

    return runtime.in_project(request.project, work)
