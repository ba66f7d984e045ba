"""The real server (``argus serve``, uvicorn in a subprocess on 127.0.0.1) answers, logs JSON with a
request id, and stops cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from argus.testing.databases import upgrade_database
from argus.testing.processes import argus_environment
from argus.testing.server import running_server


def test_real_server_serves_health_and_stops_cleanly(tmp_path: Path, database_url: str) -> None:
    upgrade_database(database_url)
    env = argus_environment(database_url, tmp_path / "home")
    with running_server(env, tmp_path) as srv:
        assert srv.alive()
        resp = httpx.get(f"{srv.url}/readyz", headers={"X-Request-ID": "probe-1"})
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"status": "ready"}
    srv.stop()
    assert srv.stopped_cleanly(), srv.logs()
    lines = [json.loads(line) for line in srv.log_lines()]  # every line is one JSON object
    access = [rec for rec in lines if rec["logger"] == "argus.api.access" and rec["route"] != "/healthz"]
    assert [(a["request_id"], a["route"], a["status"]) for a in access] == [("probe-1", "/readyz", 200)], lines
    assert resp.headers["x-request-id"] == "probe-1"
