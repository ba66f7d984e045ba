"""The dashboard over the app (FastAPI TestClient): sign-in with a token exchanged for a session cookie,
CSRF on every form, the API's tenant and role rules, every page rendering from the same use cases as
the API (same numbers), quarantine and feedback through the forms, quarantine downloads."""

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
from argus.app.dashboard import IncidentsRequest, change_risks, incident_list
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource, Role
from argus.core.settings import ServerSettings, Settings
from argus.store.admin import create_token
from argus.store.models import Commit, InsightRow
from argus.store.models.risk import ModelVersion, RiskPrediction
from argus.store.projects import get_or_create_org, get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import History

ORG, OTHER, PROJECT, SECRET_PROJECT = "acme", "rival", "shop", "blog"
MARKER = "zebra-marker"  # in test names of project "shop" only
PAGES = ["", "/tests", "/flaky", "/clusters", "/gates", "/review", "/changes"]


@dataclass
class Dash:
    app: object
    runtime: Runtime
    tokens: dict[str, str]

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")  # type: ignore[arg-type]


def history(h: History, runs: int = 12) -> None:
    for i in range(runs):
        h.run(f"c{i:03d}", {f"tests/test_{MARKER}.py::test_add": "FP" if i % 3 == 0 else "P",
                            "tests/test_pay.py::test_card": "F" if i >= 4 else "P",
                            "tests/test_home.py::test_index": "P"}, branch="main" if i % 2 else "feature")


@pytest.fixture
def dash(settings: Settings, engine: object) -> Iterator[Dash]:
    import dataclasses

    from argus.app import failures, flaky

    settings = settings.model_copy(update={"server": ServerSettings(rate_limit_enabled=False)})
    app = create_app(settings)
    rt = app.state.runtime
    tokens: dict[str, str] = {}
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, ORG), get_or_create_org(s, OTHER)
        get_or_create_project(s, PROJECT, ORG)
        blog = get_or_create_project(s, SECRET_PROJECT, ORG)
        get_or_create_project(s, "elsewhere", OTHER)
        for name, org, role, project in (("viewer", acme, Role.VIEWER, None), ("maintainer", acme, Role.MAINTAINER, None),
                                         ("blog_admin", acme, Role.ADMIN, blog), ("foreign", rival, Role.ADMIN, None)):
            tokens[name], _ = create_token(s, org, name, role, "test", project=project)
    with rt.unit_of_work() as s:
        scoped_to(s, get_or_create_project(s, PROJECT, ORG))
        history(History(s, message=f"AssertionError: {MARKER} expected 200, got 503"))
    ort = dataclasses.replace(rt, _settings=rt.settings.model_copy(update={"default_org": ORG}), _engine=rt.engine())
    flaky.analyze(ort, flaky.AnalyzeRequest(PROJECT))
    failures.analyze(ort, failures.AnalyzeRequest(PROJECT))
    yield Dash(app, rt, tokens)


