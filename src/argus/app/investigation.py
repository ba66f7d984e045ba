"""Use cases of incident investigation: investigate (snapshot + ranked hypotheses + policy), show the
latest investigation, the latest snapshot, record the cause. One project-scoped unit of work each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from argus.analysis.investigation.readmodels import AcceptedCause, InvestigationView, OutcomeDone

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime


def investigate(runtime: Runtime, incident_id: int, actor: str, project: str | None = None,
                org: str | None = None) -> InvestigationView:
    """Re-run the investigation of an incident now (a new snapshot, ranked hypotheses, the policy)."""
    def work(scope: ProjectScope) -> InvestigationView:
        from argus.analysis.investigation.service import investigate as run
        from argus.app.runbooks import hypothesis_recommender

        return run(scope.session, scope.settings.investigation, scope.settings.incidents, scope.project.slug,
                   incident_id, actor, recommender=hypothesis_recommender(scope.settings.runbooks))

    return runtime.in_project(project, work, org=org)


def show(runtime: Runtime, incident_id: int, project: str | None = None, org: str | None = None) -> InvestigationView | None:
    """The latest investigation of an incident (None when it was never investigated)."""
    def work(scope: ProjectScope) -> InvestigationView | None:
        from argus.analysis.investigation.service import latest_investigation

        return latest_investigation(scope.session, incident_id)

    return runtime.in_project(project, work, org=org)


def snapshot(runtime: Runtime, incident_id: int, project: str | None = None, org: str | None = None) -> dict[str, Any] | None:
    def work(scope: ProjectScope) -> dict[str, Any] | None:
        from argus.analysis.investigation.service import snapshot_content

        return snapshot_content(scope.session, incident_id)

    return runtime.in_project(project, work, org=org)


def record_cause(runtime: Runtime, incident_id: int, hypothesis: str, actor: str, note: str | None = None,
                 project: str | None = None, org: str | None = None) -> OutcomeDone:
    """Record which hypothesis was the cause (the others of the latest run are rejected)."""
    def work(scope: ProjectScope) -> OutcomeDone:
        from argus.analysis.investigation.service import record_outcome

        return record_outcome(scope.session, incident_id, hypothesis, actor, note)

    return runtime.in_project(project, work, org=org)


def accepted(runtime: Runtime, incident_id: int, project: str | None = None, org: str | None = None) -> AcceptedCause | None:
    def work(scope: ProjectScope) -> AcceptedCause | None:
        from argus.analysis.investigation.service import accepted_hypothesis

        return accepted_hypothesis(scope.session, incident_id)

    return runtime.in_project(project, work, org=org)


def on_detection(scope: ProjectScope, incident_ids: tuple[int, ...]) -> list[int]:
    """Investigate, in the intake's unit of work, the incidents of an intake that have no snapshot yet
    (those it opened): the detection snapshot and first ranking. Returns the investigated ids."""
    from argus.analysis.investigation.service import has_snapshot
    from argus.analysis.investigation.service import investigate as run
    from argus.app.runbooks import hypothesis_recommender

    cfg = scope.settings.investigation
    if not cfg.snapshot_on_detection:
        return []
    done = []
    for iid in incident_ids:
        if not has_snapshot(scope.session, iid):
            run(scope.session, cfg, scope.settings.incidents, scope.project.slug, iid, trigger="detection",
                recommender=hypothesis_recommender(scope.settings.runbooks))
            done.append(iid)
    return done
