"""Command modules and the static registry that lets ``argus`` import only the one that runs.

Each module defines ``register(root: typer.Typer, groups: CommandGroups) -> None``. A command is found
through :data:`ROOT`, :data:`INGEST` or :data:`PARSE` (name → module and the one-line help shown in
listings), so ``argus --help`` and ``argus --version`` import no command module (nor SQLAlchemy).
Adding a command means adding its line here; ``tests/cli/test_startup.py`` fails when a module
registers a command that is not listed, or when a listed help line differs from the command"s own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandEntry:
    """Where a command lives (module of this package) and its one-line help for listings."""

    module: str
    help: str


ROOT: dict[str, CommandEntry] = {
    "alerts": CommandEntry("incidents", "Alerts: take in webhook payloads from files (replay), list them."),
    "ask": CommandEntry("query", "Ask a question in plain words: catalogue questions, or a configured model; SQL always guarded."),
    "ask-feedback": CommandEntry("query", "Mark remembered question → SQL pairs good or bad, add one by hand, or list them."),
    "anomalies": CommandEntry("anomalies", "Anomalies and forecasts of metric series: score files, analyse stored series, NAB."),
    "audit": CommandEntry("audit", "The append-only audit log (who did what, when, with what outcome)."),
    "baseline": CommandEntry("quality", "The rolling baseline the gate uses: the last N green builds on the default branch."),
    "calibration": CommandEntry("insights", "Reliability table: of insights scored in each band, how many were accepted."),
    "changes": CommandEntry("git", "Ingested changes (commits): features, files, bug links."),
    "ci-metrics": CommandEntry("quality", "CI metrics of a build as JSON (schema argus.ci-metrics/v1), optionally pushed to a Pushgateway."),
    "comment": CommandEntry("comment", "Post a Markdown file as the PR comment (GitHub) or MR note (GitLab); a failure only warns."),
    "consume": CommandEntry("consume", "Consume alert payloads from NATS JetStream (durable, at-least-once, idempotent)."),
    "config": CommandEntry("db", "Effective configuration."),
    "db": CommandEntry("db", "Database schema: upgrade and inspect."),
    "dead-letters": CommandEntry("deadletters", "Rejected inputs (dead letters): list, show, retry."),
    "demo": CommandEntry("demo", "Simulate a CI history, ingest it with the normal commands, run every analysis, show what was found."),
    "dora": CommandEntry("delivery", "DORA four keys (DevLake rules) per month and period, with 2021/2023 benchmark buckets."),
    "failures": CommandEntry("failures", "Failure clusters: failures grouped by root cause."),
    "feedback": CommandEntry("insights", "Record a human verdict on an insight (feeds calibration)."),
    "flaky": CommandEntry("flaky", "Flaky vs broken tests: evidence, probability, category, quarantine."),
    "gate": CommandEntry("quality", "Judge a build against the rolling baseline; exit 1 on FAIL (or WARN with --fail-on warn)."),
    "incidents": CommandEntry("incidents", "Incidents: correlated alerts, lifecycle, merge/split, MTTA/MTTR, notifications."),
    "insights": CommandEntry("insights", "Stored insights: what the analyses found, with evidence."),
    "jobs": CommandEntry("jobs", "Background jobs: list (the failed ones with --failed), retry."),
    "metrics": CommandEntry("metrics", "Metric series: ingest CSV or OpenMetrics text, pull from Prometheus."),
    "models": CommandEntry("risk", "Model registry of change risk: list, train, evaluate, promote, drift."),
    "projects": CommandEntry("admin", "Projects (every row belongs to one)."),
    "query": CommandEntry("query", "Run one read-only SELECT over the semantic layer (guarded, confined to the project)."),
    "risk": CommandEntry("risk", "Change risk: assess a change or range (argus risk SHA), evaluate on a Kamei CSV."),
    "prs": CommandEntry("delivery", "Merged pull requests with their lead-time breakdown (DevLake rules)."),
    "work": CommandEntry("delivery", "Work-item models: story-point estimator, epic lead-time forecaster."),
    "select": CommandEntry("selection", "Select the tests a change needs, ranked by failure probability, with reasons."),
    "runbooks": CommandEntry("runbooks", "Runbooks: index Markdown, search (BM25), feedback, proposed actions."),
    "schema": CommandEntry("query", "The semantic layer: the read-only views queries and questions use."),
    "serve": CommandEntry("serve", "Run the team server (HTTP API) with uvicorn."),
    "simulate": CommandEntry("simulate", "Generate synthetic projects: git repos, JUnit/Cobertura/Trivy reports per CI run, ground truth."),
    "sync": CommandEntry("delivery", "Pull delivery data and issues from a live source (GitHub, GitLab, Jira), incrementally."),
    "tokens": CommandEntry("admin", "API tokens for the server (only hashes are stored)."),
    "upload": CommandEntry("upload", "Upload report files to an Argus server (tests, coverage, vulnerability scans; retried safely)."),
    "worker": CommandEntry("worker", "Run background jobs: analyses after uploads, scheduled re-analysis, retention."),
}
"""Top-level commands and groups (``ingest`` and ``parse`` are built in, see :data:`INGEST`)."""

INGEST: dict[str, CommandEntry] = {
    "coverage": CommandEntry("artifacts", "Store coverage reports (idempotent per run); rejected files go to the dead-letter table (exit 6)."),
    "deployments": CommandEntry("incidents", "Store deployments (service, environment, commit, time): candidate causes of later incidents."),
    "delivery": CommandEntry("delivery", "Store delivery CSV files (deployments, CI pipelines, PRs, commits, incidents); all or nothing."),
    "coverage-map": CommandEntry("selection", "Store a per-test coverage map (which tests execute which lines) for test selection."),
    "git": CommandEntry("git", "Ingest git history: commits, files, JIT features, fix labels and SZZ links (incremental)."),
    "issues": CommandEntry("issues", "Store tracker issues (Jira CSV, GitHub/GitLab JSON), link commits to them, re-decide which commits are fixes."),
    "szz": CommandEntry("git", "Label bug-inducing commits (SZZ) of fixes not processed yet, in committed batches (resumable)."),
    "tests": CommandEntry("tests_ingest", "Store test reports (idempotent by content); rejected files go to the dead-letter table (exit 6)."),
    "vulns": CommandEntry("artifacts", "Store vulnerability scans (idempotent per run); rejected files go to the dead-letter table (exit 6)."),
}
"""Sub-commands of ``argus ingest``."""

PARSE: dict[str, CommandEntry] = {
    "tests": CommandEntry("tests_ingest", "Parse test reports without storing them; print per-file counts (exit 6 if any is rejected)."),
}
"""Sub-commands of ``argus parse``."""
