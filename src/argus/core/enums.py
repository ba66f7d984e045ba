"""Shared enumerations used across layers (stored as their string values)."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """Outcome of one test attempt, as the test tool meant it."""

    PASSED = "passed"
    FAILED = "failed"  # an assertion failed
    ERROR = "error"  # the test could not run to an assertion (exception in setup, crash ...)
    SKIPPED = "skipped"

    @property
    def is_failure(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR)


class Support(StrEnum):
    """Strength of the evidence behind a claim or of one evidence item."""

    STRONG = "strong"
    MODERATE = "moderate"
    WEAK = "weak"


class Grounding(StrEnum):
    GROUNDED = "grounded"
    PARTIALLY_GROUNDED = "partially_grounded"
    UNGROUNDED = "ungrounded"


class ReviewTier(StrEnum):
    """How much human review an insight needs before anyone acts on it (most autonomous first)."""

    AUTONOMOUS = "autonomous"
    ASYNC_REVIEW = "async_review"
    PRE_APPROVAL = "pre_approval"
    HUMAN_REQUIRED = "human_required"


class InsightKind(StrEnum):
    FLAKY_TEST = "flaky_test"
    BROKEN_TEST = "broken_test"
    FAILURE_CLUSTER = "failure_cluster"
    NOVEL_FAILURE = "novel_failure"
    CHANGE_RISK = "change_risk"
    GATE_VERDICT = "gate_verdict"
    ANOMALY = "anomaly"
    FORECAST_BREACH = "forecast_breach"
    COVERAGE_GAP = "coverage_gap"
    INCIDENT_HYPOTHESIS = "incident_hypothesis"
    DORA_REPORT = "dora_report"
    TEST_SELECTION = "test_selection"
    INCIDENT = "incident"
    PR_REWORK = "pr_rework"
    STORY_POINTS = "story_points"
    EPIC_FORECAST = "epic_forecast"


class SubjectType(StrEnum):
    """What an insight is about (``insight.subject_type``); the registry: any other string is refused."""

    TEST = "test"  # subject id: the test's identity
    BUILD = "build"  # subject id: the build key (CI run id or commit)
    FAILURE_CLUSTER = "failure_cluster"  # subject id: the failure_cluster row id
    METRIC_SERIES = "metric_series"  # subject id: the series key (name{label="v",...})
    CHANGE = "change"  # subject id: a commit sha, base..head (change risk), or "diff:<sha256 prefix>" (selection)
    DELIVERY_PERIOD = "delivery_period"  # subject id: "<first day>..<last day>" of a DORA report
    INCIDENT = "incident"  # subject id: the incident row id
    PULL_REQUEST = "pull_request"  # subject id: the pull request id (pull_requests.csv id)
    WORK_ITEM = "work_item"  # subject id: the work item id (work_items.csv id; an epic is one too)
    HYPOTHESIS = "hypothesis"  # subject id: "<incident row id>:<hypothesis key>" (a candidate cause)


class EvidenceType(StrEnum):
    """What an evidence item points at (``evidence.ref_type``): a stored row's table, or a commit sha.

    The registry of evidence references; any other string is refused.
    """

    TEST_RUN = "test_run"  # ref id: test_run row id
    TEST_RESULT = "test_result"  # ref id: test_result row id
    COMMIT = "commit"  # ref id: the commit sha
    COVERAGE_REPORT = "coverage_report"  # ref id: coverage_report row id
    VULN_REPORT = "vuln_report"  # ref id: vuln_report row id
    METRIC_WINDOW = "metric_window"  # ref id: "<metric_series id>:<first ISO time>/<last ISO time>" (judged points)
    METRIC_BASELINE = "metric_baseline"  # ref id: same form, the points the window was judged against
    COVERAGE_MAP_ENTRY = "coverage_map_entry"  # ref id: coverage_map_entry row id
    METRIC_FORECAST = "metric_forecast"  # ref id: "<metric_series id>:<origin ISO time>+<horizon>h"
    MODEL_VERSION = "model_version"  # ref id: model_version row id
    RISK_PREDICTION = "risk_prediction"  # ref id: risk_prediction row id
    DEPLOYMENT = "deployment"  # ref id: the deployment row id (deployments.csv id, or PIPELINE_ID:REPO)
    PULL_REQUEST = "pull_request"  # ref id: the pull request id (pull_requests.csv id)
    WORK_ITEM = "work_item"  # ref id: the work item id (work_items.csv id)
    INCIDENT = "incident"  # ref id: the incident id (incidents.csv id)
    ALERT = "alert"  # ref id: the alert row id (its correlation: the reason it joined its incident)
    INCIDENT_SNAPSHOT = "incident_snapshot"  # ref id: the incident_snapshot row id (context at a moment)
    PAST_INCIDENT = "past_incident"  # ref id: the incident row id of an earlier, similar incident
    INSIGHT = "insight"  # ref id: an insight row id (a gate verdict, a failure cluster on a deployed commit)


class FeedbackVerdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CORRECTED = "corrected"


class Role(StrEnum):
    """Role of an API token; each role includes the rights of those before it."""

    VIEWER = "viewer"
    UPLOADER = "uploader"
    MAINTAINER = "maintainer"
    ADMIN = "admin"


class ChangeType(StrEnum):
    """How a commit changed a file (git's name-status letters)."""

    ADDED = "A"
    MODIFIED = "M"
    DELETED = "D"
    RENAMED = "R"
    COPIED = "C"
    TYPE_CHANGED = "T"


class DeadLetterSource(StrEnum):
    TEST_REPORT = "test_report"
    COVERAGE = "coverage"
    VULNERABILITIES = "vulnerabilities"
    GIT = "git"
    WEBHOOK = "webhook"
    ALERT = "alert"


class AlertSource(StrEnum):
    """Where an alert (or a change event) came from: one receiver and parser each."""

    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    PAGERDUTY = "pagerduty"
    DATADOG = "datadog"
    GITHUB = "github"
    GENERIC = "generic"