def login(client: TestClient, token: str, next_path: str = "/") -> None:
    page = client.get("/login")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post("/login", data={"token": token, "csrf": csrf.group(1), "next": next_path}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == next_path


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None and found.group(1)
    return found.group(1)


def api(client: TestClient, token: str, path: str, **params: object) -> list[dict]:
    """Every item of a paged API list."""
    items: list[dict] = []
    cursor = None
    while True:
        q = dict(params, limit=200, **({"cursor": cursor} if cursor else {}))
        r = client.get(f"/api/v1/projects/{PROJECT}{path}", params=q, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def kpi(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}"><span class="n">([^<]*)</span>', html)
    assert found is not None, name
    return found.group(1)


def test_without_a_session_every_page_asks_to_sign_in(dash: Dash) -> None:
    with dash.client() as c:
        for path in ["/", *(f"/p/{PROJECT}{p}" for p in PAGES), f"/p/{PROJECT}/tests/1"]:
            r = c.get(path, follow_redirects=False)
            assert r.status_code == 401, path
            assert "Sign in to Argus" in r.text and MARKER not in r.text
        r = c.post(f"/p/{PROJECT}/flaky/state", data={"test": "x", "state": "quarantined"})
        assert r.status_code == 401


def test_sign_in_sets_a_strict_httponly_cookie_and_refuses_bad_tokens_and_forged_forms(dash: Dash) -> None:
    with dash.client() as c:
        page = c.get("/login")
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["x-frame-options"] == "DENY"
        csrf = csrf_of(page.text)
        bad = c.post("/login", data={"token": "argus_nope", "csrf": csrf, "next": "/"}, follow_redirects=False)
        assert bad.status_code == 401 and "Unknown, revoked or expired token" in bad.text
        forged = c.post("/login", data={"token": dash.tokens["viewer"], "csrf": "forged", "next": "/"},
                        follow_redirects=False)
        assert forged.status_code == 403 and "argus_session" not in forged.headers.get("set-cookie", "")
        csrf = csrf_of(c.get("/login").text)
        ok = c.post("/login", data={"token": dash.tokens["viewer"], "csrf": csrf, "next": "//evil.example/x"},
                    follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
        cookie = ok.headers["set-cookie"]
        assert "argus_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert dash.tokens["viewer"] not in cookie  # the token's secret never goes to the browser
        # "/" opens the first project the token may see (by name: blog before shop)
        assert c.get("/", follow_redirects=False).headers["location"] == f"/p/{SECRET_PROJECT}"
        assert c.get(f"/p/{PROJECT}").status_code == 200


def test_a_tampered_cookie_is_no_session(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        value = c.cookies.get("argus_session")
        assert value
        body, mac = value.split(".")
        c.cookies.set("argus_session", body + "." + mac[:-2] + ("AA" if not mac.endswith("AA") else "BB"))
        assert c.get(f"/p/{PROJECT}").status_code == 401


def test_revoking_the_token_ends_its_sessions(dash: Dash) -> None:
    from argus.store.models import ApiToken

    with dash.client() as c:
        login(c, dash.tokens["maintainer"])
        assert c.get(f"/p/{PROJECT}").status_code == 200
        with dash.runtime.unit_of_work() as s:
            for row in s.query(ApiToken).filter(ApiToken.name == "maintainer"):
                from argus.core.clock import utcnow

                row.revoked_at = utcnow()
        r = c.get(f"/p/{PROJECT}")
        assert r.status_code == 401 and "Sign in" in r.text


def test_every_page_renders_and_the_overview_numbers_match_the_api(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        for path in PAGES:
            r = c.get(f"/p/{PROJECT}{path}")
            assert r.status_code == 200, (path, r.text[:500])
            assert "<svg" in r.text or path not in ("", "/clusters")
        tok = dash.tokens["viewer"]
        overview = c.get(f"/p/{PROJECT}").text
        assert kpi(overview, "runs") == str(len(api(c, tok, "/runs")))
        assert kpi(overview, "flaky") == str(len(api(c, tok, "/flaky", kind="flaky_test")))
        assert kpi(overview, "broken") == str(len(api(c, tok, "/flaky", kind="broken_test")))
        feature = c.get(f"/p/{PROJECT}", params={"branch": "feature"}).text
        assert kpi(feature, "runs") == str(len([r for r in api(c, tok, "/runs") if r["branch"] == "feature"]))
        # tests: searchable, each linking to its page with the strip, duration chart and verdict
        tests = api(c, tok, "/tests")
        listed = c.get(f"/p/{PROJECT}/tests", params={"q": MARKER}).text
        assert MARKER in listed and "test_card" not in listed
        flaky = next(t for t in tests if MARKER in t["identity"])
        page = c.get(f"/p/{PROJECT}/tests/{flaky['id']}").text
        assert 'class="chart strip"' in page and "baseline band" in page
        assert "Flaky verdict" in page and "<table class=\"evidence\">" in page
        # clusters: the list and a cluster's page
        clusters = api(c, tok, "/clusters")
        assert clusters
        assert f"#{clusters[0]['id']}" in c.get(f"/p/{PROJECT}/clusters").text
        assert "Affected tests" in c.get(f"/p/{PROJECT}/clusters/{clusters[0]['id']}").text
        # paging: a page of one test links to the next
        assert c.get(f"/p/{PROJECT}/tests/999999").status_code == 404


def test_list_paging_follows_the_cursor(dash: Dash) -> None:
    import argus.api.web.routes as routes

    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        old = routes.PAGE_SIZE
        routes.PAGE_SIZE = 1
        try:
            first = c.get(f"/p/{PROJECT}/tests").text
            nxt = re.search(r'rel="next" href="([^"]+)"', first)
            assert nxt is not None
            second = c.get(nxt.group(1).replace("&amp;", "&")).text
            assert "first page" in second
        finally:
            routes.PAGE_SIZE = old


def test_a_viewer_sees_no_forms_and_cannot_post_them(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        flaky = c.get(f"/p/{PROJECT}/flaky").text
        assert "Quarantine and mark fixed need a maintainer token" in flaky
        assert 'action="/p/shop/flaky/state"' not in flaky
        r = c.post(f"/p/{PROJECT}/flaky/state", data={"test": "x", "state": "quarantined", "csrf": csrf_of(flaky)})
        assert r.status_code == 403


def test_quarantine_needs_the_csrf_token_then_changes_the_state_the_api_reports(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["maintainer"])
        tok = dash.tokens["maintainer"]
        test = next(v["test"] for v in api(c, tok, "/flaky", kind="flaky_test"))
        html = c.get(f"/p/{PROJECT}/flaky").text
        r = c.post(f"/p/{PROJECT}/flaky/state", data={"test": test, "state": "active", "csrf": csrf_of(html)})
        assert next(v for v in api(c, tok, "/flaky") if v["test"] == test)["state"] == "active"
        forged = c.post(f"/p/{PROJECT}/flaky/state", data={"test": test, "state": "quarantined", "csrf": "x"})
        assert forged.status_code == 403
        assert next(v for v in api(c, tok, "/flaky") if v["test"] == test)["state"] == "active"  # unchanged
        r = c.post(f"/p/{PROJECT}/flaky/state", data={"test": test, "state": "quarantined", "csrf": csrf_of(html)},
                   follow_redirects=False)
        assert r.status_code == 303
        assert next(v for v in api(c, tok, "/flaky") if v["test"] == test)["state"] == "quarantined"
        listed = c.get(r.headers["location"]).text
        assert "Done: test now quarantined" in listed
        # every quarantine form the CLI writes can be downloaded, and holds the test
        from argus.report.quarantine import ExportFormat

        for fmt in ExportFormat:
            got = c.get(f"/p/{PROJECT}/flaky/quarantine/{fmt.value}")
            assert got.status_code == 200 and "attachment" in got.headers["content-disposition"], fmt
        assert test in c.get(f"/p/{PROJECT}/flaky/quarantine/json").json()["tests"][0]["id"]
        assert c.get(f"/p/{PROJECT}/flaky/quarantine/nope").status_code == 404
        r = c.post(f"/p/{PROJECT}/flaky/state", data={"test": test, "state": "fixed", "csrf": csrf_of(html)},
                   follow_redirects=False)
        assert next(v for v in api(c, tok, "/flaky") if v["test"] == test)["state"] == "fixed"


def test_feedback_in_the_review_queue_moves_calibration(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["maintainer"])
        html = c.get(f"/p/{PROJECT}/review").text
        ids = re.findall(r'data-insight="(\d+)"', html)
        assert ids, "the review queue is empty"
        assert "No feedback yet" in html
        r = c.post(f"/p/{PROJECT}/review/{ids[0]}", data={"verdict": "corrected", "csrf": csrf_of(html)})
        assert r.status_code == 422  # a correction needs a note
        r = c.post(f"/p/{PROJECT}/review/{ids[0]}", data={"verdict": "accepted", "csrf": "forged"})
        assert r.status_code == 403
        r = c.post(f"/p/{PROJECT}/review/{ids[0]}", data={"verdict": "accepted", "note": "right", "csrf": csrf_of(html)},
                   follow_redirects=False)
        assert r.status_code == 303
        after = c.get(r.headers["location"]).text
        assert "Feedback recorded: accepted" in after
        assert re.search(r'data-feedback="1"', after)
        assert f'data-insight="{ids[0]}"' not in after  # left the pending queue
        insights = api(c, dash.tokens["maintainer"], "/insights")
        assert [f["verdict"] for i in insights if str(i["id"]) == ids[0] for f in i["feedback"]] == ["accepted"]


def test_a_foreign_token_sees_nothing_and_a_project_token_sees_only_its_project(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["foreign"])
        home = c.get("/", follow_redirects=False)
        assert PROJECT not in home.headers.get("location", "") and MARKER not in home.text
        for path in [*PAGES, "/tests/1", "/clusters/1", "/flaky/quarantine/json"]:
            r = c.get(f"/p/{PROJECT}{path}")
            assert r.status_code == 404, path
            assert MARKER not in r.text
        r = c.post(f"/p/{PROJECT}/review/1", data={"verdict": "accepted", "csrf": "x"})
        assert r.status_code == 404
        assert 'action="/logout"' in r.text  # an error page still lets one sign out
    with dash.client() as c:
        login(c, dash.tokens["blog_admin"])
        assert c.get("/", follow_redirects=False).headers["location"] == f"/p/{SECRET_PROJECT}"
        assert c.get(f"/p/{PROJECT}").status_code == 404
        page = c.get(f"/p/{SECRET_PROJECT}").text
        assert f'<option value="{PROJECT}"' not in page  # the picker lists only what the token may see


def test_bearer_tokens_work_for_scripts_without_csrf(dash: Dash) -> None:
    with dash.client() as c:
        auth = {"Authorization": f"Bearer {dash.tokens['viewer']}"}
        assert c.get(f"/p/{PROJECT}", headers=auth).status_code == 200
        assert c.get(f"/p/{PROJECT}", headers={"Authorization": "Bearer argus_nope"}).status_code == 401


def test_public_paths_show_nothing_of_any_project(dash: Dash) -> None:
    from argus.api.web import PUBLIC_PAGES

    with dash.client() as c:
        for path in PUBLIC_PAGES:
            r = c.get(path)
            assert MARKER not in r.text and PROJECT not in r.text
        assert c.get("/static/argus.css").status_code == 200
        assert c.get("/static/argus.js").status_code == 200
        assert c.get("/static/../templates/base.html").status_code == 404
        r = c.post("/logout", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(dash: Dash) -> None:
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}").text
        assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
        r = c.post("/logout", data={"csrf": csrf_of(html)}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get(f"/p/{PROJECT}").status_code == 401


# --- change risk and incidents --------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def org_rt(dash: Dash) -> Runtime:
    rt = dash.runtime
    return dataclasses.replace(rt, _settings=rt.settings.model_copy(update={"default_org": ORG}), _engine=rt.engine())


def alert(rt: Runtime, at: datetime, **fields: object) -> None:
    body = json.dumps({"at": at.isoformat(), **fields}).encode()
    uc.ingest(rt, uc.IngestRequest(AlertSource.GENERIC, body, "t", PROJECT, received_at=at, org=ORG))


def seed_incidents(dash: Dash) -> None:
    rt = org_rt(dash)
    alert(rt, T0, name="PaymentsDown", service="payments", severity="critical", environment="prod")
    alert(rt, T0 + timedelta(seconds=30), name="PaymentsLatency", service="payments", severity="warning",
          environment="prod")
    alert(rt, T0 + timedelta(days=2), name="SearchSlow", service="search", severity="info", environment="prod")


def seed_risk(dash: Dash) -> tuple[str, str]:
    """Two commits, one assessed twice (the newer prediction counts), one never."""
    assessed, plain = "a" * 40, "b" * 40
    with dash.runtime.unit_of_work() as s:
        project = get_or_create_project(s, PROJECT, ORG)
        scoped_to(s, project)
        for i, sha in enumerate((assessed, plain)):
            t = T0 - timedelta(hours=i + 1)
            s.add(Commit(project_id=project.id, sha=sha, author_name="Ann", author_email="a@x", author_time=t,
                         committer_name="Ann", committer_email="a@x", committer_time=t, message=f"change {i}"))
        m = ModelVersion(project_id=project.id, name="risk", version=1, algorithm="lgbm", label="szz",
                         data_hash="0" * 64, status="champion", artefact="{}")
        s.add(m)
        s.flush()
        ins = InsightRow(project_id=project.id, kind="change_risk", subject_type="change", subject_id=assessed,
                         title="risk", summary="", raw_confidence=0.7, confidence=0.7, grounding="grounded",
                         review_tier="autonomous",
                         data={"factors": [{"feature": "la", "value": 420.0, "contribution": 0.9},
                                           {"feature": "entropy", "value": 0.8, "contribution": -0.3},
                                           {"feature": "ndev", "value": 5.0, "contribution": 0.2},
                                           {"feature": "exp", "value": 1.0, "contribution": 0.05}]})
        s.add(ins)
        s.flush()
        s.add(RiskPrediction(project_id=project.id, model_id=m.id, subject=assessed, commit_sha=assessed,
                             probability=0.2, level="GO"))
        s.flush()
        s.add(RiskPrediction(project_id=project.id, model_id=m.id, subject=assessed, commit_sha=assessed,
                             probability=0.83, level="BLOCK", insight_id=ins.id))
    return assessed, plain


def test_change_risks_reads_the_latest_prediction_and_its_top_factors(dash: Dash) -> None:
    assessed, plain = seed_risk(dash)
    risks = change_risks(org_rt(dash), PROJECT, [assessed, plain])
    assert set(risks) == {assessed}
    r = risks[assessed]
    assert (r.score, r.level) == (83, "BLOCK")
    assert [f.feature for f in r.factors] == ["la", "entropy", "ndev"]  # by |contribution|, top 3


def test_the_changes_page_shows_risk_score_level_and_factors_or_a_dash(dash: Dash) -> None:
    assessed, plain = seed_risk(dash)
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/changes").text
    rows = {sha: html[html.index(f"<code>{sha[:10]}</code>"):] for sha in (assessed, plain)}
    row_a = rows[assessed][: rows[assessed].index("</tr>")]
    row_b = rows[plain][: rows[plain].index("</tr>")]
    assert "83 BLOCK" in row_a and "risk-block" in row_a and "la = 420.00: +0.90" in row_a
    assert "top factors: la +0.90, entropy -0.30, ndev +0.20" in row_a
    assert "BLOCK" not in row_b and "—" in row_b and "not assessed" in row_b


def test_incident_list_filters_by_status_service_priority_and_pages(dash: Dash) -> None:
    seed_incidents(dash)
    rt = org_rt(dash)
    everything = incident_list(rt, IncidentsRequest(PROJECT, 50))
    assert len(everything.items) == 2
    pay, search = sorted(everything.items, key=lambda i: i.id)
    assert pay.alerts == 2 and pay.service == "payments"
    assert [i.id for i in incident_list(rt, IncidentsRequest(PROJECT, 50, service="search")).items] == [search.id]
    assert [i.id for i in incident_list(rt, IncidentsRequest(PROJECT, 50, priority=pay.priority)).items] == [pay.id]
    assert incident_list(rt, IncidentsRequest(PROJECT, 50, state="resolved")).items == ()
    first = incident_list(rt, IncidentsRequest(PROJECT, 1))
    assert first.next_cursor is not None
    second = incident_list(rt, IncidentsRequest(PROJECT, 1, first.next_cursor))
    assert [first.items[0].id, second.items[0].id] == [search.id, pay.id] and second.next_cursor is None
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/incidents", params={"service": "payments"}).text
        assert "PaymentsDown" in html and "SearchSlow" not in html and 'aria-current="page"' in html
        assert "Incidents</a>" in c.get(f"/p/{PROJECT}/changes").text  # in the navigation
        paged = c.get(f"/p/{PROJECT}/incidents", params={"priority": search.priority, "state": "detected"})
        assert paged.status_code == 200 and "SearchSlow" in paged.text


def test_an_incident_page_is_read_only_for_viewers(dash: Dash) -> None:
    seed_incidents(dash)
    pay = min(i.id for i in incident_list(org_rt(dash), IncidentsRequest(PROJECT, 50)).items)
    with dash.client() as c:
        login(c, dash.tokens["viewer"])
        html = c.get(f"/p/{PROJECT}/incidents/{pay}").text
        assert "PaymentsDown" in html and "PaymentsLatency" in html
        assert "Alerts and why they are grouped here" in html and "first alert of incident" in html
        assert "Lifecycle log" in html and "Candidate changes" in html
        assert "/transition" not in html
        r = c.post(f"/p/{PROJECT}/incidents/{pay}/transition", data={"csrf": csrf_of(html), "state": "acknowledged"},
                   follow_redirects=False)
        assert r.status_code == 403
        assert c.get(f"/p/{PROJECT}/incidents/999999").status_code == 404


def test_a_maintainer_acknowledges_then_resolves_with_csrf(dash: Dash) -> None:
    seed_incidents(dash)
    pay = min(i.id for i in incident_list(org_rt(dash), IncidentsRequest(PROJECT, 50)).items)
    url = f"/p/{PROJECT}/incidents/{pay}"
    with dash.client() as c:
        login(c, dash.tokens["maintainer"])
        html = c.get(url).text
        assert 'data-action="acknowledged"' in html and 'data-action="resolved"' in html
        forged = c.post(f"{url}/transition", data={"csrf": "nope", "state": "acknowledged"}, follow_redirects=False)
        assert forged.status_code == 403
        assert uc.show_incident(org_rt(dash), pay, PROJECT).incident.state == "detected"
        bad = c.post(f"{url}/transition", data={"csrf": csrf_of(html), "state": "learned"}, follow_redirects=False)
        assert bad.status_code == 422
        r = c.post(f"{url}/transition", data={"csrf": csrf_of(html), "state": "acknowledged", "note": "on it"},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(url)
        html = c.get(r.headers["location"]).text
        assert "Incident acknowledged." in html and "on it" in html
        assert 'data-action="acknowledged"' not in html  # no longer a legal step
        r = c.post(f"{url}/transition", data={"csrf": csrf_of(html), "state": "resolved"}, follow_redirects=False)
        assert r.status_code == 303
    shown = uc.show_incident(org_rt(dash), pay, PROJECT)
    assert shown.incident.state == "resolved"
    assert [t.to_state for t in shown.transitions][-2:] == ["acknowledged", "resolved"]
    assert any(t.actor and t.note == "on it" for t in shown.transitions)


def test_a_foreign_token_sees_no_incidents(dash: Dash) -> None:
    seed_incidents(dash)
    pay = min(i.id for i in incident_list(org_rt(dash), IncidentsRequest(PROJECT, 50)).items)
    with dash.client() as c:
        login(c, dash.tokens["foreign"])
        for path in (f"/p/{PROJECT}/incidents", f"/p/{PROJECT}/incidents/{pay}"):
            r = c.get(path)
            assert r.status_code == 404 and "PaymentsDown" not in r.text
        assert c.post(f"/p/{PROJECT}/incidents/{pay}/transition", data={"state": "resolved"}).status_code in (403, 404)
    assert re.search("detected", uc.show_incident(org_rt(dash), pay, PROJECT).incident.state)
