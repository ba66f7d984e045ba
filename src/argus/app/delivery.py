"""Delivery use cases: ingest a directory of delivery CSV files, the DORA report, the per-row detail,
the PR lead-time breakdown. Each runs in one project unit of work and returns a frozen read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.delivery.readmodels import DoraReport, IngestSummary, PrDetail, PrList
    from argus.app.runtime import ProjectScope, Runtime

__all__ = [
    "DoraRequest",
    "HookOutcome",
    "HookRequest",
    "IngestRequest",
    "PrListRequest",
    "PrShowRequest",
    "SyncRequest",
    "dora_detail",
    "dora_report",
    "ingest_delivery",
    "list_prs",
    "receive_hook",
    "show_pr",
    "sync_github",
    "sync_gitlab",
    "webhook_org",
]


@dataclass(frozen=True)
class IngestRequest:
    directory: Path
    project: str | None = None


@dataclass(frozen=True)
class DoraRequest:
    project: str | None = None
    first_day: date | None = None
    last_day: date | None = None
    save: bool = True

    def __post_init__(self) -> None:
        if self.first_day and self.last_day and self.first_day > self.last_day:
            raise InputError(f"--from {self.first_day} is after --to {self.last_day}")


@dataclass(frozen=True)
class PrListRequest:
    project: str | None = None
    limit: int = 50
    repo: str | None = None
    deployed_only: bool = False

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InputError(f"--limit {self.limit}: give a whole number, 1 or more")


@dataclass(frozen=True)
class PrShowRequest:
    pr_id: str
    project: str | None = None


@dataclass(frozen=True)
class SyncRequest:
    repo: str
    project: str | None = None
    api_url: str | None = None  # default: settings.github_api_url / issues.gitlab_url
    graphql: bool = False  # GitHub: pull requests through GraphQL


@dataclass(frozen=True)
class SyncSummary:
    repo: str
    requests: int
    waited_s: float
    rows: tuple[tuple[str, int], ...]
    incremental: bool


def sync_github(runtime: Runtime, request: SyncRequest) -> SyncSummary:
    """Read the sync cursors, fetch what is new from GitHub (outside any transaction), then store it
    and the new cursors in one unit of work (a failed fetch stores nothing)."""
    from argus.ingest.delivery.github import Cursors, check_repo, fetch, github_client
    from argus.ingest.delivery.github_actions import Patterns

    repo = check_repo(request.repo)
    settings = runtime.settings
    cfg = settings.delivery
    token = settings.github_token.get_secret_value() if settings.github_token else None
    patterns = Patterns(cfg.deployment_pattern, cfg.production_pattern)

    def fetch_new(cursors: Cursors) -> Any:
        client = github_client(request.api_url or settings.github_api_url, token, cfg.sync_max_wait_s)
        try:
            return fetch(client, repo, cursors, incident_label=cfg.github_incident_label, graphql=request.graphql,
                         patterns=patterns)
        finally:
            client.close()

    return _sync(runtime, "github", repo, request.project, fetch_new)


def sync_gitlab(runtime: Runtime, request: SyncRequest) -> SyncSummary:
    """The GitLab counterpart of :func:`sync_github`: merge requests, deployments, pipelines and jobs,
    incidents and commits of one project (REST v4), stored in the same delivery tables."""
    from argus.ingest.delivery import gitlab
    from argus.ingest.delivery.github import Cursors
    from argus.ingest.delivery.github_actions import Patterns
    from argus.ingest.issues.remote import check_target, gitlab_client

    target = check_target("gitlab", request.repo)
    settings = runtime.settings
    cfg = settings.delivery
    token = settings.issues.gitlab_token.get_secret_value() if settings.issues.gitlab_token else None
    patterns = Patterns(cfg.deployment_pattern, cfg.production_pattern)

    def fetch_new(cursors: Cursors) -> Any:
        client = gitlab_client(request.api_url or settings.issues.gitlab_url, token, cfg.sync_max_wait_s)
        try:
            return gitlab.fetch(client, target, cursors, patterns=patterns)
        finally:
            client.close()

    return _sync(runtime, "gitlab", target, request.project, fetch_new)


def _sync(runtime: Runtime, source: str, repo: str, project: str | None, fetch_new: Any) -> SyncSummary:
    from sqlalchemy import select

    from argus.ingest.delivery.github import Cursors, Fetched
    from argus.ingest.delivery.service import store
    from argus.store.models import DeliverySyncState

    def state(scope: ProjectScope) -> DeliverySyncState | None:
        return scope.session.scalars(select(DeliverySyncState).where(
            DeliverySyncState.source == source, DeliverySyncState.repo == repo)).first()

    def read(scope: ProjectScope) -> Cursors:
        st = state(scope)
        return Cursors() if st is None else Cursors(st.pulls_updated_at, st.commits_since, st.issues_since)

    cursors = runtime.in_project(project, read, create=True)
    fetched: Fetched = fetch_new(cursors)

    def write(scope: ProjectScope) -> SyncSummary:
        from argus.core.clock import utcnow

        stored = store(scope.session, fetched.parsed())
        scope.session.flush()
        _relink_if_prs(scope, stored)
        st = state(scope)
        if st is None:
            st = DeliverySyncState(project_id=scope.project.id, source=source, repo=repo)
            scope.session.add(st)
        c = fetched.cursors
        st.pulls_updated_at, st.commits_since, st.issues_since, st.synced_at = (
            c.pulls_updated_at, c.commits_since, c.issues_since, utcnow())
        scope.session.flush()
        return SyncSummary(repo, fetched.requests, fetched.waited_s, tuple((s.file, s.rows) for s in stored),
                           cursors.pulls_updated_at is not None or cursors.commits_since is not None)

    return runtime.in_project(project, write)


@dataclass(frozen=True)
class HookRequest:
    source: str  # github | gitlab
    data: bytes
    event: str | None = None  # X-GitHub-Event / X-Gitlab-Event
    project: str | None = None
    org: str | None = None


@dataclass(frozen=True)
class HookOutcome:
    source: str
    event: str | None
    rows: dict[str, int]
    ignored: str | None = None


def receive_hook(runtime: Runtime, request: HookRequest) -> HookOutcome:
    """Store the deployments, pipelines and tasks of one GitHub/GitLab webhook (parsed before any
    transaction: a bad body stores nothing); the next DORA report counts them."""
    from argus.ingest.delivery import hooks

    cfg = runtime.settings.delivery
    found = hooks.parse(request.source, request.event, request.data, patterns_of(cfg))
    if not found.parsed.files:
        return HookOutcome(request.source, request.event, {}, found.ignored)

    def work(scope: ProjectScope) -> HookOutcome:
        record_hook(scope, found)
        return HookOutcome(request.source, request.event, found.counts)

    return runtime.in_project(request.project, work, org=request.org)


def record_hook(scope: ProjectScope, found: Any) -> None:
    """Upsert a parsed webhook's delivery rows in the scope's unit of work (stored values kept where the
    hook has none)."""
    from argus.ingest.delivery.service import store

    store(scope.session, found.parsed, keep_known=True)
    scope.session.flush()


def patterns_of(cfg: Any) -> Any:
    from argus.ingest.delivery.github_actions import Patterns

    return Patterns(cfg.deployment_pattern, cfg.production_pattern)


def webhook_org(runtime: Runtime, project: str, source: str, body: bytes, headers: dict[str, str]) -> str | None:
    """The organisation whose ``delivery.webhook_secrets["org/project/source"]`` authenticates the hook:
    GitLab's ``X-Gitlab-Token`` equal to it, GitHub's ``X-Hub-Signature-256`` its HMAC of the body."""
    import hmac

    from argus.core.enums import AlertSource
    from argus.ingest.alerts.signatures import verify

    for key, secret in runtime.settings.delivery.webhook_secrets.items():
        org, _, rest = key.partition("/")
        if rest != f"{project}/{source}":
            continue
        value = secret.get_secret_value()
        if source == "gitlab":
            given = headers.get("x-gitlab-token", "")
            if given and hmac.compare_digest(given.encode(), value.encode()):
                return org
        elif source == "github" and verify(AlertSource.GITHUB, value, body, headers):
            return org
    return None


def _relink_if_prs(scope: ProjectScope, stored: Sequence[Any]) -> None:
    """Pull requests carry issue keys (title, body, head branch): relink the project's commits with them."""
    from argus.ingest.issues.service import relink_after_pull_requests

    if any(s.file in ("pull_requests.csv", "pr_commits.csv") and s.rows for s in stored):
        relink_after_pull_requests(scope.session, scope.settings.git, scope.settings.issues)


