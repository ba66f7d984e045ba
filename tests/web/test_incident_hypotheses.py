"""The incident page's hypotheses section (``_incident_hypotheses.html``): ranked hypotheses with the
score breakdown, confidence range and verdict (INCONCLUSIVE with its request for input), and the
maintainer's "accept as cause" form (CSRF) going through the same use case as ``argus incidents cause``."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app import incidents as uc
from argus.app import investigation as inv
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource, Role
from argus.core.settings import ServerSettings, Settings
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

ORG, PROJECT = "acme", "shop"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Dash:
    app: object
    runtime: Runtime
    tokens: dict[str, str]

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")  # type: ignore[arg-type]


@pytest.fixture
def dash(settings: Settings, engine: object) -> Iterator[Dash]:
    settings = settings.model_copy(update={"server": ServerSettings(rate_limit_enabled=False)})
    app = create_app(settings)
    rt = app.state.runtime
    tokens: dict[str, str] = {}
    with rt.unit_of_work() as s:
        acme = get_or_create_org(s, ORG)
        get_or_create_project(s, PROJECT, ORG)
        for name, role in (("viewer", Role.VIEWER), ("maintainer", Role.MAINTAINER)):
            tokens[name], _ = create_token(s, acme, name, role, "test")
    yield Dash(app, rt, tokens)


def org_rt(dash: Dash) -> Runtime:
    rt = dash.runtime
    return dataclasses.replace(rt, _settings=rt.settings.model_copy(update={"default_org": ORG}), _engine=rt.engine())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None and found.group(1)
    return found.group(1)


def login(client: TestClient, token: str) -> None:
    page = client.get("/login")
    r = client.post("/login", data={"token": token, "csrf": csrf_of(page.text), "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def ingest(dash: Dash, body: dict, at: object) -> list[int]:
    out = uc.ingest(org_rt(dash), uc.IngestRequest(AlertSource.GENERIC, json.dumps(body).encode(), "t", PROJECT,
                                                   received_at=at, org=ORG))  # type: ignore[arg-type]
    return list(out.incident_ids)


def seed(dash: Dash) -> tuple[int, int]:
    """A deployment then an error alert on payments (ranked), and a lone alert on search (inconclusive)."""
    ingest(dash, {"deployments": [{"id": "d1", "service": "payments", "environment": "prod", "commit": "c" * 40,
                                   "started_at": (T0 - timedelta(minutes=5)).isoformat()}]}, T0 - timedelta(minutes=5))
    (pay,) = ingest(dash, {"alerts": [{"name": "PaymentsErrors", "service": "payments", "severity": "critical",
                                       "environment": "prod", "labels": {"sigma": "3.5"}, "at": T0.isoformat()}]}, T0)
    t = T0 + timedelta(days=2)
    (lone,) = ingest(dash, {"alerts": [{"name": "SearchOdd", "service": "search", "severity": "info",
                                        "environment": "prod", "at": t.isoformat()}]}, t)
    return pay, lone


def test_viewers_see_ranked_hypotheses_with_breakdown_and_no_form(dash: Dash) -> None:
    pay, lone = seed(dash)
    view = inv.investigate(org_rt(dash), pay, "alice", PROJECT, org=ORG)
    top = view.hypotheses[0]
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/incidents/{pay}").text
        assert "Hypotheses" in html and f'data-hypothesis="{top.key}"' in html
        assert top.title[:40] in html and f"{top.confidence:.2f} [{top.low:.2f}–{top.high:.2f}]" in html
        assert f"→ {top.base:.2f}" in html and "signal · temporal · precedent · evidence · human" in html
        assert "RANKED" in html and 'data-action="accept-cause"' not in html
        r = c.post(f"/p/{PROJECT}/incidents/{pay}/cause", data={"csrf": csrf_of(html), "hypothesis": top.key},
                   follow_redirects=False)
        assert r.status_code == 403
        lone_html = c.get(f"/p/{PROJECT}/incidents/{lone}").text
        assert "INCONCLUSIVE" in lone_html and "Input needed:" in lone_html
    assert inv.accepted(org_rt(dash), pay, PROJECT, org=ORG) is None


def test_a_maintainer_accepts_a_hypothesis_as_the_cause_with_csrf(dash: Dash) -> None:
    pay, _ = seed(dash)
    top = inv.investigate(org_rt(dash), pay, "alice", PROJECT, org=ORG).hypotheses[0]
    url = f"/p/{PROJECT}/incidents/{pay}"
    with dash.client() as c:
        login(c, dash.tokens["maintainer"])
        html = c.get(url).text
        assert 'data-action="accept-cause"' in html
        forged = c.post(f"{url}/cause", data={"csrf": "nope", "hypothesis": top.key}, follow_redirects=False)
        assert forged.status_code == 403
        assert inv.accepted(org_rt(dash), pay, PROJECT, org=ORG) is None
        missing = c.post(f"{url}/cause", data={"csrf": csrf_of(html), "hypothesis": "nonsense"},
                         follow_redirects=False)
        assert missing.status_code == 404
        r = c.post(f"{url}/cause", data={"csrf": csrf_of(html), "hypothesis": top.key}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(url)
        html = c.get(r.headers["location"]).text
        assert "Incident cause recorded." in html and "Recorded cause:" in html and top.cause in html
    acc = inv.accepted(org_rt(dash), pay, PROJECT, org=ORG)
    assert acc is not None and acc.hypothesis_key == top.key and acc.note == "accepted in the dashboard"


def test_the_detection_run_is_shown_before_anyone_investigates(dash: Dash) -> None:
    pay, _ = seed(dash)
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/incidents/{pay}").text
    # detection already investigated it (snapshot_on_detection): the section shows that run
    assert "run " in html and "by argus" in html
