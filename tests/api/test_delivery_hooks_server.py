"""Delivery webhooks on the real server (``argus serve``, uvicorn in a subprocess on 127.0.0.1): GitLab
Deployment Hooks authenticated by X-Gitlab-Token, GitHub deployment_status through the alerts route
(signed) also recorded as delivery deployments, and the DORA report counting them with no sync."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from argus.core.db import create_db_engine
from argus.core.enums import Role
from argus.ingest.alerts.signatures import hmac_hex
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project
from argus.store.session import make_session_factory
from argus.testing.databases import upgrade_database
from argus.testing.processes import argus_environment
from argus.testing.server import running_server

BASE = "/api/v1/projects/shop"


def _seed(url: str) -> tuple[str, str]:
    engine = create_db_engine(url)
    try:
        with make_session_factory(engine)() as s:
            org = get_or_create_org(s, "default")
            rival = get_or_create_org(s, "rival")
            get_or_create_project(s, "shop", "default")
            viewer, _ = create_token(s, org, "v", Role.VIEWER, "test")
            other, _ = create_token(s, rival, "o", Role.ADMIN, "test")
            s.commit()
    finally:
        engine.dispose()
    return viewer, other


def _gitlab_deployment(dep: int, status: str, at: str, sha: str, tier: str = "production") -> bytes:
    return json.dumps({
        "object_kind": "deployment", "status": status, "status_changed_at": at, "deployment_id": dep,
        "deployable_id": 700 + dep, "environment": "prod-eu", "environment_tier": tier,
        "project": {"id": 7, "path_with_namespace": "acme/shop"}, "short_sha": sha[:8],
        "commit_url": f"https://gitlab.example/acme/shop/-/commit/{sha}", "commit_title": "x"}).encode()


def _gitlab_issue(iid: int, kind: str, state: str, created: str, *, closed: str | None = None,
                  labels: tuple[str, ...] | list[str] = ()) -> bytes:
    """GitLab's Issue Hook body (the fields Argus reads, shaped as GitLab sends them)."""
    action = "close" if state == "closed" else "open"
    return json.dumps({
        "object_kind": "issue", "event_type": "incident" if kind == "incident" else "issue",
        "user": {"id": 1, "username": "root"},
        "project": {"id": 7, "name": "shop", "path_with_namespace": "acme/shop"},
        "object_attributes": {"id": 900 + iid, "iid": iid, "title": f"outage {iid}", "state": state,
                              "action": action, "issue_type": kind, "type": kind.upper(), "created_at": created,
                              "updated_at": closed or created, "closed_at": closed, "project_id": 7,
                              "severity": "critical" if kind == "incident" else "unknown"},
        "labels": [{"id": n, "title": t, "type": "ProjectLabel"} for n, t in enumerate(labels)],
        "repository": {"name": "shop"}}).encode()


