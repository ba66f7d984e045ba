"""Which issues are bugs: Jira issue types (``issues.bug_types``) and labels (``issues.bug_labels``)."""

from __future__ import annotations

from argus.core.settings import IssueSettings
from argus.ingest.issues.parsers import IssueRecord


class BugRule:
    """Case-insensitive: an issue is a bug when its type is a bug type or one of its labels a bug label."""

    def __init__(self, settings: IssueSettings) -> None:
        self.types = {t.strip().casefold() for t in settings.bug_types if t.strip()}
        self.labels = {lab.strip().casefold() for lab in settings.bug_labels if lab.strip()}

    def is_bug(self, issue: IssueRecord) -> bool:
        if issue.issue_type and issue.issue_type.strip().casefold() in self.types:
            return True
        return any(lab.strip().casefold() in self.labels for lab in issue.labels)
