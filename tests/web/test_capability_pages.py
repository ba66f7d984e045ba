"""The dashboard pages of delivery (DORA and pull requests), anomalies (list and a metric with its
markers), ask (catalogue answer and refusal) and the incident page's runbook recommendations and
postmortem, over the app (TestClient) on real data, through the same use cases as the CLI and API."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app import anomaly as an
from argus.app import delivery as dl
from argus.app import incidents as inc
from argus.app import postmortem as pm
from argus.app import runbooks as rb
from argus.app.query import AskRequest, ask
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource, Role
from argus.core.settings import ServerSettings, Settings
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

ORG, OTHER, PROJECT = "acme", "rival", "shop"
ROOT = Path(__file__).parents[2]
DELIVERY_FIXTURE = ROOT / "tests" / "analysis" / "delivery" / "fixtures" / "pipelines"
RUNBOOKS = ROOT / "docs" / "examples" / "runbooks"
T0 = datetime(2026, 1, 1)
SPIKE = 280


@dataclass
class World:
    app: object
    rt: Runtime  # acting as organisation acme
    tokens: dict[str, str]

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")  # type: ignore[arg-type]


@pytest.fixture
def world(settings: Settings, engine: object) -> Iterator[World]:
    settings = settings.model_copy(update={"server": ServerSettings(rate_limit_enabled=False)})
    app = create_app(settings)
    rt = app.state.runtime
    tokens: dict[str, str] = {}
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, ORG), get_or_create_org(s, OTHER)
        get_or_create_project(s, PROJECT, ORG)
        get_or_create_project(s, "empty", ORG)
        for name, org, role in (("viewer", acme, Role.VIEWER), ("maintainer", acme, Role.MAINTAINER),
                                ("foreign", rival, Role.ADMIN)):
            tokens[name], _ = create_token(s, org, name, role, "test")
    ort = dataclasses.replace(rt, _settings=rt.settings.model_copy(update={"default_org": ORG}), _engine=rt.engine())
    yield World(app, ort, tokens)


def login(client: TestClient, token: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post("/login", data={"token": token, "csrf": csrf.group(1), "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None and found.group(1)
    return found.group(1)


# --- delivery ----------------------------------------------------------------------------------------


def test_delivery_page_shows_the_report_the_api_gives_with_trends_and_pr_breakdowns(world: World) -> None:
    dl.ingest_delivery(world.rt, dl.IngestRequest(DELIVERY_FIXTURE, PROJECT))
    report = dl.dora_report(world.rt, dl.DoraRequest(PROJECT, save=False))
    prs = dl.list_prs(world.rt, dl.PrListRequest(PROJECT, limit=50))
    assert prs.items
    with world.client() as c:
        login(c, world.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/delivery").text
        assert "Delivery (DORA)" in html and "No delivery data yet" not in html
        for m in report.metrics:
            assert f'data-metric="{m.key}"' in html and m.name in html
            for b in m.benchmarks:
                assert f"{b.report}: {b.bucket or 'no bucket'}" in html
        assert html.count('class="chart line"') == 4  # the four monthly trends
        staged = [p for p in prs.items if any(getattr(p, f"{k}_time_min") for k in ("coding", "pickup", "review",
                                                                                     "deploy"))]
        assert staged and html.count('class="chart hbar"') == len(staged)
        first = prs.items[0]
        assert f"/p/{PROJECT}/delivery/prs/{quote(first.pr_id, safe='')}" in html
        detail = c.get(f"/p/{PROJECT}/delivery/prs/{quote(first.pr_id, safe='')}")
        assert detail.status_code == 200 and "How it was measured" in detail.text
        shown = dl.show_pr(world.rt, dl.PrShowRequest(first.pr_id, PROJECT))
        assert all(line in detail.text for line in [re.sub(r"[<>&\"']", "", x) for x in shown.explanation
                                                     if not re.search(r"[<>&\"']", x)])
        assert c.get(f"/p/{PROJECT}/delivery/prs/no-such-pr").status_code == 404
        # the period is a filter: an explicit range shows those days
        api = c.get(f"/api/v1/projects/{PROJECT}/dora", params={"from": str(report.first_day), "to": str(report.last_day)},
                    headers={"Authorization": f"Bearer {world.tokens['viewer']}"})
        assert api.status_code == 200
        ranged = c.get(f"/p/{PROJECT}/delivery", params={"first": str(report.first_day), "last": str(report.last_day)})
        assert ranged.status_code == 200 and f"{report.first_day} to {report.last_day}" in ranged.text
        assert c.get(f"/p/{PROJECT}/delivery", params={"first": "yesterday"}).status_code == 400


def test_delivery_page_without_data_says_how_to_load_it(world: World) -> None:
    with world.client() as c:
        login(c, world.tokens["viewer"])
        html = c.get("/p/empty/delivery").text
        assert "No delivery data yet" in html and "argus ingest delivery" in html and "argus sync github" in html


# --- anomalies ---------------------------------------------------------------------------------------


def _metrics(rt: Runtime) -> None:
    rows = ["timestamp,value"]
    for i in range(288):
        v = 60 + 3 * math.sin(i * 0.7) + (i % 5) * 0.4 + (300 if i == SPIKE else 0)
        rows.append(f"{(T0 + timedelta(hours=i)).isoformat()},{v:.3f}")
    an.ingest_metrics(rt, an.IngestRequest("q.csv", tuple(rows), "build.queue_s", PROJECT))
    an.analyze(rt, an.AnalyzeRequest(PROJECT))


def test_anomalies_list_and_the_metric_page_with_markers_and_band(world: World) -> None:
    _metrics(world.rt)
    listed = an.list_anomalies(world.rt, an.ListRequest(PROJECT)).items
    assert listed
    with world.client() as c:
        login(c, world.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/anomalies").text
        assert all(a.title in html for a in listed)
        assert f"/p/{PROJECT}/metrics?key=build.queue_s" in html and "288" in html
        page = c.get(f"/p/{PROJECT}/metrics", params={"key": "build.queue_s"})
        assert page.status_code == 200
        assert page.text.count('<g class="marker">') >= 1  # the spike is ringed
        assert "<polygon" in page.text and "baseline range" in page.text  # the band
        assert "Newest 288 of 288 points" in page.text
        assert c.get(f"/p/{PROJECT}/metrics", params={"key": "nope"}).status_code == 404
        assert c.get("/p/empty/anomalies").status_code == 200


# --- ask ---------------------------------------------------------------------------------------------


def _alert(rt: Runtime, at: datetime, **fields: object) -> int:
    body = json.dumps({"at": at.isoformat(), **fields}).encode()
    out = inc.ingest(rt, inc.IngestRequest(AlertSource.GENERIC, body, "t", PROJECT, received_at=at, org=ORG))
    return out.incident_ids[0]


def test_ask_answers_from_the_catalogue_and_refuses_with_the_nearest_intents(world: World) -> None:
    _alert(world.rt, datetime(2026, 3, 1, tzinfo=UTC), name="PaymentsDown", service="payments", severity="critical")
    with world.client() as c:
        login(c, world.tokens["viewer"])
        form = c.get(f"/p/{PROJECT}/ask").text
        assert 'name="q"' in form
        forged = c.post(f"/p/{PROJECT}/ask", data={"q": "how many incidents", "csrf": "nope"})
        assert forged.status_code == 403
        r = c.post(f"/p/{PROJECT}/ask", data={"q": "how many incidents", "csrf": csrf_of(form)})
        assert r.status_code == 200, r.text
        want = ask(world.rt, AskRequest("how many incidents", PROJECT))
        assert want.answered and want.result is not None
        assert 'data-answered="yes"' in r.text and want.summary in r.text
        assert want.result.sql in r.text and f"<td>{want.result.rows[0][0]}</td>" in r.text
        no = c.post(f"/p/{PROJECT}/ask", data={"q": "what is the meaning of life", "csrf": csrf_of(form)})
        refused = ask(world.rt, AskRequest("what is the meaning of life", PROJECT))
        assert 'data-answered="no"' in no.text and "cannot answer" in no.text
        assert all(f"<code>{n}</code>" in no.text for n in refused.nearest)
        assert c.post(f"/p/{PROJECT}/ask", data={"q": " ", "csrf": csrf_of(form)}).status_code == 422
    with world.client() as c:
        login(c, world.tokens["foreign"])
        assert c.get(f"/p/{PROJECT}/ask").status_code == 404


# --- incident: runbooks and postmortem ------------------------------------------------------------------


def test_incident_page_recommends_runbooks_and_a_maintainer_drafts_the_postmortem(world: World, tmp_path: Path) -> None:
    shutil.copytree(RUNBOOKS, tmp_path / "runbooks")
    rb.index(world.rt, tmp_path / "runbooks", PROJECT)
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    iid = _alert(world.rt, at, name="HighErrorRate", service="checkout", severity="critical",
                 starts_at=at.isoformat())
    recs = rb.recommend(world.rt, rb.RecommendRequest(iid, PROJECT))
    assert recs.items
    url = f"/p/{PROJECT}/incidents/{iid}"
    with world.client() as c:
        login(c, world.tokens["viewer"])
        html = c.get(url).text
        main = html[html.index("<main>"):html.index("</main>")]
        assert html.count("Recommended runbooks") == 1 and "Recommended runbooks" in main and all(r.runbook.key in html for r in recs.items)
        assert "No postmortem drafted yet." in html and "/postmortem" not in html
        assert c.post(f"{url}/postmortem", data={"csrf": csrf_of(html)}).status_code == 403
    with world.client() as c:
        login(c, world.tokens["maintainer"])
        html = c.get(url).text
        assert 'data-action="postmortem"' in html
        assert c.post(f"{url}/postmortem", data={"csrf": "nope"}, follow_redirects=False).status_code == 403
        r = c.post(f"{url}/postmortem", data={"csrf": csrf_of(html), "cause": "a bad config push"},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(url)
        after = c.get(r.headers["location"]).text
        drafted = pm.get(world.rt, iid, PROJECT)
        assert drafted.cause == "a bad config push" and "a bad config push" in after
        assert drafted.title in after and "Redraft postmortem" in after
    with world.client() as c:
        login(c, world.tokens["foreign"])
        assert c.get(url).status_code == 404


def test_new_pages_are_404_for_a_foreign_token_and_need_a_session(world: World) -> None:
    paths = [f"/p/{PROJECT}/delivery", f"/p/{PROJECT}/delivery/prs/x", f"/p/{PROJECT}/anomalies",
             f"/p/{PROJECT}/metrics?key=x", f"/p/{PROJECT}/ask"]
    with world.client() as c:
        for path in paths:
            assert c.get(path, follow_redirects=False).status_code == 401, path
        login(c, world.tokens["foreign"])
        for path in paths:
            assert c.get(path).status_code == 404, path
    with world.client() as c:
        login(c, world.tokens["viewer"])
        nav = c.get(f"/p/{PROJECT}/ask").text
        assert all(f'href="/p/{PROJECT}/{x}"' in nav for x in ("delivery", "anomalies", "ask"))
