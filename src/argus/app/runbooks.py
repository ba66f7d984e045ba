"""Use cases of runbooks: index a folder, list, show, search, recommend for an incident (and propose
its actions), record whether a runbook helped, approve or reject a proposed action.

Each runs one project-scoped unit of work and returns a frozen read model
(:mod:`argus.analysis.runbooks.readmodels`). Approving an action records who and when; Argus never
executes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from argus.analysis.runbooks.readmodels import (
    ActionDecision,
    ActionRow,
    FeedbackDone,
    IndexOutcome,
    Recommendations,
    RunbookDetail,
    RunbookView,
    SearchHit,
    SkippedFile,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from sqlalchemy.orm import Session

    from argus.analysis.investigation.service import Recommender
    from argus.app.runtime import ProjectScope, Runtime
    from argus.core.settings import RunbookSettings


def index(runtime: Runtime, path: Path | None, project: str | None = None, org: str | None = None) -> IndexOutcome:
    """Index the Markdown runbooks of a folder (default ``[runbooks] folder``), or those a
    ``services.yaml`` links to as local files (relative to it; URL links are listed as skipped: Argus
    fetches nothing)."""
    from argus.core.errors import InputError

    if path is None:
        if not runtime.settings.runbooks.folder:
            raise InputError("no folder: give PATH or set [runbooks] folder (ARGUS_RUNBOOKS__FOLDER)")
        path = Path(runtime.settings.runbooks.folder)
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        source, items, skipped = _linked_files(path)

        def links(scope: ProjectScope) -> IndexOutcome:
            from argus.analysis.runbooks.service import index_files

            return index_files(scope.session, scope.settings.runbooks, source, items, skipped)

        return runtime.in_project(project, links, create=True, org=org)
    if not path.is_dir():
        raise InputError(f"{path}: no such folder (or services.yaml)")
    folder = path

    def work(scope: ProjectScope) -> IndexOutcome:
        from argus.analysis.runbooks.service import index_folder

        return index_folder(scope.session, scope.settings.runbooks, folder)

    return runtime.in_project(project, work, create=True, org=org)


def _linked_files(path: Path) -> tuple[str, list[tuple[str, Path]], list[SkippedFile]]:
    """The local files a services.yaml links to as runbooks (key: the link as written), and the links
    skipped (URLs, missing files, files outside the yaml's folder)."""
    from argus.analysis.incidents.graph import parse_services

    services = parse_services(path.read_text(encoding="utf-8", errors="replace"), path.name)
    base = path.parent.resolve()
    items: dict[str, Path] = {}
    skipped: dict[str, SkippedFile] = {}
    for svc in services:
        for link in svc.runbooks:
            if "://" in link:
                skipped[link] = SkippedFile(link, f"{svc.name}: a URL, not fetched (index a local copy)")
                continue
            target = (base / link).resolve()
            if not target.is_relative_to(base):
                skipped[link] = SkippedFile(link, f"{svc.name}: outside the folder of {path.name}")
            elif not target.is_file():
                skipped[link] = SkippedFile(link, f"{svc.name}: no such file")
            else:
                items[link[:500]] = target
    return str(path.resolve()), sorted(items.items()), list(skipped.values())


def list_runbooks(runtime: Runtime, project: str | None = None, service: str | None = None,
                  org: str | None = None) -> tuple[RunbookView, ...]:
    def work(scope: ProjectScope) -> tuple[RunbookView, ...]:
        from argus.analysis.runbooks.queries import list_runbooks as rows

        return tuple(rows(scope.session, scope.settings.runbooks, service))

    return runtime.in_project(project, work, org=org)


def show(runtime: Runtime, ref: str, project: str | None = None, org: str | None = None) -> RunbookDetail:
    def work(scope: ProjectScope) -> RunbookDetail:
        from argus.analysis.runbooks.queries import show_runbook

        return show_runbook(scope.session, scope.settings.runbooks, ref)

    return runtime.in_project(project, work, org=org)


def search(runtime: Runtime, text: str, service: str | None = None, limit: int = 10, project: str | None = None,
           org: str | None = None) -> tuple[SearchHit, ...]:
    def work(scope: ProjectScope) -> tuple[SearchHit, ...]:
        from argus.analysis.runbooks.service import search as run

        return tuple(run(scope.session, scope.settings.runbooks, text, service, limit))

    return runtime.in_project(project, work, org=org)


@dataclass(frozen=True)
class RecommendRequest:
    incident_id: int
    project: str | None = None
    #: More query text (e.g. the incident's hypotheses) added to the incident's own.
    extra_text: str | None = None
    top: int | None = None
    #: Store the recommended runbooks' actions as proposals (who: ``actor``).
    propose: bool = False
    actor: str = "argus"
    org: str | None = None


def recommend(runtime: Runtime, req: RecommendRequest) -> Recommendations:
    def work(scope: ProjectScope) -> Recommendations:
        from argus.analysis.runbooks import service

        cfg = scope.settings.runbooks
        if req.propose:
            return service.propose(scope.session, cfg, req.incident_id, req.actor, req.top)
        return service.recommend(scope.session, cfg, req.incident_id, req.extra_text, req.top)

    return runtime.in_project(req.project, work, org=req.org)


def feedback(runtime: Runtime, incident_id: int, runbook: str, helped: bool, actor: str, note: str | None = None,
             project: str | None = None, org: str | None = None) -> FeedbackDone:
    def work(scope: ProjectScope) -> FeedbackDone:
        from argus.analysis.runbooks.service import feedback as run

        return run(scope.session, scope.settings.runbooks, incident_id, runbook, helped, actor, note)

    return runtime.in_project(project, work, org=org)


def actions(runtime: Runtime, incident_id: int | None = None, status: str | None = None, limit: int = 100,
            project: str | None = None, org: str | None = None) -> tuple[ActionRow, ...]:
    def work(scope: ProjectScope) -> tuple[ActionRow, ...]:
        from argus.analysis.runbooks.queries import list_actions

        return tuple(list_actions(scope.session, incident_id, status, limit))

    return runtime.in_project(project, work, org=org)


def decide(runtime: Runtime, action_id: int, approve: bool, actor: str, note: str | None = None,
           project: str | None = None, org: str | None = None) -> ActionDecision:
    """Approve or reject a proposed action (recorded; never executed)."""
    def work(scope: ProjectScope) -> ActionDecision:
        from argus.analysis.runbooks.service import decide as run

        return run(scope.session, action_id, approve, actor, note)

    return runtime.in_project(project, work, org=org)


def hypothesis_recommender(cfg: RunbookSettings, top: int = 3) -> Recommender:
    """The investigation's runbook recommender: for a hypothesis's text and services, the runbooks of
    :func:`argus.analysis.runbooks.service.recommend_for_text` with risk, expected impact and their
    actions' review tiers (proposals only), as the investigation stores them."""
    def run(session: Session, incident_id: int, text: str, services: Sequence[str]) -> list[dict[str, Any]]:
        from argus.analysis.runbooks.service import recommend_for_text

        return [{"runbook": r.runbook.key, "title": r.runbook.title, "score": round(r.score, 4),
                 "match": round(r.match, 4), "risk": r.risk, "expected_impact": r.expected_impact,
                 "actions": [{"kind": a.kind, "description": a.description, "target": a.target, "risk": a.risk,
                              "review_tier": a.review_tier, "status": a.status} for a in r.actions]}
                for r in recommend_for_text(session, cfg, incident_id, text, list(services), top=top)
                if r.match > 0]

    return run
