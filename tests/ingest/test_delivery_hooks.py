"""Delivery rows from GitHub / GitLab webhook bodies (pure parser): GitLab pipeline hooks with their
builds as tasks, GitLab time formats, GitHub workflow_run, refusals that name the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from argus.core.errors import InputError
from argus.ingest.delivery.github_actions import Patterns
from argus.ingest.delivery.hooks import hook_time, parse

P = Patterns()


def _rows(found, file):
    return found.parsed.rows(file)


def test_gitlab_pipeline_hook_builds_become_tasks() -> None:
    body = {"object_kind": "pipeline", "project": {"path_with_namespace": "g/app"},
            "object_attributes": {"id": 31, "ref": "main", "sha": "abc", "status": "success",
                                  "created_at": "2016-08-12 15:23:28 UTC", "finished_at": "2016-08-12 15:26:29 UTC",
                                  "duration": 63},
            "builds": [{"id": 380, "name": "build", "status": "success"},
                       {"id": 381, "name": "release", "status": "success",
                        "environment": {"name": "prod-eu", "action": "start", "deployment_tier": "production"}},
                       {"id": 382, "name": "deploy-prod", "status": "skipped", "environment": None}]}
    found = parse("gitlab", "Pipeline Hook", json.dumps(body).encode(), P)
    (pipe,) = _rows(found, "ci_pipelines.csv")
    assert pipe["ext_id"] == "gitlab:g/app:31" and pipe["result"] == "SUCCESS" and pipe["status"] == "DONE"
    assert pipe["finished_at"] == datetime(2016, 8, 12, 15, 26, 29, tzinfo=UTC) and pipe["duration_sec"] == 63
    tasks = {t["name"]: t for t in _rows(found, "ci_tasks.csv")}
    assert tasks["build"]["type"] is None
    assert tasks["release"]["type"] == "DEPLOYMENT" and tasks["release"]["environment"] == "PRODUCTION"
    assert tasks["deploy-prod"]["result"] == "SKIPPED" and tasks["deploy-prod"]["environment"] == "PRODUCTION"
    assert _rows(found, "ci_pipeline_commits.csv") == [
        {"pipeline_id": "gitlab:g/app:31", "repo": "g/app", "commit_sha": "abc", "branch": "main"}]


def test_gitlab_times_with_offsets() -> None:
    assert hook_time("gitlab", "2021-04-28 21:50:00 +0200", "t") == datetime(2021, 4, 28, 19, 50, tzinfo=UTC)
    assert hook_time("gitlab", "2021-04-28T21:50:00Z", "t") == datetime(2021, 4, 28, 21, 50, tzinfo=UTC)
    with pytest.raises(InputError, match="status_changed_at"):
        hook_time("gitlab", "yesterday", "status_changed_at")


def test_github_workflow_run_is_a_pipeline() -> None:
    body = {"action": "completed", "repository": {"name": "web", "full_name": "acme/web"},
            "workflow_run": {"id": 5, "name": "Deploy to production", "status": "completed", "conclusion": "failure",
                             "head_sha": "f" * 40, "head_branch": "main", "created_at": "2024-01-01T10:00:00Z",
                             "run_started_at": "2024-01-01T10:00:00Z", "updated_at": "2024-01-01T10:20:00Z"}}
    found = parse("github", "workflow_run", json.dumps(body).encode(), P)
    (pipe,) = _rows(found, "ci_pipelines.csv")
    assert pipe["type"] == "DEPLOYMENT" and pipe["environment"] == "PRODUCTION" and pipe["result"] == "FAILURE"
    assert pipe["duration_sec"] == 1200


def test_github_pending_deployment_has_no_result_yet() -> None:
    body = {"deployment_status": {"state": "in_progress", "created_at": "2024-01-01T10:00:00Z"},
            "deployment": {"id": 9, "sha": "a", "environment": "staging", "created_at": "2024-01-01T09:59:00Z"},
            "repository": {"full_name": "acme/web"}}
    (dep,) = _rows(parse("github", "deployment_status", json.dumps(body).encode(), P), "deployments.csv")
    assert dep["result"] is None and dep["finished_at"] is None and dep["environment"] == "STAGING"


@pytest.mark.parametrize(("source", "event", "body", "field"), [
    ("gitlab", "Deployment Hook", {"project": {"path_with_namespace": "g/a"}}, "deployment_id"),
    ("gitlab", "Pipeline Hook", {"object_attributes": {"id": 1}}, "project"),
    ("github", "deployment_status", {"deployment_status": {}, "deployment": {"id": 1}, "repository": {}},
     "full_name"),
    ("github", "workflow_run", {"workflow_run": [], "repository": {"full_name": "a/b"}}, "workflow_run"),
    ("gitlab", "Issue Hook", {"project": {"path_with_namespace": "g/a"},
                              "object_attributes": {"issue_type": "incident"}}, "iid"),
    ("gitlab", "Issue Hook", {"project": {"path_with_namespace": "g/a"},
                              "object_attributes": {"iid": 1, "type": "INCIDENT", "created_at": 5}}, "created_at"),
])
def test_bad_bodies_name_the_field(source, event, body, field) -> None:
    with pytest.raises(InputError, match=field):
        parse(source, event, json.dumps(body).encode(), P)


def test_not_json_and_other_events() -> None:
    with pytest.raises(InputError, match="not JSON"):
        parse("gitlab", None, b"<xml/>", P)
    assert parse("github", "ping", b"{}", P).ignored
    assert parse("gitlab", "Push Hook", b"{}", P).ignored


def _issue(attrs: dict, labels: list | None = None, kind: str = "issue") -> bytes:
    return json.dumps({"object_kind": kind, "project": {"path_with_namespace": "acme/shop"},
                       "object_attributes": attrs, "labels": labels or []}).encode()


def test_gitlab_incident_issue_hooks() -> None:
    opened = parse("gitlab", "Issue Hook", _issue({"iid": 4, "title": "db down", "state": "opened",
                                                   "issue_type": "incident", "created_at": "2024-03-02 12:00:00 UTC",
                                                   "closed_at": None}), P)
    [row] = _rows(opened, "incidents.csv")
    assert row == {"ext_id": "acme/shop#4", "title": "db down", "status": "OPENED",
                   "created_at": datetime(2024, 3, 2, 12, tzinfo=UTC), "resolved_at": None,
                   "repo_or_service": "acme/shop"}
    # closed without closed_at (older GitLab): resolved at updated_at; the object_kind alone is enough
    closed = parse("gitlab", None, _issue({"iid": 4, "state": "closed", "type": "INCIDENT",
                                           "created_at": "2024-03-02T12:00:00Z",
                                           "updated_at": "2024-03-02 14:15:00 +0100"}), P)
    assert _rows(closed, "incidents.csv")[0]["resolved_at"] == datetime(2024, 3, 2, 13, 15, tzinfo=UTC)
    labelled = parse("gitlab", "Confidential Issue Hook",
                     _issue({"iid": 9, "state": "opened", "issue_type": "issue"}, [{"title": "INCIDENT"}]), P)
    assert _rows(labelled, "incidents.csv")[0]["ext_id"] == "acme/shop#9"
    plain = parse("gitlab", "Issue Hook", _issue({"iid": 3, "state": "opened", "issue_type": "issue"},
                                                 [{"title": "bug"}]), P)
    assert plain.ignored and not plain.parsed.files
