"""Issue-tracker data: parsers (Jira CSV, GitHub/GitLab JSON), the bug rule, commit ↔ issue links and
the fix decision that uses them (see docs/ingest/issues.md)."""
