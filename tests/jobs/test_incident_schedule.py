"""Incident notifications go out by themselves: the ``notify_cron`` schedule (the in-process executor on
SQLite, real ``argus worker`` processes on both backends) escalates an unacknowledged incident after
the configured time without anyone calling ``notify``, and an alert ingest that opened an incident
(the server's route, ``argus alerts ingest``) is followed by a notification job. Two workers deliver
each message once. The receiver is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from argus.app import incidents as uc
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource, Role
from argus.core.settings import ChannelKind, ChannelSettings, Settings
from argus.core.settings.jobs import JobSettings
from argus.jobs import tasks
from argus.jobs.dispatch import uses_queue
from argus.jobs.service import ListJobsRequest, list_jobs
from argus.testing.http import serve

PROJECT = "shop"
EVERY_SECOND = "* * * * * *"
RUN = "import sys; from argus.cli.app import main; sys.exit(main(sys.argv[1:]))"


@dataclass
class Inbox:
    got: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.got]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    box = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("content-length", 0)))
            with box.lock:
                box.got.append((self.path, json.loads(data)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    with serve(Handler) as url:
        yield box, url


def channels(url: str) -> list[ChannelSettings]:
    return [ChannelSettings(name="pager", kind=ChannelKind.WEBHOOK, url=SecretStr(f"{url}/pager"),
                            priorities=["P0", "P1"], kinds=["opened", "resolved"]),
            ChannelSettings(name="managers", kind=ChannelKind.WEBHOOK, url=SecretStr(f"{url}/escalate"),
                            escalation_only=True)]


def channels_env(url: str) -> str:
    return json.dumps([{"name": c.name, "kind": c.kind.value, "url": c.url.get_secret_value(),
                        "priorities": c.priorities, "kinds": c.kinds, "escalation_only": c.escalation_only}
                       for c in channels(url)])


def configure(settings: Settings, url: str, escalate_after_s: float = 1.0) -> None:
    settings.incidents.channels = channels(url)
    settings.incidents.escalate_after_s = escalate_after_s
    settings.incidents.quiet_hours = None
    settings.jobs.notify_cron = EVERY_SECOND


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def page(rt: Runtime, name: str = "PaymentsDown") -> int:
    """Fire a critical (P0) alert now; the id of its incident."""
    body = json.dumps({"name": name, "service": "payments", "severity": "critical", "environment": "prod"})
    out = uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, body.encode(), "t", PROJECT))
    assert out.incidents_opened == 1
    return out.incident_ids[0]


def notify_jobs(rt: Runtime) -> int:
    return sum(j.kind == tasks.INCIDENTS_NOTIFY and j.status == "succeeded"
               for j in list_jobs(rt, ListJobsRequest(PROJECT, limit=1000)))


def settle(rt: Runtime, more: int = 3) -> None:
    """Let ``more`` further notification ticks run (they must send nothing new)."""
    start = notify_jobs(rt)
    wait_for(f"{more} more notification ticks", lambda: notify_jobs(rt) >= start + more)


def test_the_in_process_executor_escalates_without_anyone_calling_notify(
        tmp_path: Path, database_url: str, engine: Engine, inbox: tuple[Inbox, str]) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("the in-process executor runs the jobs of SQLite")
    from argus.jobs.executor import InProcessExecutor

    box, url = inbox
    settings = Settings(home=tmp_path / "home", database_url=database_url,  # type: ignore[arg-type]
                        jobs=JobSettings(backoff_base_s=0.0))
    configure(settings, url)
    rt = Runtime(settings)
    executor = InProcessExecutor(rt, tick_s=0.2)
    try:
        incident = page(rt)
        wait_for("the escalation", lambda: "/escalate" in box.paths())
        settle(rt)
    finally:
        executor.close()
        rt.close()
    assert sorted(box.paths()) == ["/escalate", "/pager"]  # each once
    escalated = next(m for p, m in box.got if p == "/escalate")
    assert escalated["type"] == "incident.escalated" and escalated["incident"]["id"] == incident


def test_two_workers_escalate_once_without_anyone_calling_notify(
        tmp_path: Path, database_url: str, engine: Engine, cli_env: dict[str, str],
        inbox: tuple[Inbox, str]) -> None:
    """Real ``argus worker`` processes (procrastinate on PostgreSQL, the polling worker on SQLite)."""
    box, url = inbox
    env = {**os.environ, **cli_env, "ARGUS_INCIDENTS__CHANNELS": channels_env(url),
           "ARGUS_INCIDENTS__ESCALATE_AFTER_S": "1", "ARGUS_INCIDENTS__QUIET_HOURS": "",
           "ARGUS_JOBS__NOTIFY_CRON": EVERY_SECOND, "ARGUS_JOBS__BACKOFF_BASE_S": "0"}
    settings = Settings(home=tmp_path / "home", database_url=database_url,  # type: ignore[arg-type]
                        jobs=JobSettings(backoff_base_s=0.0))
    configure(settings, url)
    rt = Runtime(settings)
    rt.in_project(PROJECT, lambda scope: None, create=True)
    if uses_queue(rt):
        from argus.jobs.queue import ensure_schema

        ensure_schema(rt)
    args = ["worker", "--poll", "0.2"]
    workers = [subprocess.Popen([sys.executable, "-c", RUN, *args], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    try:
        incident = page(rt)
        wait_for("the escalation", lambda: "/escalate" in box.paths()
                 or any(w.poll() is not None for w in workers))
        assert all(w.poll() is None for w in workers), [w.stderr.read() for w in workers if w.stderr]
        settle(rt)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        rt.close()
    assert sorted(box.paths()) == ["/escalate", "/pager"]  # each once, though two workers ran the ticks
    assert next(m for p, m in box.got if p == "/escalate")["incident"]["id"] == incident


def test_the_alerts_route_is_followed_by_a_notification_job(
        tmp_path: Path, database_url: str, engine: Engine, inbox: tuple[Inbox, str]) -> None:
    from fastapi.testclient import TestClient

    from argus.api.app import create_app
    from argus.testing.uploads import make_token

    box, url = inbox
    settings = Settings(home=tmp_path / "home", database_url=database_url,  # type: ignore[arg-type]
                        jobs=JobSettings(backoff_base_s=0.0))
    configure(settings, url, escalate_after_s=3600)
    settings.jobs.notify_cron = "0 0 1 1 *"  # the schedule does not send it: the job after the ingest does
    settings.server.rate_limit_enabled = False
    rt = Runtime(settings)
    if uses_queue(rt):
        from argus.jobs.queue import ensure_schema

        ensure_schema(rt)
    rt.close()
    with TestClient(create_app(settings)) as client:
        token = make_token(engine, "acme", PROJECT, Role.MAINTAINER)
        body = {"name": "PaymentsDown", "service": "payments", "severity": "critical", "environment": "prod"}
        r = client.post(f"/api/v1/projects/{PROJECT}/alerts/generic", json=body,
                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["incidents_opened"] == 1
        dispatcher = client.app.state.on_upload  # type: ignore[attr-defined]
        if uses_queue(dispatcher.runtime):
            from argus.jobs.queue import run_worker

            run_worker(dispatcher.runtime, wait=False, schedules=False)
        else:
            assert dispatcher.drain(timeout_s=120)
    assert box.paths() == ["/pager"]
    assert box.got[0][1]["type"] == "incident.opened"


def test_the_alerts_ingest_command_sends_the_opened_message(
        tmp_path: Path, database_url: str, engine: Engine, cli_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, inbox: tuple[Inbox, str]) -> None:
    from argus.cli.app import main

    box, url = inbox
    monkeypatch.setenv("ARGUS_INCIDENTS__CHANNELS", channels_env(url))
    monkeypatch.setenv("ARGUS_INCIDENTS__QUIET_HOURS", "")
    if database_url.startswith("postgresql"):
        from argus.jobs.queue import apply_schema

        apply_schema(database_url)
    path = tmp_path / "alert.json"
    path.write_text(json.dumps({"name": "PaymentsDown", "service": "payments", "severity": "critical",
                                "environment": "prod"}))
    assert main(["alerts", "ingest", str(path), "--source", "generic", "-p", PROJECT]) == 0
    if database_url.startswith("postgresql"):
        from argus.jobs.queue import run_worker

        rt = Runtime(Settings(home=tmp_path / "home", database_url=database_url))  # type: ignore[arg-type]
        try:
            run_worker(rt, wait=False, schedules=False)
        finally:
            rt.close()
    assert box.paths() == ["/pager"]
    # the same file again is a repeat: no new incident, no new message
    assert main(["alerts", "ingest", str(path), "--source", "generic", "-p", PROJECT]) == 0
    assert box.paths() == ["/pager"]
