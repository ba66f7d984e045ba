"""Notifications against a real receiver on 127.0.0.1: Slack and signed generic webhooks, routing by
priority / service / owner, retries with a log, escalation when unacknowledged, quiet hours for P3."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from argus.analysis.incidents.schemas import IncidentState
from argus.app import incidents as uc
from argus.app.incidents_notify import notify
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource
from argus.core.settings import ChannelKind, ChannelSettings
from argus.ingest.alerts.signatures import verify
from argus.testing.http import serve

FIX = Path(__file__).parents[1] / "ingest" / "alerts" / "fixtures"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@dataclass
class Inbox:
    got: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    fail_next: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    box = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("content-length", 0)))
            with box.lock:
                if box.fail_next.get(self.path, 0) > 0:
                    box.fail_next[self.path] -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                box.got.append((self.path, json.loads(data), {k.lower(): v for k, v in self.headers.items()}
                                | {"_raw": data.decode()}))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    with serve(Handler) as url:
        yield box, url


def configure(rt: Runtime, url: str) -> None:
    cfg = rt.settings.incidents
    cfg.channels = [
        ChannelSettings(name="slack-pages", kind=ChannelKind.SLACK, url=SecretStr(f"{url}/slack"),
                        priorities=["P0", "P1"]),
        ChannelSettings(name="payments-hook", kind=ChannelKind.WEBHOOK, url=SecretStr(f"{url}/hook"),
                        secret=SecretStr("hook-key"), owners=["team-payments"]),
        ChannelSettings(name="low", kind=ChannelKind.WEBHOOK, url=SecretStr(f"{url}/low"), priorities=["P3"]),
        ChannelSettings(name="managers", kind=ChannelKind.WEBHOOK, url=SecretStr(f"{url}/escalate"),
                        escalation_only=True),
    ]
    cfg.delivery_backoff_s = 60.0
    uc.load_services(rt, FIX / "services.yaml", "shop")


def alert(rt: Runtime, at: datetime, **fields: Any) -> Any:
    body = json.dumps({"at": at.isoformat(), **fields}).encode()
    return uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, body, "t", "shop", received_at=at))


def test_routing_signing_retry_and_log(runtime: Runtime, inbox: tuple[Inbox, str]) -> None:
    box, url = inbox
    configure(runtime, url)
    box.fail_next["/hook"] = 1
    out = alert(runtime, T0, name="PaymentsDown", service="payments", severity="critical", environment="prod")
    done = notify(runtime, "shop", now=T0 + timedelta(seconds=5))
    assert (done.sent, done.retried) == (1, 1)
    (path, msg, _h), = box.got
    assert path == "/slack" and "PaymentsDown" in msg["text"] and "[P0]" in msg["text"]
    # the failed webhook waits for its backoff, then goes out signed
    assert notify(runtime, "shop", now=T0 + timedelta(seconds=30)).sent == 0
    assert notify(runtime, "shop", now=T0 + timedelta(seconds=70)).sent == 1
    path, msg, headers = box.got[-1]
    assert path == "/hook" and msg["type"] == "incident.opened" and msg["incident"]["services"] == ["payments"]
    assert verify(AlertSource.GENERIC, "hook-key", headers["_raw"].encode(), headers)
    detail = uc.show_incident(runtime, out.incident_ids[0], "shop")
    hook = next(n for n in detail.notifications if n.channel == "payments-hook")
    assert hook.status == "sent" and hook.attempts == 2 and hook.response_status == 200


def test_gives_up_after_the_last_attempt(runtime: Runtime, inbox: tuple[Inbox, str]) -> None:
    box, url = inbox
    configure(runtime, url)
    runtime.settings.incidents.delivery_attempts = 2
    box.fail_next["/slack"] = 5
    alert(runtime, T0, name="Down", service="search", severity="critical")
    notify(runtime, "shop", now=T0)
    done = notify(runtime, "shop", now=T0 + timedelta(hours=1))
    assert done.failed == 1 and not [p for p, _, _ in box.got if p == "/slack"]


def test_escalation_when_unacknowledged_only(runtime: Runtime, inbox: tuple[Inbox, str]) -> None:
    box, url = inbox
    configure(runtime, url)
    a = alert(runtime, T0, name="Down", service="search", severity="critical")
    b = alert(runtime, T0, name="Slow", service="cache", severity="critical")
    uc.transition(runtime, uc.TransitionRequest(b.incident_ids[0], IncidentState.ACKNOWLEDGED, "alice", project="shop"))
    notify(runtime, "shop", now=T0 + timedelta(minutes=1))
    assert notify(runtime, "shop", now=T0 + timedelta(minutes=5)).escalations == 0
    done = notify(runtime, "shop", now=T0 + timedelta(minutes=16))
    assert done.escalations >= 1
    escalated = [m for p, m, _ in box.got if p == "/escalate"]
    assert [m["incident"]["id"] for m in escalated] == [a.incident_ids[0]]
    assert escalated[0]["type"] == "incident.escalated"
    assert notify(runtime, "shop", now=T0 + timedelta(minutes=30)).escalations == 0  # once per channel


def test_quiet_hours_hold_p3(runtime: Runtime, inbox: tuple[Inbox, str]) -> None:
    box, url = inbox
    configure(runtime, url)
    night = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    alert(runtime, night, name="DiskAt70", service="search", severity="info", environment="prod")
    assert notify(runtime, "shop", now=night + timedelta(minutes=5)).sent == 0
    assert not [p for p, _, _ in box.got if p == "/low"]
    notify(runtime, "shop", now=datetime(2026, 11, 21, 7, 1, tzinfo=UTC))
    assert [p for p, _, _ in box.got if p == "/low"] == ["/low"]
