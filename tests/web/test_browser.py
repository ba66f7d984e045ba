"""End to end in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by Selenium)
against the real server (``argus serve``) on the demo data (``argus demo``): sign in, open every page,
check its numbers against the API, quarantine a test, give feedback and see calibration change, receive
a live insight without reloading, and prove a foreign token sees nothing.

Screenshots of every page at 1366×768 (and the overview at phone width) are written to
``$ARGUS_SCREENSHOTS`` (default: the test's temporary folder; the path is printed). Skipped, saying
why, when Chromium, its driver or Selenium is missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from argus.testing.processes import argus_argv, argus_environment
from argus.testing.server import ServerHandle, running_server

CHROMIUM = os.environ.get("ARGUS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ARGUS_CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_S = 30.0
#: Seconds one page may take to load (a stalled connection pool shows as a timeout, not a slow test).
PAGE_LOAD_S = 40.0

pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver; .ci/run does)"
    if not Path(CHROMEDRIVER).exists() and not shutil.which("chromedriver"):
        return f"no chromedriver at {CHROMEDRIVER} (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if os.environ.get("ARGUS_TEST_DATABASE_URL"):
        return "the demo's database is SQLite whatever the suite's backend: these run in the SQLite pass"
    return None


if (_why := _missing()) is not None:
    pytest.skip(f"browser tests skipped: {_why}", allow_module_level=True)


@dataclass
class Site:
    server: ServerHandle
    project: str
    tokens: dict[str, str]
    shots: Path
    env: dict[str, str] | None = None
    root: Path | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, path: str, token: str = "maintainer", method: str = "GET", **params: Any) -> Any:
        r = httpx.request(method, f"{self.url}/api/v1/projects/{self.project}{path}", params=params,
                          headers={"Authorization": f"Bearer {self.tokens[token]}"}, timeout=60)
        assert r.status_code < 300, r.text
        return r.json()

    def every(self, path: str, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.api(path, limit=200, **params, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


def _argus(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(argus_argv(*args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("dashboard")
    env = argus_environment(f"sqlite:///{root / 'unused.db'}", root / "home")
    summary = json.loads(_argus(env, root, "demo", "--scale", "small", "--seed", "7", "--out", str(root / "demo"),
                                "--json"))
    env["ARGUS_DATABASE_URL"] = summary["database_url"]
    project = summary["projects"][0]["project"]
    tokens = {}
    for name, args in (("maintainer", ["--role", "maintainer"]), ("viewer", ["--role", "viewer"]),
                       ("foreign", ["--role", "admin", "--org", "rival"])):
        tokens[name] = json.loads(_argus(env, root, "tokens", "create", name, *args, "--json"))["token"]
    shots = Path(os.environ.get("ARGUS_SCREENSHOTS") or root / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {shots}")
    with running_server(env, root / "server") as srv:
        yield Site(srv, project, tokens, shots, env, root)


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    """One headless Chromium for the module (starting one takes seconds); :func:`browser` resets it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1366,768", "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else str(shutil.which("chromedriver"))
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_window_size(1366, 768)
    # A page that does not load in time fails the test: pages left open their live stream for a minute in
    # Chrome unless the page closes it, and six such streams stall every next page (argus.js closes it).
    driver.set_page_load_timeout(PAGE_LOAD_S)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chrome: Any) -> Any:
    """The module's Chromium as a fresh visitor: no cookies (so no session), on a blank page, at 1366×768."""
    chrome.get("about:blank")
    chrome.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every site's, not only the current page's
    chrome.set_window_size(1366, 768)
    return chrome


def wait_for(check: Any, what: str, timeout: float = WAIT_S) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def sign_in(driver: Any, site: Site, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{site.url}/login")
    driver.find_element(By.ID, "token").send_keys(site.tokens[token])
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda: "/login" not in driver.current_url, "the sign-in to finish")


def shoot(driver: Any, site: Site, name: str) -> None:
    driver.save_screenshot(str(site.shots / f"{name}.png"))