def test_webhooks_feed_dora_without_sync(tmp_path: Path, database_url: str) -> None:
    upgrade_database(database_url)
    viewer, other = _seed(database_url)
    env = argus_environment(database_url, tmp_path / "home")
    env["ARGUS_DELIVERY__WEBHOOK_SECRETS"] = json.dumps({"default/shop/gitlab": "gl-s3cret"})
    env["ARGUS_INCIDENTS__SECRETS"] = json.dumps({"default/shop/github": "gh-s3cret"})
    with running_server(env, tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=30) as http:
        hook = f"{BASE}/delivery/hooks/gitlab"
        gl = {"X-Gitlab-Event": "Deployment Hook", "Content-Type": "application/json"}
        body = _gitlab_deployment(10, "running", "2024-02-28 10:00:00 +0100", "c1" * 20)
        assert http.post(hook, content=body, headers=gl).status_code == 401  # no token, no secret
        bad = http.post(hook, content=body, headers={**gl, "X-Gitlab-Token": "wrong"})
        assert bad.status_code == 401
        foreign = http.post(hook, content=body, headers={**gl, "Authorization": f"Bearer {other}"})
        assert foreign.status_code in (403, 404)
        ok = {**gl, "X-Gitlab-Token": "gl-s3cret"}
        r = http.post(hook, content=body, headers=ok)
        assert r.status_code == 200, r.text
        assert r.json()["rows"] == {"deployments.csv": 1, "deployment_commits.csv": 1}
        for dep, status, at, sha in ((10, "success", "2024-02-28 10:30:00 +0100", "c1" * 20),
                                     (11, "running", "2024-03-02T09:00:00Z", "c3" * 20),
                                     (11, "success", "2024-03-02T10:00:00Z", "c3" * 20),
                                     (12, "failed", "2024-03-03T10:00:00Z", "c4" * 20)):
            r = http.post(hook, content=_gitlab_deployment(dep, status, at, sha), headers=ok)
            assert r.status_code == 200, r.text
        ignored = http.post(hook, content=b'{"object_kind": "push"}', headers={**ok, "X-Gitlab-Event": "Push Hook"})
        assert ignored.status_code == 200 and ignored.json()["ignored"]
        broken = http.post(hook, content=b'{"object_kind": "deployment"}', headers=ok)
        assert broken.status_code == 422, broken.text

        # the same GitHub event that reaches incidents is also a delivery deployment
        gh = json.dumps({
            "deployment_status": {"state": "success", "environment": "production",
                                  "created_at": "2024-03-04T10:00:00Z", "updated_at": "2024-03-04T10:00:00Z"},
            "deployment": {"id": 77, "sha": "d" * 40, "environment": "production", "created_at": "2024-03-04T09:30:00Z"},
            "repository": {"name": "web", "full_name": "acme/web"}}).encode()
        r = http.post(f"{BASE}/alerts/github", content=gh, headers={
            "X-GitHub-Event": "deployment_status", "Content-Type": "application/json",
            "X-Hub-Signature-256": f"sha256={hmac_hex('gh-s3cret', gh)}"})
        assert r.status_code == 200, r.text

        # a GitLab incident (Issue Hook of issue_type incident) is a delivery incident; other issues are not
        inc = _gitlab_issue(5, "incident", "opened", "2024-03-02 12:00:00 UTC")
        issue_hook = {**gl, "X-Gitlab-Event": "Issue Hook"}
        assert http.post(hook, content=inc, headers={**issue_hook, "X-Gitlab-Token": "wrong"}).status_code == 401
        r = http.post(hook, content=inc, headers={**issue_hook, "X-Gitlab-Token": "gl-s3cret"})
        assert r.status_code == 200, r.text
        assert r.json()["rows"] == {"incidents.csv": 1}
        closed = _gitlab_issue(5, "incident", "closed", "2024-03-02 12:00:00 UTC", closed="2024-03-02 13:30:00 UTC")
        assert http.post(hook, content=closed, headers={**issue_hook, "X-Gitlab-Token": "gl-s3cret"}).status_code == 200
        by_label = _gitlab_issue(6, "issue", "opened", "2024-03-03T11:00:00Z", labels=["Incident", "sev1"])
        assert http.post(hook, content=by_label, headers={**issue_hook, "X-Gitlab-Token": "gl-s3cret"}).json()["rows"]
        plain = _gitlab_issue(7, "issue", "opened", "2024-03-03T11:00:00Z", labels=["bug"])
        r = http.post(hook, content=plain, headers={**issue_hook, "X-Gitlab-Token": "gl-s3cret"})
        assert r.status_code == 200 and r.json()["ignored"] and not r.json()["rows"]

        auth = {"Authorization": f"Bearer {viewer}"}
        detail = http.get(f"{BASE}/dora/detail", headers=auth).json()
        assert detail["incidents"]["acme/shop#5"] == {"deployment_id": "gitlab:acme/shop:11"}
        assert detail["incidents"]["acme/shop#6"] == {"deployment_id": "gitlab:acme/shop:11"}  # 12 failed
        assert "acme/shop#7" not in detail["incidents"]
        assert detail["deployments"]["gitlab:acme/shop:11"] == {"previous_deployment_id": "gitlab:acme/shop:10"}
        assert detail["deployments"]["gitlab:acme/shop:12"] == {"previous_deployment_id": None}  # failed
        assert "github:acme/web:77" in detail["deployments"]
        report = http.get(f"{BASE}/dora", params={"from": "2024-02-01", "to": "2024-03-31"}, headers=auth).json()
        assert report["coverage"]["deployment_rows"] == 4  # 10, 11, 12 (failed) and acme/web 77
        assert report["coverage"]["production_deployments"] == 3  # successful ones
        freq = next(m for m in report["metrics"] if m["key"] == "deployment_frequency")
        assert freq["inputs"]["deployments"] == 3  # successful production deployments
