"""Clustering stored failures: incremental assignment, counts, trend, novelty, insights (real DB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.failures.schemas import Trend
from argus.analysis.failures.service import (
    analyze_failures,
    cluster_for_result,
    clusters_for_results,
    clusters_for_run,
    get_cluster,
    list_clusters,
    load_miner,
)
from argus.analysis.insights.service import get_insight, list_insights
from argus.core.enums import InsightKind
from argus.core.errors import NotFoundError
from argus.core.settings import ClusterSettings
from argus.store.models import FailureCluster, TestResult
from argus.store.models.ops import ClusterState
from argus.store.projects import get_or_create_project
from argus.store.session import current_project_id, scoped_to
from argus.testing.builders import AttemptRow, History

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def db_stack(test: str, port: int) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "/ci/w/tests/test_api.py", line {port % 50}, in {test}\n'
        '  File "/ci/w/src/app/db.py", line 40, in connect\n'
        '  File "/usr/lib/python3.11/socket.py", line 10, in create_connection\n'
        f"ConnectionRefusedError: [Errno 111] Connection refused to 10.0.0.5:{port}"
    )


def refused(test: str, port: int) -> AttemptRow:
    msg = f"[Errno 111] Connection refused to 10.0.0.5:{port}"
    return (f"tests/test_api.py::{test}", "error", msg, "ConnectionRefusedError", db_stack(test, port))


def assertion(test: str, a: int, b: int) -> AttemptRow:
    stack = f"tests/test_math.py:{a}: in {test}\nE   assert {a} == {b}"
    return (f"tests/test_math.py::{test}", "failed", f"assert {a} == {b}", "AssertionError", stack)


def timeout(test: str) -> AttemptRow:
    stack = f'  File "/ci/w/tests/test_q.py", line 3, in {test}\n  File "/ci/w/src/app/queue.py", line 7, in drain'
    return (f"tests/test_q.py::{test}", "failed", "TimeoutError: timed out after 30s", "TimeoutError", stack)


def passed(test: str) -> AttemptRow:
    return (test, "passed", None, None, None)


@pytest.fixture
def settings() -> ClusterSettings:
    """Cluster settings only (shadows the global ``settings`` fixture in this module)."""
    return ClusterSettings(trend_window_days=7, samples_per_cluster=3, stack_split="always")


def two_runs(store: History, settings: ClusterSettings) -> dict[str, object]:
    s = store.session
    run1, ids1 = store.results(
        T0,
        [
            refused("test_get", 5001),
            refused("test_put", 5002),
            refused("test_delete", 5003),
            assertion("test_add", 3, 4),
            passed("tests/test_ok.py::test_ok"),
        ],
    )
    first = analyze_failures(s, settings)
    run2, ids2 = store.results(
        T0 + timedelta(days=8), [refused("test_get", 6001), refused("test_list", 6002), timeout("test_drain")]
    )
    second = analyze_failures(s, settings)
    return {"run1": run1, "run2": run2, "ids1": ids1, "ids2": ids2, "first": first, "second": second}


def cluster_ids(session: Session, ids: list[int]) -> list[int | None]:
    got = dict(
        session.execute(select(TestResult.id, TestResult.cluster_id).where(TestResult.id.in_(ids))).all()
    )
    return [got[i] for i in ids]


def test_first_pass_groups_by_template_and_code_location(store: History, settings: ClusterSettings) -> None:
    s = store.session
    run1, ids = store.results(
        T0,
        [refused("test_get", 5001), refused("test_put", 5002), assertion("test_add", 3, 4), passed("t::ok")],
    )
    summary = analyze_failures(s, settings)
    assert (summary.failures, summary.new_clusters, summary.novel_clusters) == (3, 2, 2)
    assert summary.latest_run_id == run1
    cids = cluster_ids(s, ids)
    assert cids[0] == cids[1] != cids[2] and cids[3] is None
    conn = s.get(FailureCluster, cids[0])
    assert conn is not None
    assert conn.template == "ConnectionRefusedError: [Errno <*>] Connection refused to <*>"
    assert conn.count == 2 and conn.first_run_id == run1 and conn.state.frames == ("app/db.py:connect",)
    assert conn.samples == [
        "ConnectionRefusedError: [Errno 111] Connection refused to 10.0.0.5:5001",
        "ConnectionRefusedError: [Errno 111] Connection refused to 10.0.0.5:5002",
    ]
    kinds = sorted(i.kind for i in list_insights(s))
    assert kinds == ["failure_cluster", "failure_cluster", "novel_failure", "novel_failure"]


def test_incremental_pass_assigns_new_failures_and_keeps_history(
    store: History, settings: ClusterSettings
) -> None:
    s = store.session
    r = two_runs(store, settings)
    ids1, ids2 = r["ids1"], r["ids2"]
    assert isinstance(ids1, list) and isinstance(ids2, list)
    before = cluster_ids(s, ids1)
    second = r["second"]
    assert second.failures == 3 and second.new_clusters == 1 and second.novel_clusters == 1  # type: ignore[attr-defined]
    after1, after2 = cluster_ids(s, ids1), cluster_ids(s, ids2)
    assert after1 == before  # history is not re-clustered
    assert after2[0] == after2[1] == before[0]  # new refusals join the old cluster
    assert after2[2] not in before
    conn = s.get(FailureCluster, before[0])
    assert (
        conn is not None
        and conn.count == 5
        and conn.last_run_id == r["run2"]
        and conn.first_run_id == r["run1"]
    )
    again = analyze_failures(s, settings)
    assert again.failures == 0 and again.insight_ids == ()


def test_trend_and_novelty_of_the_latest_run(store: History, settings: ClusterSettings) -> None:
    s = store.session
    r = two_runs(store, settings)
    latest = clusters_for_run(s, settings)
    assert [v.novel for v in latest] == [True, False]  # novel first
    new, conn = latest
    assert new.template.startswith("TimeoutError: timed out after <*>") and new.trend is Trend.UP
    assert (conn.recent, conn.previous, conn.trend) == (2, 3, Trend.DOWN)
    assert conn.affected_tests == 4 and conn.count == 5
    assert [v.id for v in list_clusters(s, settings, novel_only=True)] == [new.id]
    assert [v.id for v in list_clusters(s, settings, min_count=2)] == [conn.id]
    assert {v.id for v in list_clusters(s, settings, since_days=3)} == {new.id, conn.id}
    assert {v.id for v in list_clusters(s, settings, since_days=3, min_count=1)} != {
        v.id for v in list_clusters(s, settings)
    }  # the assertion cluster was last seen 8 days before the latest run
    wide = ClusterSettings(trend_window_days=30)
    assert clusters_for_run(s, wide)[1].trend is Trend.UP  # 5 failures in the last 30 days, none before
    assert clusters_for_run(s, settings, run_id=r["run1"]) != latest  # type: ignore[arg-type]


def test_service_functions_for_other_analyses(store: History, settings: ClusterSettings) -> None:
    s = store.session
    r = two_runs(store, settings)
    ids1 = r["ids1"]
    assert isinstance(ids1, list)
    view = cluster_for_result(s, settings, ids1[0])
    assert view is not None and view.count == 5 and not view.novel
    assert cluster_for_result(s, settings, ids1[4]) is None  # the passing result
    bulk = clusters_for_results(s, settings, ids1)
    assert set(bulk) == {ids1[0], ids1[1], ids1[2], ids1[3]} and bulk[ids1[0]] == view
    assert clusters_for_results(s, settings, []) == {}
    detail = get_cluster(s, settings, view.id)
    assert {name for _, name, _ in detail.tests} == {
        "tests/test_api.py::test_get", "tests/test_api.py::test_put",
        "tests/test_api.py::test_delete", "tests/test_api.py::test_list",
    }  # fmt: skip
    assert dict((n, k) for _, n, k in detail.tests)["tests/test_api.py::test_get"] == 2
    assert len(detail.recent_results) == 5
    with pytest.raises(NotFoundError):
        get_cluster(s, settings, 987654)


def test_insights_carry_evidence_rows(store: History, settings: ClusterSettings) -> None:
    s = store.session
    r = two_runs(store, settings)
    ids2 = r["ids2"]
    assert isinstance(ids2, list)
    novel = list_insights(s, kind=InsightKind.NOVEL_FAILURE)
    timeout_insight = next(i for i in novel if "TimeoutError" in i.title)
    full = get_insight(s, timeout_insight.id)
    refs = {(e.ref_type, e.ref_id) for e in full.evidence}
    assert ("test_run", str(r["run2"])) in refs and ("test_result", str(ids2[2])) in refs
    assert full.action == "investigate" and full.grounding == "grounded"
    clusters = list_insights(s, kind=InsightKind.FAILURE_CLUSTER)
    conn = next(i for i in clusters if "Connection refused" in i.title)
    conn_full = get_insight(s, conn.id)
    assert conn_full.data["trend"] == "down" and conn_full.data["affected_tests"] == 4
    assert {e.ref_id for e in conn_full.evidence if e.ref_type == "test_result"} >= {
        str(ids2[0]),
        str(ids2[1]),
    }
    assert any("app/db.py:connect" in c["text"] for c in conn_full.claims)


def test_clusters_are_per_project(store: History, settings: ClusterSettings) -> None:
    s = store.session
    two_runs(store, settings)
    scoped_to(s, get_or_create_project(s, "other"))
    assert list_clusters(s, settings) == []
    store.results(T0, [refused("test_get", 1)])
    summary = analyze_failures(s, settings)
    assert summary.failures == 1 and summary.new_clusters == 1  # its own cluster, not the demo project's


def denied(user: str) -> AttemptRow:
    stack = '  File "/ci/w/tests/test_auth.py", line 3, in test_login\n  File "/ci/w/src/app/auth.py", line 9, in check'
    return (
        "tests/test_auth.py::test_login",
        "failed",
        f"PermissionError: denied for {user}",
        "PermissionError",
        stack,
    )


def test_clusters_merge_when_later_runs_show_a_variable(store: History, settings: ClusterSettings) -> None:
    s = store.session
    result_ids: list[int] = []
    for day, user in enumerate(("ann", "bob", "cid", "dan", "eve")):
        _, ids = store.results(T0 + timedelta(days=day), [denied(user)])
        result_ids += ids
        analyze_failures(s, settings)
    cids = set(cluster_ids(s, result_ids))
    assert len(cids) == 1
    (live,) = list_clusters(s, settings)
    assert live.id in cids and live.count == 5 and live.template == "PermissionError: denied for <*>"
    assert live.first_seen_at == T0 and live.affected_tests == 1
    dead = [c for c in s.scalars(select(FailureCluster)) if c.id != live.id]
    assert dead and all(c.count == 0 and c.state.merged_into == live.id for c in dead)
    with pytest.raises(NotFoundError, match=f"merged into cluster {live.id}"):
        get_cluster(s, settings, dead[0].id)
    # a fresh pass (miner rebuilt from the store) sends old and new users to the merged cluster
    _, ids = store.results(T0 + timedelta(days=9), [denied("ann"), denied("zed")])
    summary = analyze_failures(s, settings)
    assert summary.new_clusters == 0 and set(cluster_ids(s, ids)) == {live.id}


def test_a_merge_that_makes_a_template_generic_splits_by_code_location(store: History) -> None:
    s = store.session
    settings = ClusterSettings()  # stack_split = "generic"

    def bad(user: str, where: str) -> AttemptRow:
        stack = f'  File "/ci/w/tests/test_v.py", line 3, in t\n  File "/ci/w/src/app/{where}.py", line 9, in check'
        return (f"tests/test_v.py::test_{where}", "failed", f"bad value {user}", "ValueError", stack)

    ids: dict[str, list[int]] = {"orders": [], "users": []}
    for day, user in enumerate(("ann", "bob", "cid", "dan", "eve")):
        where = "orders" if day % 2 else "users"
        _, got = store.results(T0 + timedelta(days=day), [bad(user, where)])
        ids[where] += got
        analyze_failures(s, settings)
    by_place = {where: set(cluster_ids(s, rids)) for where, rids in ids.items()}
    assert all(len(c) == 1 for c in by_place.values()) and by_place["orders"] != by_place["users"]
    views = {v.id: v for v in list_clusters(s, settings)}
    assert len(views) == 2 and {v.template for v in views.values()} == {"ValueError: bad value <*>"}
    assert sorted(v.count for v in views.values()) == [2, 3]
    assert {v.frames for v in views.values()} == {("app/orders.py:check",), ("app/users.py:check",)}


def test_show_suggests_related_clusters(store: History, settings: ClusterSettings) -> None:
    s = store.session
    other = (
        "tests/test_api.py::test_sync",
        "error",
        "Connection refused by 10.0.0.5 after 3 retries",
        "requests.exceptions.ConnectionError",
        None,
    )
    _, ids = store.results(T0, [refused("test_get", 5001), other, assertion("test_add", 1, 2)])
    analyze_failures(s, settings)
    cids = cluster_ids(s, ids)
    detail = get_cluster(s, settings, cids[0])
    assert [r[0] for r in detail.related] == [cids[1]] and 0.5 <= detail.related[0][1] <= 1.0


def test_load_miner_resolves_merge_chains_in_any_row_order(store: History, settings: ClusterSettings) -> None:
    s = store.session
    a, b, c = ["x", "a", "1"], ["x", "a", "<*>"], ["x", "<*>", "<*>"]
    for fp, tokens, into in (("fa", a, b), ("fb", b, c), ("fc", c, None)):
        state = ClusterState(tokens=tuple(tokens), merged_tokens=None if into is None else tuple(into))
        s.add(
            FailureCluster(
                project_id=current_project_id(s), fingerprint=fp, template=" ".join(tokens), state=state
            )
        )
    s.flush()
    miner, by_fp = load_miner(s, settings)
    live = miner.lookup(c)
    assert live is not None and miner.lookup(a) is live and miner.lookup(b) is live
    assert miner.add_messages(["x a 1", "x b 2"]) == [live.id, live.id]
    assert set(by_fp) == {"fa", "fb", "fc"}
