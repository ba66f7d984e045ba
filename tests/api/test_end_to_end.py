"""The team server end to end, as a team uses it: CI uploads reports to the REAL server (``argus serve``
in a subprocess on 127.0.0.1; SQLite, or PostgreSQL with ARGUS_TEST_DATABASE_URL) → the background
jobs analyse them → people query clusters and insights over the API → and give feedback."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from argus.cli.commands.upload import send_upload
from argus.core.enums import Role
from argus.testing.databases import upgrade_database
from argus.testing.processes import argus_argv, argus_environment
from argus.testing.reports import junit
from argus.testing.server import ServerHandle, running_server
from argus.testing.uploads import make_token

FAILURE = '<failure message="ConnectionRefusedError: [Errno 111] Connection refused to db:5432" ' \
          'type="ConnectionRefusedError">trace</failure>'


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[tuple[ServerHandle, str, str]]:
    upgrade_database(database_url)
    env = argus_environment(database_url, tmp_path / "home")
    engine = create_engine(database_url)
    try:
        uploader = make_token(engine, "acme", "web")
        maintainer = make_token(engine, "acme", "web", role=Role.MAINTAINER)
    finally:
        engine.dispose()
    worker = None
    if not database_url.startswith("sqlite"):  # PostgreSQL: jobs go through procrastinate to `argus worker`
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(argus_argv("worker", "--no-schedules"), cwd=tmp_path, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        with running_server(env, tmp_path / "srv") as srv:
            yield srv, uploader, maintainer
        assert srv.stopped_cleanly(), srv.logs()[-3000:]
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)


def _wait_for(get: httpx.Client, path: str, deadline_s: float = 120.0) -> list[dict[str, object]]:
    """Items of ``path`` once there are any (the jobs run after the upload returns)."""
    end = time.monotonic() + deadline_s
    while True:
        r = get.get(path)
        assert r.status_code == 200, r.text
        items: list[dict[str, object]] = r.json()["items"]
        if items or time.monotonic() > end:
            return items
        time.sleep(0.5)


def test_upload_then_jobs_then_query_then_feedback(server: tuple[ServerHandle, str, str], tmp_path: Path) -> None:
    srv, uploader, maintainer = server
    for i in range(3):
        report = tmp_path / f"run{i}" / "unit.xml"
        report.parent.mkdir()
        report.write_text(junit(f"Unit{i}", 6, 2, failure=FAILURE))
        fields = [("provider", "github"), ("run_id", str(500 + i)), ("job", "test"), ("commit", f"{i + 1:040x}"),
                  ("branch", "main")]
        resp = send_upload(srv.url, "web", uploader, [report], fields, tries=5, timeout=60.0)
        assert resp.status_code == 201, resp.text

    headers = {"Authorization": f"Bearer {maintainer}"}
    with httpx.Client(base_url=srv.url, headers=headers, timeout=30.0) as api:
        clusters = _wait_for(api, "/api/v1/projects/web/clusters")
        assert clusters, "the failure-analysis job never produced a cluster"
        assert any("Connection refused" in str(c.get("template", "")) for c in clusters), clusters
        insights = _wait_for(api, "/api/v1/projects/web/insights?kind=failure_cluster")
        assert insights
        insight_id = insights[0]["id"]
        fb = api.post(f"/api/v1/insights/{insight_id}/feedback", json={"verdict": "accepted", "note": "e2e"})
        assert fb.status_code == 201, fb.text
        assert fb.json()["insight_id"] == insight_id and fb.json()["verdict"] == "accepted"
        # a later upload's job may have superseded it meanwhile (a new version of the same cluster insight)
        shown = api.get("/api/v1/projects/web/insights",
                        params={"kind": "failure_cluster", "include_superseded": "true"}).json()["items"]
        assert any(i["id"] == insight_id for i in shown)
        runs = api.get("/api/v1/projects/web/runs").json()["items"]
        assert len(runs) == 3
    # the uploader token cannot give feedback (maintainer and up)
    with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {uploader}"}, timeout=30.0) as api:
        assert api.post(f"/api/v1/insights/{insight_id}/feedback", json={"verdict": "rejected"}).status_code == 403
