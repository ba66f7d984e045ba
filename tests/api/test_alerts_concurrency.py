"""1,000 alerts from 8 concurrent senders against the REAL server (``argus serve`` on 127.0.0.1), on
SQLite or, with ARGUS_TEST_DATABASE_URL, PostgreSQL: exactly the expected alerts, counts and incidents.

The storm is built so that the right answer does not depend on arrival order: 10 unrelated services,
5 alert fingerprints each, 18 distinct events per fingerprint within 10 minutes (inside both windows),
plus 100 replays of deliveries already sent (same delivery id: counted once), shuffled over 8 senders
that post in batches of 5.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from argus.core.enums import Role
from argus.store.models import Alert, AlertReceipt, Incident
from argus.store.session import unscoped
from argus.testing.databases import upgrade_database
from argus.testing.processes import argus_environment
from argus.testing.server import running_server
from argus.testing.uploads import make_token

SERVICES, NAMES, EVENTS, REPLAYS, SENDERS, BATCH = 10, 5, 18, 100, 8, 5
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def storm(seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events = []
    for s in range(SERVICES):
        for n in range(NAMES):
            for e in range(EVENTS):
                at = T0 + timedelta(seconds=rng.uniform(0, 600))
                events.append({"id": f"s{s}-a{n}-{e}", "name": f"Alert{n}", "service": f"svc{s}",
                               "fingerprint": f"svc{s}/Alert{n}", "severity": "warning", "at": at.isoformat()})
    events += [dict(x) for x in rng.sample(events, REPLAYS)]
    rng.shuffle(events)
    assert len(events) == 1000
    return events


def test_thousand_alerts_from_eight_senders(tmp_path: Path, database_url: str) -> None:
    upgrade_database(database_url)
    engine = create_engine(database_url)
    try:
        token = make_token(engine, "acme", "shop", Role.UPLOADER)
        env = argus_environment(database_url, tmp_path / "home")
        env["ARGUS_SERVER__RATE_LIMIT_ENABLED"] = "false"
        events = storm()
        batches = [events[i:i + BATCH] for i in range(0, len(events), BATCH)]
        with running_server(env, tmp_path / "srv") as srv:
            def send(part: list[list[dict[str, Any]]]) -> list[int]:
                with httpx.Client(base_url=srv.url, timeout=60.0,
                                  headers={"Authorization": f"Bearer {token}"}) as c:
                    return [c.post("/api/v1/projects/shop/alerts/generic",
                                   content=json.dumps({"alerts": b}).encode()).status_code for b in part]

            with ThreadPoolExecutor(SENDERS) as pool:
                codes = [c for part in pool.map(send, [batches[i::SENDERS] for i in range(SENDERS)]) for c in part]
            assert codes == [200] * len(batches), srv.logs()[-3000:]
        with Session(engine) as s, unscoped(s, reason="test"):
            alerts = list(s.scalars(select(Alert)))
            incidents = list(s.scalars(select(Incident)))
            receipts = s.scalar(select(func.count()).select_from(AlertReceipt))
        assert len(alerts) == SERVICES * NAMES
        assert {a.count for a in alerts} == {EVENTS}
        assert receipts == SERVICES * NAMES * EVENTS
        assert len(incidents) == SERVICES
        assert sorted((i.alert_count, i.event_count, tuple(i.services)) for i in incidents) == \
            sorted((NAMES, NAMES * EVENTS, (f"svc{s}",)) for s in range(SERVICES))
        by_incident = {i.id: {a.service for a in alerts if a.incident_id == i.id} for i in incidents}
        assert all(len(v) == 1 for v in by_incident.values())
    finally:
        engine.dispose()