def kpi(driver: Any, name: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, f'[data-kpi="{name}"] .n').text)


def test_sign_in_open_every_page_and_match_the_api(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{site.url}/p/{site.project}")
    assert "Sign in to Argus" in browser.page_source  # no session: the sign-in form
    sign_in(browser, site, "viewer")
    browser.get(f"{site.url}/")
    wait_for(lambda: browser.current_url.endswith(f"/p/{site.project}"), "the overview")
    assert kpi(browser, "runs") == str(len(site.every("/runs")))
    assert kpi(browser, "flaky") == str(len(site.every("/flaky", kind="flaky_test")))
    assert kpi(browser, "broken") == str(len(site.every("/flaky", kind="broken_test")))
    cookie = browser.get_cookie("argus_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    shoot(browser, site, "overview")
    tests = site.every("/tests")
    flaky = site.every("/flaky", kind="flaky_test")
    clusters = site.every("/clusters")
    test_id = next(t["id"] for t in tests if t["identity"] == flaky[0]["test"]) if flaky else tests[0]["id"]
    pages = {"tests": "/tests", "test": f"/tests/{test_id}", "flaky": "/flaky", "clusters": "/clusters",
             "gates": "/gates", "review": "/review", "changes": "/changes"}
    if clusters:
        pages["cluster"] = f"/clusters/{clusters[0]['id']}"
    for name, path in pages.items():
        browser.get(f"{site.url}/p/{site.project}{path}")
        assert "Not found" not in browser.title and browser.find_element(By.TAG_NAME, "h1").text, name
        shoot(browser, site, name)
    browser.get(f"{site.url}/p/{site.project}/flaky")
    rows = browser.find_elements(By.CSS_SELECTOR, "#flaky-table tbody tr[data-test]")
    assert len(rows) == len(site.every("/flaky"))
    browser.get(f"{site.url}/p/{site.project}/clusters")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.spark")) == min(len(clusters), 50)
    browser.get(f"{site.url}/p/{site.project}/tests?q=zzz-no-such-test")
    assert "no tests match" in browser.page_source
    browser.set_window_size(390, 844)  # a phone
    browser.get(f"{site.url}/p/{site.project}")
    shoot(browser, site, "overview-phone")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400, f"the overview scrolls sideways on a phone ({width}px)"


def test_incidents_list_and_page_match_the_api(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    for name, service in (("CheckoutDown", "checkout"), ("CheckoutErrors", "checkout")):
        r = httpx.post(f"{site.url}/api/v1/projects/{site.project}/alerts/generic", timeout=60,
                       json={"name": name, "service": service, "severity": "critical", "environment": "prod"},
                       headers={"Authorization": f"Bearer {site.tokens['maintainer']}"})
        assert r.status_code < 300, r.text
    incidents = site.every("/incidents")
    assert incidents
    sign_in(browser, site, "maintainer")
    browser.get(f"{site.url}/p/{site.project}/incidents")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Incidents"
    rows = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr td.num a")
    assert len(rows) == min(len(incidents), 50)
    shoot(browser, site, "incidents")
    newest = incidents[0]
    browser.get(f"{site.url}/p/{site.project}/incidents/{newest['id']}")
    assert f"Incident {newest['id']}" in browser.find_element(By.TAG_NAME, "h1").text
    assert "CheckoutDown" in browser.page_source and "grouping reason" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, 'button[data-action="acknowledged"]').click()
    wait_for(lambda: "Incident acknowledged." in browser.page_source, "the acknowledgement")
    assert site.api(f"/incidents/{newest['id']}")["incident"]["state"] == "acknowledged"
    shoot(browser, site, "incident")


def test_quarantine_a_test_from_the_flaky_page(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, site, "maintainer")
    test = site.every("/flaky", kind="flaky_test")[0]["test"]
    for action, state in (("unquarantine", "active"), ("quarantine", "quarantined")):
        browser.get(f"{site.url}/p/{site.project}/flaky")
        row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#flaky-table tbody tr[data-test]")
                   if r.get_attribute("data-test") == test)
        buttons = row.find_elements(By.CSS_SELECTOR, f'button[data-action="{action}"]')
        if not buttons:  # already in that state: the other button first
            continue
        buttons[0].click()
        wait_for(lambda: "Done: test now" in browser.page_source, "the state change")
        now = next(v for v in site.every("/flaky") if v["test"] == test)["state"]
        assert now == state
    assert next(v for v in site.every("/flaky") if v["test"] == test)["state"] == "quarantined"
    got = httpx.get(f"{site.url}/p/{site.project}/flaky/quarantine/json", timeout=30,
                    headers={"Authorization": f"Bearer {site.tokens['viewer']}"})
    assert test in [t["id"] for t in got.json()["tests"]]
    shoot(browser, site, "flaky-after-quarantine")


def test_feedback_in_the_review_queue_changes_calibration(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, site, "maintainer")
    browser.get(f"{site.url}/p/{site.project}/review")
    first = browser.find_element(By.CSS_SELECTOR, "article[data-insight]")
    insight_id = first.get_attribute("data-insight")
    kind = next(i["kind"] for i in site.every("/insights") if str(i["id"]) == insight_id)

    def verdicts() -> int:
        figs = browser.find_elements(By.CSS_SELECTOR, f'figure[data-kind="{kind}"] [data-n]')
        return int(figs[0].text) if figs else 0

    before = verdicts()
    first.find_element(By.CSS_SELECTOR, 'button[data-verdict="accepted"]').click()
    wait_for(lambda: "Feedback recorded: accepted" in browser.page_source, "the feedback to be recorded")
    assert verdicts() == before + 1
    assert browser.find_elements(By.CSS_SELECTOR, f'figure[data-kind="{kind}"] svg.reliability .bin')
    assert not browser.find_elements(By.CSS_SELECTOR, f'article[data-insight="{insight_id}"]')
    fb = next(i["feedback"] for i in site.every("/insights") if str(i["id"]) == insight_id)
    assert [f["verdict"] for f in fb] == ["accepted"]
    browser.execute_script("document.getElementById('calibration').scrollIntoView()")
    shoot(browser, site, "review-calibration")


def test_a_new_insight_appears_live_without_reload(site: Site, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    sign_in(browser, site, "viewer")
    browser.get(f"{site.url}/p/{site.project}")
    wait_for(lambda: browser.find_element(By.TAG_NAME, "body").get_attribute("data-live-ready"), "the live stream")
    browser.execute_script("window.__sameDocument = 1")
    commit = site.every("/runs")[0]["commit_sha"]
    made = site.api(f"/gates/{commit}", method="POST")  # records a new gate verdict insight
    new_id = str(made["gate"]["insight_id"])
    item = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, f'#live-list li[data-insight="{new_id}"]'),
                    "the new insight in the live panel")
    assert "Quality gate" in item[0].text
    assert browser.execute_script("return window.__sameDocument") == 1  # no reload happened
    shoot(browser, site, "overview-live")