def ingest_delivery(runtime: Runtime, request: IngestRequest) -> IngestSummary:
    """Parse every delivery file of the directory, then store them all in one unit of work (a bad row
    anywhere stores nothing); the project is created when new."""
    from argus.analysis.delivery import queries
    from argus.analysis.delivery.readmodels import IngestSummary
    from argus.ingest.delivery.csvfiles import parse_dir
    from argus.ingest.delivery.service import store

    parsed = parse_dir(request.directory)

    def work(scope: ProjectScope) -> IngestSummary:
        stored = store(scope.session, parsed)
        scope.session.flush()
        _relink_if_prs(scope, stored)
        return IngestSummary(str(request.directory), tuple((s.file, s.rows) for s in stored),
                             queries.counts(scope.session))

    return runtime.in_project(request.project, work, create=True)


def dora_report(runtime: Runtime, request: DoraRequest) -> DoraReport:
    from argus.analysis.delivery import service

    def work(scope: ProjectScope) -> DoraReport:
        params = service.params_from(scope.settings.delivery)
        return service.report(scope.session, params, scope.project.slug, request.first_day, request.last_day,
                              save=request.save)

    return runtime.in_project(request.project, work)


def dora_detail(runtime: Runtime, project: str | None) -> dict[str, Any]:
    from argus.analysis.delivery import service

    def work(scope: ProjectScope) -> dict[str, Any]:
        return service.detail(scope.session, service.params_from(scope.settings.delivery))

    return runtime.in_project(project, work)


