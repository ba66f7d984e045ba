"""Settings of issue-tracker data and commit ↔ issue links (``[issues]``, ``ARGUS_ISSUES__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


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
    tracker_bug_veto: bool = Field(
        False,
        description="A commit linked to a bug issue is still not a fix when its message says outright that it is "
        "not one (a non-fix conventional type such as feat:/docs:/refactor:, a revert, or a negative pattern: "
        "docs, tests, build, refactoring…) — bug reports are often misclassified (Herzig et al. 2013).",
    )
    tracker_nonbug_rescue: bool = Field(
        True,
        description="A commit linked only to issues that are not typed as bugs is still a fix when its own message "
        "says it fixes a bug (a `fix:` type, a bug keyword such as 'Fix …', 'NPE', 'crash'; a closing keyword alone "
        "does not count) — bug reports are mistyped both ways (Herzig et al. 2013); the decision is then `message`.",
    )
    tracker_fallback_to_message: bool = Field(
        True,
        description="With a tracker, a commit that references no stored issue is judged by its message; false: "
        "only commits linked to a bug issue are fixes.",
    )
    jira_url: str | None = Field(
        None, description="`argus sync jira`: base URL of the Jira site (https://example.atlassian.net).")
    jira_email: str | None = Field(
        None, description="`argus sync jira`: account e-mail for Jira Cloud (basic auth with jira_token); "
        "unset: jira_token is sent as a bearer token (Server/Data Center personal access token).")
    jira_token: SecretStr | None = Field(None, description="`argus sync jira`: API token (ARGUS_ISSUES__JIRA_TOKEN).")
    jira_search_path: str = Field(
        "/rest/api/3/search/jql",
        description="`argus sync jira`: search endpoint; Cloud: /rest/api/3/search/jql (nextPageToken), "
        "Server/Data Center: /rest/api/2/search (startAt/maxResults).")
    gitlab_url: str = Field("https://gitlab.com/api/v4", description="`argus sync gitlab`: REST API v4 base URL.")
    gitlab_token: SecretStr | None = Field(
        None, description="`argus sync gitlab`: personal/project access token (ARGUS_ISSUES__GITLAB_TOKEN).")
    sync_max_wait_s: float = Field(
        60.0, ge=0, description="`argus sync jira|github|gitlab`: longest wait for a rate limit to reset.")
    sync_overlap_s: int = Field(
        120, ge=0, description="Incremental sync re-reads issues updated this long before the cursor (clock skew, "
        "Jira's minute-precision JQL dates); re-read issues are upserted, not duplicated.")
    jira_story_points_field: str = Field(
        "customfield_10016", pattern=r"^[A-Za-z0-9_]{1,64}$",
        description="`argus sync jira`: the custom field holding story points (its id varies by site: "
        "Jira Cloud's \"Story point estimate\" is often customfield_10016, Server's \"Story Points\" "
        "customfield_10002; see /rest/api/2/field).")
    jira_epic_link_field: str = Field(
        "customfield_10014", pattern=r"^[A-Za-z0-9_]{1,64}$",
        description="`argus sync jira`: the legacy \"Epic Link\" custom field (read when an issue has no `parent`).")
    jira_sprint_field: str = Field(
        "customfield_10020", pattern=r"^[A-Za-z0-9_]{1,64}$",
        description="`argus sync jira`: the Sprint custom field (the last sprint listed is kept).")
    points_label_pattern: str = Field(
        r"^(?:points?|sp|story[ _-]?points?|estimate)\s*[:=/ ]\s*(\d+(?:\.\d+)?)$",
        description="Work items: a label giving story points (group 1 = the number, case-insensitive), e.g. "
        "`points:3`, `sp/5`; read when the tracker has no points field (GitHub).")
    size_labels: dict[str, float] = Field(
        default_factory=lambda: {"size/xs": 1.0, "size/s": 2.0, "size/m": 3.0, "size/l": 5.0, "size/xl": 8.0,
                                 "size: xs": 1.0, "size: s": 2.0, "size: m": 3.0, "size: l": 5.0, "size: xl": 8.0},
        description="Work items: labels (case-insensitive) mapped to story points when no points field or "
        "points label is there.")
    milestone_as_epic: bool = Field(
        True, description="Work items: an issue with no parent/epic is grouped under its milestone "
        "(`milestone:<title>`) for the epic forecaster.")