def test_a_foreign_token_sees_nothing(site: Site, browser: Any) -> None:
    sign_in(browser, site, "foreign")
    browser.get(f"{site.url}/")
    assert "No projects yet" in browser.page_source
    assert site.project not in browser.page_source
    for path in ("", "/tests", "/flaky", "/clusters", "/review", "/flaky/quarantine/json"):
        browser.get(f"{site.url}/p/{site.project}{path}")
        assert re.search(r"Not found|not found", browser.page_source), path
        assert "runs</span>" not in browser.page_source
    shoot(browser, site, "foreign-token")


REPO = Path(__file__).parents[2]


def test_delivery_anomalies_ask_and_runbook_pages(site: Site, browser: Any) -> None:
    """The pages of the later capabilities on real data loaded by the CLI into the running server's
    database: delivery (the DORA fixture), a metric with a spike, runbooks; each page matches the API
    and none scrolls sideways at phone width."""
    import math
    from datetime import datetime, timedelta

    from selenium.webdriver.common.by import By

    assert site.env is not None and site.root is not None
    p = site.project
    _argus(site.env, site.root, "ingest", "delivery", str(REPO / "tests/analysis/delivery/fixtures/pipelines"), "-p", p)
    t0 = datetime(2026, 1, 1)
    rows = ["timestamp,value"] + [f"{(t0 + timedelta(hours=i)).isoformat()},"
                                  f"{60 + 3 * math.sin(i * 0.7) + (i % 5) * 0.4 + (300 if i == 280 else 0):.3f}"
                                  for i in range(288)]
    (site.root / "queue.csv").write_text("\n".join(rows) + "\n")
    _argus(site.env, site.root, "metrics", "ingest", str(site.root / "queue.csv"), "--series", "ci_queue_seconds",
           "-p", p)
    _argus(site.env, site.root, "anomalies", "analyze", "-p", p)
    _argus(site.env, site.root, "runbooks", "index", str(REPO / "docs/examples/runbooks"), "-p", p)
    dora = site.api("/dora")
    sign_in(browser, site, "viewer")
    browser.get(f"{site.url}/p/{p}/delivery")
    for m in dora["metrics"]:
        card = browser.find_element(By.CSS_SELECTOR, f'[data-metric="{m["key"]}"]')
        assert m["name"] in card.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart.line")) == 4
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart.hbar")
    shoot(browser, site, "delivery")
    browser.find_element(By.CSS_SELECTOR, "table.prs tbody tr td a").click()
    wait_for(lambda: "How it was measured" in browser.page_source, "the pull request page")
    shoot(browser, site, "delivery-pr")
    anomalies = site.api("/anomalies", limit=200)["items"]
    browser.get(f"{site.url}/p/{p}/anomalies")
    assert anomalies and all(a["title"] in browser.page_source for a in anomalies[:50])
    shoot(browser, site, "anomalies")
    browser.get(f"{site.url}/p/{p}/metrics?key=ci_queue_seconds")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart.line g.marker")
    shoot(browser, site, "metric")
    browser.get(f"{site.url}/p/{p}/ask")
    box = browser.find_element(By.ID, "q")
    box.send_keys("top 5 failing tests")
    browser.find_element(By.CSS_SELECTOR, "form.ask button[type=submit]").click()
    wait_for(lambda: "data-answered=" in browser.page_source, "the answer")
    api = httpx.post(f"{site.url}/api/v1/projects/{p}/ask", json={"question": "top 5 failing tests"}, timeout=60,
                     headers={"Authorization": f"Bearer {site.tokens['viewer']}"})
    if api.status_code == 200 and api.json().get("answered"):
        assert api.json()["summary"] in browser.page_source
    shoot(browser, site, "ask")
    r = httpx.post(f"{site.url}/api/v1/projects/{p}/alerts/generic", timeout=60,
                   json={"name": "HighErrorRate", "service": "checkout", "severity": "critical"},
                   headers={"Authorization": f"Bearer {site.tokens['maintainer']}"})
    assert r.status_code < 300, r.text
    incident = site.every("/incidents")[0]
    browser.get(f"{site.url}/p/{p}/incidents/{incident['id']}#runbooks")
    assert "Recommended runbooks" in browser.page_source and "Postmortem" in browser.page_source
    shoot(browser, site, "incident-runbooks")
    browser.set_window_size(390, 844)
    try:
        for path in ("/delivery", "/anomalies", "/metrics?key=ci_queue_seconds", "/ask",
                     f"/incidents/{incident['id']}"):
            browser.get(f"{site.url}/p/{p}{path}")
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 400, f"{path} scrolls sideways on a phone ({width}px)"
        browser.get(f"{site.url}/p/{p}/delivery")
        shoot(browser, site, "delivery-phone")
    finally:
        browser.set_window_size(1366, 768)
