"""Use cases of issue-tracker data: ingest an export or sync a live tracker, relink commits (one project
unit of work each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import SecretStr

from argus.app.runtime import ProjectScope, Runtime
from argus.core.errors import ConfigError, InputError
from argus.ingest.issues.parsers import parse_file
from argus.ingest.issues.service import IssueIngestResult, ingest_issues


def ingest_issue_file(runtime: Runtime, project: str | None, path: Path, fmt: str | None = None) -> IssueIngestResult:
    """Parse ``path`` (before any transaction: a bad file changes nothing), then store its issues and
    relink the project's commits in one unit of work."""
    found, records = parse_file(path, fmt)

    def work(scope: ProjectScope) -> IssueIngestResult:
        return ingest_issues(scope.session, str(path), found, records, scope.settings.git, scope.settings.issues)

    return runtime.in_project(project, work, create=True)


@dataclass(frozen=True)
class IssueSyncRequest:
    source: str  # jira | github | gitlab
    target: str  # Jira project key | GitHub owner/name | GitLab project id or path
    project: str | None = None
    api_url: str | None = None  # default from settings
    full: bool = False  # ignore the stored cursor


@dataclass(frozen=True)
class IssueSyncSummary:
    source: str
    target: str
    incremental: bool
    requests: int
    waited_s: float
    cursor: datetime | None
    result: IssueIngestResult


def sync_issues(runtime: Runtime, request: IssueSyncRequest) -> IssueSyncSummary:
    """Read the cursor, fetch the issues updated since (outside any transaction: a failed or rate-limited
    fetch stores nothing), then store them, relink commits and move the cursor in one unit of work."""
    from sqlalchemy import select

    from argus.ingest.delivery.github import github_client
    from argus.ingest.issues import remote
    from argus.store.models import DeliverySyncState

    if request.source not in remote.SOURCES:
        raise InputError(f"{request.source!r}: expected one of {', '.join(remote.SOURCES)}")
    target = remote.check_target(request.source, request.target)
    state_source = f"{request.source}-issues"
    settings = runtime.settings
    cfg = settings.issues

    def read(scope: ProjectScope) -> datetime | None:
        st = scope.session.scalars(select(DeliverySyncState).where(
            DeliverySyncState.source == state_source, DeliverySyncState.repo == target)).first()
        return None if st is None or request.full else st.issues_since

    cursor = runtime.in_project(request.project, read, create=True)

    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    if request.source == "github":
        client = github_client(request.api_url or settings.github_api_url, secret(settings.github_token),
                               cfg.sync_max_wait_s)
    elif request.source == "gitlab":
        client = remote.gitlab_client(request.api_url or cfg.gitlab_url, secret(cfg.gitlab_token), cfg.sync_max_wait_s)
    else:
        url = request.api_url or cfg.jira_url
        if not url:
            raise ConfigError("argus sync jira: no Jira URL (--url, or issues.jira_url / ARGUS_ISSUES__JIRA_URL)")
        client = remote.jira_client(url, cfg.jira_email, secret(cfg.jira_token), cfg.sync_max_wait_s)
    with client:
        if request.source == "github":
            fetched = remote.fetch_github(client, target, cursor, cfg.sync_overlap_s)
        elif request.source == "gitlab":
            fetched = remote.fetch_gitlab(client, target, cursor, cfg.sync_overlap_s)
        else:
            fetched = remote.fetch_jira(client, target, cursor, cfg.sync_overlap_s, search_path=cfg.jira_search_path,
                                        custom=remote.JiraFields(cfg.jira_story_points_field, cfg.jira_epic_link_field,
                                                                 cfg.jira_sprint_field))
    unique = list({r.key: r for r in fetched.records}.values())

    def write(scope: ProjectScope) -> IssueSyncSummary:
        from argus.core.clock import utcnow

        result = ingest_issues(scope.session, f"{request.source}:{target}", f"{request.source}-api", unique,
                               scope.settings.git, scope.settings.issues)
        st = scope.session.scalars(select(DeliverySyncState).where(
            DeliverySyncState.source == state_source, DeliverySyncState.repo == target)).first()
        if st is None:
            st = DeliverySyncState(project_id=scope.project.id, source=state_source, repo=target)
            scope.session.add(st)
        st.issues_since, st.synced_at = fetched.cursor, utcnow()
        scope.session.flush()
        return IssueSyncSummary(request.source, target, cursor is not None, fetched.requests, fetched.waited_s,
                                fetched.cursor, result)

    return runtime.in_project(request.project, write)