def list_prs(runtime: Runtime, request: PrListRequest) -> PrList:
    from argus.analysis.delivery import service

    def work(scope: ProjectScope) -> PrList:
        return service.list_prs(scope.session, service.params_from(scope.settings.delivery), limit=request.limit,
                                repo=request.repo, deployed_only=request.deployed_only)

    return runtime.in_project(request.project, work)


def show_pr(runtime: Runtime, request: PrShowRequest) -> PrDetail:
    from argus.analysis.delivery import service

    def work(scope: ProjectScope) -> PrDetail:
        return service.show_pr(scope.session, service.params_from(scope.settings.delivery), request.pr_id)

    return runtime.in_project(request.project, work)


@dataclass(frozen=True)
class ReworkRequest:
    project: str | None = None
    train: bool = False
    pr_id: str | None = None
    limit: int = 50
    save: bool = True

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InputError(f"--limit {self.limit}: give a whole number, 1 or more")


def train_rework(runtime: Runtime, request: ReworkRequest) -> Any:
    """Train, evaluate (time-ordered holdout) and register a PR rework classifier version."""
    from argus.analysis.delivery import models

    def work(scope: ProjectScope) -> Any:
        return models.train(scope.session, models.ReworkParams())

    return runtime.in_project(request.project, work)


def predict_rework(runtime: Runtime, request: ReworkRequest) -> Any:
    """The active rework classifier's calibrated probabilities for the open PRs (or one), saved as insights."""
    from argus.analysis.delivery import models

    def work(scope: ProjectScope) -> Any:
        return models.predict(scope.session, models.ReworkParams(), pr_id=request.pr_id, limit=request.limit,
                              save=request.save)

    return runtime.in_project(request.project, work)


@dataclass(frozen=True)
class WorkRequest:
    project: str | None = None
    train: bool = False
    item_id: str | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InputError(f"--limit {self.limit}: give a whole number, 1 or more")


def work_points(runtime: Runtime, request: WorkRequest) -> Any:
    """Story points: train and register the estimator (``train``), else estimate the items without points."""
    from argus.analysis.delivery import models

    def work(scope: ProjectScope) -> Any:
        if request.train:
            return models.train_points(scope.session, models.ReworkParams())
        return models.estimate_points(scope.session, item_id=request.item_id, limit=request.limit)

    return runtime.in_project(request.project, work)


def work_epics(runtime: Runtime, request: WorkRequest) -> Any:
    """Epics: train and register the forecaster (``train``), else forecast the open epics."""
    from argus.analysis.delivery import models

    def work(scope: ProjectScope) -> Any:
        if request.train:
            return models.train_epics(scope.session, models.ReworkParams(min_rows=5))
        return models.forecast_epics(scope.session, limit=request.limit)

    return runtime.in_project(request.project, work)
