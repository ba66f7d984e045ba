"""The read API (issue 14): paged lists with time filters, feedback, gate verdicts, the event stream
and the seed aliases, over a CI history built with the test data builders and the real analyses;
every route refuses a foreign organisation (404) and a too-low role (403)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from argus.api.app import create_app
from argus.app.runtime import Runtime
from argus.core.enums import InsightKind, Role, Support
from argus.core.settings import Settings
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import T0, History

ORG, OTHER = "acme", "rival"
PROJECT = "shop"


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    tokens: dict[str, str]  # name -> secret: viewer, maintainer, other (foreign org, admin), scoped (other project)

    def auth(self, name: str = "viewer") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, path: str, name: str = "viewer", **params: object) -> object:
        r = self.client.get(path, headers=self.auth(name), params=params)  # type: ignore[arg-type]
        assert r.status_code == 200, r.text
        return r.json()

    def write(self, fn: Callable[[Session], object], org: str = ORG, project: str = PROJECT) -> object:
        with self.runtime.unit_of_work() as s:
            scoped_to(s, get_or_create_project(s, project, org))
            return fn(s)


def history(s: Session, runs: int = 12, start: datetime = T0) -> History:
    """``runs`` runs: a flaky test (fails now and then, passes on retry), a broken one, a stable one."""
    h = History(s, start=start, message="AssertionError: expected 200, got 503 from /api/cart")
    for i in range(runs):
        h.run(f"c{i:03d}", {"tests/test_cart.py::test_add": "FP" if i % 3 == 0 else "P",
                            "tests/test_pay.py::test_card": "F" if i >= 4 else "P",
                            "tests/test_home.py::test_index": "P"})
    return h


def insight(n: int, kind: InsightKind = InsightKind.BROKEN_TEST) -> Insight:
    return Insight(kind=kind, subject=Subject("test", f"tests/test_x.py::test_{n}"), title=f"insight {n}",
                   summary=f"summary {n}",
                   claims=(Claim(f"claim {n}", 0.8, (Evidence("commit", f"{n:07x}", Support.STRONG, "why"),)),),
                   confidence=Confidence(0.8), provenance=Provenance("test", "1"), action="investigate")


@pytest.fixture
def world(settings: Settings, engine: object) -> Iterator[World]:
    from argus.app import failures, flaky

    app = create_app(settings)
    rt = app.state.runtime
    tokens: dict[str, str] = {}
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, ORG), get_or_create_org(s, OTHER)
        shop = get_or_create_project(s, PROJECT, ORG)
        other = get_or_create_project(s, "blog", ORG)
        get_or_create_project(s, PROJECT, OTHER)  # same slug in another organisation
        for name, org, role, project in (("viewer", acme, Role.VIEWER, None), ("maintainer", acme, Role.MAINTAINER, None),
                                         ("project_viewer", acme, Role.VIEWER, shop),
                                         ("scoped", acme, Role.ADMIN, other), ("other", rival, Role.ADMIN, None)):
            tokens[name], _ = create_token(s, org, name, role, "test", project=project)
    with rt.unit_of_work() as s:
        scoped_to(s, get_or_create_project(s, PROJECT, ORG))
        history(s)
    ort = dataclass_runtime(rt, ORG)
    flaky.analyze(ort, flaky.AnalyzeRequest(PROJECT))
    failures.analyze(ort, failures.AnalyzeRequest(PROJECT))
    with TestClient(app) as client:
        yield World(client, rt, tokens)


def dataclass_runtime(rt: Runtime, org: str) -> Runtime:
    """``rt`` seen from organisation ``org`` (as the API's routes see it)."""
    import dataclasses

    return dataclasses.replace(rt, _settings=rt.settings.model_copy(update={"default_org": org}),
                               _engine=rt.engine())


def later(step: int) -> datetime:
    return T0 + timedelta(days=30, hours=step)


P = f"/api/v1/projects/{PROJECT}"


def walk(world: World, path: str, between: Callable[[int], None] | None = None, **params: object) -> list[dict]:
    """Every item of a paged list, ``between(page_number)`` run after each page."""
    items: list[dict] = []
    cursor = None
    for n in range(1000):
        page = world.get(path, **params, **({"cursor": cursor} if cursor else {}))
        assert isinstance(page, dict)
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        if between is not None:
            between(n)
    raise AssertionError("endless pagination")


def test_runs_walk_without_dupes_or_gaps_while_runs_arrive(world: World) -> None:
    all_runs = walk(world, f"{P}/runs", limit=5)
    assert len(all_runs) == 12
    keys = [(r["started_at"], r["id"]) for r in all_runs]
    assert keys == sorted(keys, reverse=True)

    def insert(n: int) -> None:  # newer and older runs land while the client pages
        world.write(lambda s: (History(s).run(f"new{n}", {"t::a": "P"}, at=later(n)),
                               History(s).run(f"old{n}", {"t::a": "P"}, at=T0 - timedelta(days=n + 1))))

    seen = walk(world, f"{P}/runs", between=insert, limit=3)
    ids = [r["id"] for r in seen]
    assert len(ids) == len(set(ids))  # no duplicate
    assert {r["id"] for r in all_runs} <= set(ids)  # no gap: every run present at the start is seen


def test_runs_filters(world: World) -> None:
    since, until = T0 + timedelta(hours=3), T0 + timedelta(hours=6)
    page = world.get(f"{P}/runs", since=since.isoformat(), until=until.isoformat())
    got = [r["commit_sha"] for r in page["items"]]  # type: ignore[index]
    assert got == ["c005", "c004", "c003", "c002"]
    assert world.get(f"{P}/runs", commit="c01")["items"][0]["commit_sha"] == "c011"  # type: ignore[index]
    assert world.get(f"{P}/runs", branch="nope")["items"] == []  # type: ignore[index]
    for pattern in ("c_1", "c%1", "%", "_"):  # LIKE wildcards in a prefix are literal characters
        assert world.get(f"{P}/runs", commit=pattern)["items"] == []  # type: ignore[index]
    r = world.client.get(f"{P}/runs", headers=world.auth(), params={"since": until.isoformat(),
                                                                    "until": since.isoformat()})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = world.client.get(f"{P}/runs", headers=world.auth(), params={"cursor": "garbage"})
    assert r.status_code == 422 and "cursor" in r.json()["detail"]
    tests_cursor = world.get(f"{P}/tests", limit=1)["next_cursor"]  # type: ignore[index]
    r = world.client.get(f"{P}/runs", headers=world.auth(), params={"cursor": tests_cursor})
    assert r.status_code == 422  # a cursor of another list


def test_runs_carry_their_environment(world: World) -> None:
    env = {"python": "3.12", "os": "linux", "note": "naïve \\ \"quoted\""}
    world.write(lambda s: History(s).run("e001", {"t::a": "P"}, env=env, at=later(1000)))
    runs = world.get(f"{P}/runs", commit="e001")["items"]  # type: ignore[index]
    assert [r["environment"] for r in runs] == [env]  # type: ignore[index]
    assert world.get(f"{P}/runs", commit="c000")["items"][0]["environment"] == {}  # type: ignore[index]


def test_tests_with_history(world: World) -> None:
    tests = walk(world, f"{P}/tests", limit=2, history=4)
    assert [t["identity"] for t in tests] == sorted(t["identity"] for t in tests)
    add = next(t for t in tests if t["identity"] == "tests/test_cart.py::test_add")
    assert len(add["history"]) == 4
    newest = add["history"][0]  # run 11: passed; run 9: failed then passed on retry
    assert (newest["outcome"], newest["final_outcome"], newest["attempts"]) == ("passed", "passed", 1)
    retried = add["history"][2]
    assert (retried["outcome"], retried["final_outcome"], retried["attempts"]) == ("failed", "passed", 2)
    assert [t["identity"] for t in world.get(f"{P}/tests", search="test_pay")["items"]] == [  # type: ignore[index]
        "tests/test_pay.py::test_card"]
    old = world.get(f"{P}/tests", until=(T0 + timedelta(hours=2)).isoformat(), history=50)["items"]  # type: ignore[index]
    assert all(len(t["history"]) == 2 for t in old)


def test_flaky_clusters_changes(world: World) -> None:
    flaky = walk(world, f"{P}/flaky", limit=1)
    kinds = {f["test"]: f["kind"] for f in flaky}
    assert kinds.get("tests/test_cart.py::test_add") == "flaky_test"
    keys = [(-f["probability"], -f["insight_id"]) for f in flaky]
    assert keys == sorted(keys)
    assert world.get(f"{P}/flaky", kind="broken_test")["items"] == [  # type: ignore[index]
        f for f in flaky if f["kind"] == "broken_test"]
    clusters = walk(world, f"{P}/clusters", limit=1, samples=2)
    assert clusters and all(1 <= len(c["samples"]) <= 2 for c in clusters)
    assert "expected 200" in clusters[0]["samples"][0] and clusters[0]["count"] >= 1
    assert world.get(f"{P}/clusters", since=later(0).isoformat())["items"] == []  # type: ignore[index]
    assert world.get(f"{P}/changes")["items"] == []  # type: ignore[index]


def test_insights_with_claims_evidence_and_pages(world: World) -> None:
    from argus.analysis.insights.service import save_insights

    first = walk(world, f"{P}/insights", limit=2)
    assert first and all(i["claims"] for i in first)
    assert any(i["evidence"] for i in first)
    ids = [i["id"] for i in first]
    assert ids == sorted(ids, reverse=True)
    added: list[int] = []

    def insert(n: int) -> None:
        added.extend(world.write(lambda s: save_insights(s, [insight(n)])))  # type: ignore[arg-type]

    seen = [i["id"] for i in walk(world, f"{P}/insights", between=insert, limit=2)]
    assert len(seen) == len(set(seen)) and set(ids) <= set(seen)
    assert not set(added) & set(seen)  # newer than the walk's first page: the next walk shows them
    assert set(added) <= {i["id"] for i in walk(world, f"{P}/insights", limit=200)}
    kind = world.get(f"{P}/insights", kind="flaky_test")["items"]  # type: ignore[index]
    assert kind and {i["kind"] for i in kind} == {"flaky_test"}


def test_feedback(world: World) -> None:
    iid = world.get(f"{P}/insights", limit=1)["items"][0]["id"]  # type: ignore[index]
    url = f"/api/v1/insights/{iid}/feedback"
    body = {"verdict": "accepted", "note": "right"}
    assert world.client.post(url, json=body, headers=world.auth("viewer")).status_code == 403
    for foreign in ("other", "scoped"):
        r = world.client.post(url, json=body, headers=world.auth(foreign))
        assert r.status_code == 404, r.text
    assert world.client.post("/api/v1/insights/999999/feedback", json=body,
                             headers=world.auth("maintainer")).status_code == 404
    r = world.client.post(url, json=body, headers=world.auth("maintainer"))
    assert r.status_code == 201, r.text
    assert r.json()["insight_id"] == iid and r.json()["actor"].startswith("token:")
    shown = next(i for i in walk(world, f"{P}/insights", limit=200) if i["id"] == iid)
    assert [f["verdict"] for f in shown["feedback"]] == ["accepted"]
    assert world.client.post(url, json={"verdict": "maybe"}, headers=world.auth("maintainer")).status_code == 422


def test_gate_evaluate_then_stored(world: World) -> None:
    commit = "c011"
    world.write(lambda s: History(s, start=later(0)).run("abcdef1234567", {"tests/test_home.py::test_index": "P"}))
    url = f"{P}/gates/abcdef1"
    r = world.client.get(url, headers=world.auth())
    assert r.status_code == 404
    assert world.client.post(url, headers=world.auth("viewer")).status_code == 403
    r = world.client.post(url, headers=world.auth("maintainer"))
    assert r.status_code == 200, r.text
    verdict = r.json()["gate"]["verdict"]
    stored = world.get(url)
    assert stored["verdict"] == verdict and stored["insight"]["kind"] == "gate_verdict"  # type: ignore[index]
    assert world.client.get(f"{P}/gates/not-hex", headers=world.auth()).status_code == 422
    assert commit


def test_cross_tenant_and_scoped_tokens(world: World) -> None:
    """The same project slug exists in the other organisation: its data must not leak either way."""
    for path in ("runs", "tests", "flaky", "clusters", "insights", "changes", "gates/abcdef1"):
        for name in ("other", "scoped"):
            r = world.client.get(f"{P}/{path}", headers=world.auth(name))
            if name == "other" and r.status_code == 200:
                assert r.json()["items"] == [], path  # rival's own (empty) project "shop"
            else:
                assert r.status_code == 404, (path, name, r.text)
        assert world.client.get(f"/api/v1/projects/blog/{path}", headers=world.auth("project_viewer")).status_code == 404
        assert world.client.get(f"/api/v1/projects/nope/{path}", headers=world.auth()).status_code == 404
        assert world.client.get(f"{P}/{path}").status_code == 401
    assert world.get(f"{P}/runs", "project_viewer")["items"]  # type: ignore[index]


def test_seed_aliases(world: World) -> None:
    flaky = world.get("/api/v1/ai/flaky/analysis", project_id=PROJECT, min_runs=0)
    assert isinstance(flaky, dict)
    names = [t["name"] for t in flaky["tests"]]
    assert "tests/test_cart.py::test_add" in names
    assert flaky["stats"]["total_flaky"] == len(names)
    assert {t["action"] for t in flaky["tests"]} <= {"auto_fix", "quarantine", "investigate", "monitor"}
    assert world.get("/api/v1/ai/flaky/analysis", project_id=PROJECT, min_runs=10_000)["tests"] == []  # type: ignore[index]
    clusters = world.get("/api/v1/ai/patterns/clusters", project_id=PROJECT, time_range="9999d", min_occurrences=1)
    assert isinstance(clusters, dict) and clusters["clusters"]
    assert clusters["total_failures"] == sum(c["count"] for c in clusters["clusters"])
    assert all(len(c["sample_errors"]) <= 3 for c in clusters["clusters"])
    big = world.get("/api/v1/ai/patterns/clusters", project_id=PROJECT, time_range="9999d", min_occurrences=10_000)
    assert big["clusters"] == []  # type: ignore[index]
    r = world.client.get("/api/v1/ai/patterns/clusters", headers=world.auth(), params={"project_id": PROJECT,
                                                                                     "time_range": "soon"})
    assert r.status_code == 422
    r = world.client.get("/api/v1/ai/flaky/analysis", headers=world.auth("scoped"), params={"project_id": PROJECT})
    assert r.status_code == 404


def test_events_deliver_a_new_insight(world: World) -> None:
    from argus.analysis.insights.service import save_insights

    world.client.app.state.sse_poll_s = 0.05  # type: ignore[attr-defined]
    world.client.app.state.sse_heartbeat_s = 0.01  # type: ignore[attr-defined]
    added: list[int] = []
    seen: list[str] = []
    # read the stream as it comes: write the insight only once a heartbeat showed the stream is live
    with world.client.stream("GET", f"{P}/events", headers=world.auth(), params={"max_events": 1}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            seen.append(line)
            if line == ": heartbeat" and not added:
                added.extend(world.write(lambda s: save_insights(s, [insight(77)])))  # type: ignore[arg-type]
    text = "\n".join(seen)
    events = [b for b in text.split("\n\n") if "event: insight" in b]
    assert len(events) == 1 and f"id: {added[0]}" in events[0]
    assert '"title":"insight 77"' in events[0]
    assert ": heartbeat" in text
    # resume: Last-Event-ID replays what came after it
    before = added[0] - 1
    r = world.client.get(f"{P}/events", headers={**world.auth(), "Last-Event-ID": str(before)},
                         params={"max_events": 1})
    assert f"id: {added[0]}\n" in r.text
    assert world.client.get("/api/v1/projects/blog/events", headers=world.auth("project_viewer")).status_code == 404
    assert world.client.get(f"{P}/events", headers=world.auth("scoped")).status_code == 404
    assert world.client.get(f"{P}/events", headers={**world.auth(), "Last-Event-ID": "x"}).status_code == 422


def test_hostile_inputs_are_refused_not_crashing(world: World) -> None:
    nul = "a\x00b"
    for path, params in ((f"{P}/tests", {"search": nul}), (f"{P}/runs", {"branch": nul}),
                         (f"{P}/runs", {"commit": nul}), (f"{P}/insights", {"kind": nul}),
                         (f"{P}/flaky", {"state": nul}), (f"{P}/runs", {"since": "9999-12-31T23:59:59+14:00"}),
                         (f"{P}/runs", {"cursor": "W10"}), ("/api/v1/ai/flaky/analysis", {"project_id": nul})):
        r = world.client.get(path, headers=world.auth(), params=params)
        assert r.status_code in (200, 404, 422), (path, params, r.status_code, r.text)
    iid = world.get(f"{P}/insights", limit=1)["items"][0]["id"]  # type: ignore[index]
    r = world.client.post(f"/api/v1/insights/{iid}/feedback", json={"verdict": "rejected", "note": nul},
                          headers=world.auth("maintainer"))
    assert r.status_code in (201, 422), r.text


def test_changes_with_features(world: World, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "ingest" / "git"))
    from git_repo_builder import DAY, Repo
    from git_repo_builder import T0 as G0

    from argus.app.git import IngestHistoryRequest, ingest_history

    repo = Repo(tmp_path / "repo")
    lines = [f"line {n}" for n in range(6)]
    for i in range(5):
        lines[i] = f"change {i}"
        repo.write("app.py", "".join(f"{x}\n" for x in lines))
        repo.commit(("Fix bug" if i % 2 else "add feature") + f" {i}", when=G0 + i * DAY)
    ingest_history(dataclass_runtime(world.runtime, ORG), IngestHistoryRequest(PROJECT, repo.path, szz=True))
    changes = walk(world, f"{P}/changes", limit=2)
    assert len(changes) == 5
    keys = [(c["committer_time"], c["summary"]) for c in changes]
    assert keys == sorted(keys, reverse=True)
    assert all(c["features"] and "entropy" in c["features"] for c in changes)
    # the git read model's fields (as `argus git list`): what decided a fix, SZZ bug-inducing, linked issues
    assert all({"fix_source", "bug_inducing", "issues", "fixed_later"} <= set(c) for c in changes)
    assert [c["bug_inducing"] for c in changes] == [c["fixed_later"] > 0 for c in changes]
    assert any(c["bug_inducing"] for c in changes)
    fixes = world.get(f"{P}/changes", fixes_only="true")["items"]  # type: ignore[index]
    assert [c["summary"] for c in fixes] == ["Fix bug 3", "Fix bug 1"]
    assert [c["fix_source"] for c in fixes] == ["message", "message"] and all(c["issues"] == [] for c in fixes)
    since, until = (datetime.fromtimestamp(G0 + d * DAY, UTC).isoformat() for d in (1, 2))
    window = world.get(f"{P}/changes", since=since, until=until)
    assert [c["summary"] for c in window["items"]] == ["add feature 2", "Fix bug 1"]  # type: ignore[index]


@pytest.mark.parametrize("route", ["runs", "tests", "flaky", "clusters", "insights", "changes"])
def test_page_bodies_are_what_their_response_model_makes(world: World, route: str) -> None:
    """Pages are serialised once from the read models (``page_response``): the body must be exactly the
    JSON the route's ``response_model`` makes of it, with no pydantic serialisation warning."""
    import warnings

    from pydantic import BaseModel

    from argus.api.routers import changes, clusters, flaky, insights, runs, tests

    models: dict[str, type[BaseModel]] = {
        "runs": runs.RunsPage, "tests": tests.TestsPage, "flaky": flaky.FlakyPage, "clusters": clusters.ClustersPage,
        "insights": insights.InsightsPage, "changes": changes.ChangesPage}
    model = models[route]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = world.client.get(f"{P}/{route}", headers=world.auth(), params={"limit": 2})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.content == model.model_validate_json(r.content).model_dump_json().encode()
    if route in ("runs", "tests", "flaky", "insights"):
        assert r.json()["items"], f"{route}: the fixture should give this list items"
