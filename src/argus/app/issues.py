"""Use cases of issue-tracker data: ingest an export, relink commits (one project unit of work each)."""

from __future__ import annotations

from pathlib import Path

from argus.app.runtime import ProjectScope, Runtime
from argus.ingest.issues.parsers import parse_file
from argus.ingest.issues.service import IssueIngestResult, ingest_issues


def ingest_issue_file(runtime: Runtime, project: str | None, path: Path, fmt: str | None = None) -> IssueIngestResult:
    """Parse ``path`` (before any transaction: a bad file changes nothing), then store its issues and
    relink the project's commits in one unit of work."""
    found, records = parse_file(path, fmt)

    def work(scope: ProjectScope) -> IssueIngestResult:
        return ingest_issues(scope.session, str(path), found, records, scope.settings.git, scope.settings.issues)

    return runtime.in_project(project, work, create=True)
