"""The dashboard over the app (FastAPI TestClient): sign-in with a token exchanged for a session cookie,
CSRF on every form, the API's tenant and role rules, every page rendering from the same use cases as
the API (same numbers), quarantine and feedback through the forms, quarantine downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from argus.api.app import create_app
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.settings import ServerSettings, Settings
from argus.store.admin import create_token
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
