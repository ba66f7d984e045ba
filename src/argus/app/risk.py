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

__all__ = ["AssessRequest", "RetrainOutcome", "assess_change", "evaluate_dataset", "evaluate_model", "list_models",
           "model_drift", "promote_model", "retrain_if_due", "train_model"]


def evaluate_dataset(path: Path, train_fraction: float = 0.8, *, author_features: bool = True) -> Evaluation:
    """Our model and the baselines on a Kamei-feature CSV, split in time (no database); without
    ``author_features``, the model before round 4 (no author defect rate)."""
    from argus.analysis.risk.dataset import evaluate_dataset as run
    from argus.analysis.risk.model import ml_modules

    ml_modules()
    return run(path, train_fraction, author_features=author_features)


def list_models(runtime: Runtime, project: str | None) -> tuple[ModelView, ...]:
    from argus.analysis.risk import service

    return runtime.in_project(project, lambda sc: tuple(service.list_models(sc.session, sc.settings.risk.model_name)))


def train_model(runtime: Runtime, project: str | None) -> TrainResult:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> TrainResult:
        return service.train(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                             repo_path=sc.project.repo_path)

    return runtime.in_project(project, work)


def evaluate_model(runtime: Runtime, project: str | None, version: int | None) -> EvaluationView:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> EvaluationView:
        return service.evaluate(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                                version, repo_path=sc.project.repo_path)

    return runtime.in_project(project, work)


def promote_model(runtime: Runtime, project: str | None, version: int, force: bool = False) -> TrainResult:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> TrainResult:
        return service.promote(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                               version, force=force, repo_path=sc.project.repo_path)

    return runtime.in_project(project, work)


def model_drift(runtime: Runtime, project: str | None, anomalies: bool = True) -> DriftReport:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> DriftReport:
        return service.drift(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                             anomalies=anomalies, repo_path=sc.project.repo_path)

    return runtime.in_project(project, work)


@dataclass(frozen=True)
class AssessRequest:
    project: str | None = None
    sha: str | None = None
    base: str | None = None
    head: str | None = None
    #: False: compute only (no prediction logged, no insight saved): what a read-only API request does.
    persist: bool = True


def assess_change(runtime: Runtime, request: AssessRequest) -> RiskAssessment:
    from argus.analysis.risk import service

    def work(sc: ProjectScope) -> RiskAssessment:
        return service.assess(sc.session, sc.settings.risk, sc.project.default_branch or sc.settings.default_branch,
                              sha=request.sha, base=request.base, head=request.head,
                              repo_path=sc.project.repo_path, selection=sc.settings.selection,
                              project=sc.project.slug, persist=request.persist)

    return runtime.in_project(request.project, work)


@dataclass(frozen=True)
class RetrainOutcome:
    """What the retraining job did: ``trained`` a challenger (``result``: its version and whether the
    promotion rule made it active) because ``fired`` triggers said so, or ``skipped`` with the reason."""

    trained: bool
    fired: tuple[str, ...]
    result: TrainResult | None
    skipped: str | None = None

    def as_json(self) -> dict[str, object]:
        r = self.result
        return {"trained": self.trained, "fired": list(self.fired), "skipped": self.skipped,
                "version": None if r is None else r.model.version,
                "promoted": None if r is None else r.promoted, "reason": None if r is None else r.reason}


def retrain_if_due(runtime: Runtime, project: str | None, force: bool = False) -> RetrainOutcome:
    """The retraining job's use case: measure the active model's triggers (new labels, age, drift,
    accuracy; ``risk.retrain_*``) and, when one fired (or ``force``, or no model exists yet), train a
    challenger that becomes active only by the champion/challenger rule. A project without enough labelled
    changes, or without the ml extra, is skipped (the job succeeds: nothing to do)."""
    from argus.analysis.risk import service
    from argus.core.errors import ConfigError, InputError, NotFoundError

    def work(sc: ProjectScope) -> RetrainOutcome:
        branch = sc.project.default_branch or sc.settings.default_branch
        s, repo = sc.settings.risk, sc.project.repo_path
        try:
            try:
                report = service.drift(sc.session, s, branch, anomalies=False, repo_path=repo)
                fired = tuple(t.name for t in report.triggers if t.fired)
            except NotFoundError:
                fired = ("no_model",)
            if not fired and not force:
                return RetrainOutcome(False, (), None)
            result = service.train(sc.session, s, branch, repo_path=repo)
            return RetrainOutcome(True, fired + (("forced",) if force else ()), result)
        except (InputError, ConfigError) as exc:
            return RetrainOutcome(False, (), None, str(exc))

    return runtime.in_project(project, work)
