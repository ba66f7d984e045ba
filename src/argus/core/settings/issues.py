"""Settings of issue-tracker data and commit ↔ issue links (``[issues]``, ``ARGUS_ISSUES__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IssueSettings(BaseModel):
    """Which tracker issues are bugs, and how commits reference issues (see docs/ingest/issues.md)."""

    bug_types: list[str] = Field(
        default_factory=lambda: ["Bug"],
        description="Jira issue types (case-insensitive) that are bugs.",
    )
    bug_labels: list[str] = Field(
        default_factory=lambda: ["bug", "type: bug", "type::bug", "kind/bug"],
        description="GitHub/GitLab labels (case-insensitive) that make an issue a bug (also checked on Jira labels).",
    )
    key_pattern: str = Field(
        r"\b([A-Z][A-Z0-9]{1,9}-\d{1,7})\b",
        description="Regex of a tracker key in commit messages and branch names (group 1 = the key, e.g. ABC-123).",
    )
    ignored_key_prefixes: list[str] = Field(
        default_factory=lambda: ["GH", "UTF", "ISO", "SHA", "CVE", "RFC", "MD", "AES", "HTTP", "TLS", "X"],
        description="Key prefixes that are not tracker keys (UTF-8, ISO-8859, CVE-2021-…; GH-12 is GitHub's #12).",
    )
    tracker_fallback_to_message: bool = Field(
        True,
        description="With a tracker, a commit that references no stored issue is judged by its message; false: "
        "only commits linked to a bug issue are fixes.",
    )
