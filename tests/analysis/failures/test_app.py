"""The failure-cluster use cases (argus.app.failures) called directly: Runtime + request -> read model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from argus.analysis.failures.readmodels import AnalysisSummary, ClusterDetail, ClusterList, MessageClusters
from argus.app.failures import (
    AnalyzeRequest,
    ClusterMessagesRequest,
    ClusterShow,
    ListRequest,
    ShowRequest,
    analyze,
    cluster_messages,
    list_clusters,
    show_cluster,
)
from argus.app.runtime import Runtime
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import Settings
from argus.report.failures import message_clusters_json
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import AttemptRow as Row
from argus.testing.builders import History

T0 = datetime(2024, 5, 1, tzinfo=UTC)
TIMEOUT_A: Row = ("t::a", "failed", "Timeout after 5s talking to 10.1.1.1:80", "TimeoutError", None)
TIMEOUT_B: Row = ("t::b", "failed", "Timeout after 9s talking to 10.1.1.2:80", "TimeoutError", None)
KEY: Row = ("t::c", "error", "KeyError: 'user_7'", "KeyError", None)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    yield rt
    rt.close()


def store_run(factory: sessionmaker[Session], at: datetime, rows: list[Row], project: str = "default") -> int:
    """Commit one run of ``rows`` in ``project`` (created when missing); its run id."""
    with factory() as s:
        scoped_to(s, get_or_create_project(s, project))
        run_id, _ = History(s).results(at, rows)
        s.commit()
    return run_id


def test_cluster_messages_needs_no_database(runtime: Runtime) -> None:
    lines = ("Connection closed by 10.0.0.9 [preauth]", "disk full", "Connection closed by 10.0.0.7 [preauth]")
    got = cluster_messages(runtime, ClusterMessagesRequest(lines))
    assert isinstance(got, MessageClusters)
    assert got.labels[0] == got.labels[2] != got.labels[1]
    by_id = {t.id: t for t in got.templates}
    assert by_id[got.labels[0]].text == "Connection closed by <*> [preauth]" and by_id[got.labels[0]].count == 2
    doc = message_clusters_json(got)
    assert doc["labels"] == list(got.labels)
    assert doc["templates"][str(got.labels[0])] == {"template": "Connection closed by <*> [preauth]", "count": 2}


def test_analyze_then_list_and_show(runtime: Runtime, session_factory: sessionmaker[Session]) -> None:
    run1 = store_run(session_factory, T0, [TIMEOUT_A, TIMEOUT_B, KEY])
    summary = analyze(runtime, AnalyzeRequest())
    assert isinstance(summary, AnalysisSummary)
    assert (summary.failures, summary.new_clusters, summary.novel_clusters) == (3, 2, 2)
    assert summary.latest_run_id == run1 and len(summary.insight_ids) == 4
    again = analyze(runtime, AnalyzeRequest())  # incremental: nothing left to cluster
    assert (again.failures, again.clusters_touched, again.insight_ids) == (0, 0, ())

    listed = list_clusters(runtime, ListRequest())
    assert isinstance(listed, ClusterList) and listed.any_cluster and not listed.latest_only
    assert [v.count for v in listed.clusters] == [2, 1] and all(v.novel for v in listed.clusters)
    top = listed.clusters[0]
    assert top.template == "TimeoutError: Timeout after <*> talking to <*>"
    assert [v.id for v in list_clusters(runtime, ListRequest(min_count=2, days=7)).clusters] == [top.id]
    assert [v.id for v in list_clusters(runtime, ListRequest(run=f"#{run1}")).clusters] == [
        v.id for v in listed.clusters
    ]

    shown = show_cluster(runtime, ShowRequest(top.id))
    assert isinstance(shown, ClusterShow) and isinstance(shown.detail, ClusterDetail)
    assert shown.detail.cluster == top
    assert [t[1] for t in shown.detail.tests] == ["t::a", "t::b"]
    assert {run for _, run, _ in shown.detail.recent_results} == {run1} and set(shown.runs) == {run1}


def test_analyze_without_insights_assigns_clusters_only(
    runtime: Runtime, session_factory: sessionmaker[Session]
) -> None:
    store_run(session_factory, T0, [TIMEOUT_A, KEY])
    summary = analyze(runtime, AnalyzeRequest(emit_insights=False))
    assert summary.failures == 2 and summary.new_clusters == 2 and summary.insight_ids == ()


def test_list_says_why_nothing_is_shown(runtime: Runtime, session_factory: sessionmaker[Session]) -> None:
    store_run(session_factory, T0, [KEY])
    empty = list_clusters(runtime, ListRequest())
    assert empty.clusters == () and not empty.any_cluster
    analyze(runtime, AnalyzeRequest())
    none_match = list_clusters(runtime, ListRequest(min_count=5))
    assert none_match.clusters == () and none_match.any_cluster
    store_run(session_factory, T0 + timedelta(days=1), [("t::ok", "passed", None, None, None)])
    latest = list_clusters(runtime, ListRequest(latest=True))
    assert latest.clusters == () and latest.any_cluster and latest.latest_only


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"days": 0}, "--days 0: give a whole number of days, 1 or more"),
        ({"min_count": 0}, "--min-count 0: give a whole number, 1 or more"),
        ({"limit": -1}, "--limit -1: give a whole number, 1 or more"),
    ],
)
def test_a_bad_list_request_is_refused_before_any_database_work(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(InputError) as err:
        ListRequest(**kwargs)  # type: ignore[arg-type]
    assert str(err.value) == message and err.value.exit_code == 6


def test_unknown_project_and_cluster_are_not_found(
    runtime: Runtime, session_factory: sessionmaker[Session]
) -> None:
    store_run(session_factory, T0, [KEY])
    with pytest.raises(NotFoundError):
        analyze(runtime, AnalyzeRequest(project="nope"))
    with pytest.raises(NotFoundError):
        list_clusters(runtime, ListRequest(project="nope"))
    with pytest.raises(NotFoundError, match="failure cluster 999999 not found in this project"):
        show_cluster(runtime, ShowRequest(999999))


def test_use_cases_stay_in_their_project(runtime: Runtime, session_factory: sessionmaker[Session]) -> None:
    store_run(session_factory, T0, [TIMEOUT_A, TIMEOUT_B], project="other")
    store_run(session_factory, T0, [KEY])
    other = analyze(runtime, AnalyzeRequest(project="other"))
    assert other.failures == 2 and other.new_clusters == 1
    (cluster,) = list_clusters(runtime, ListRequest(project="other")).clusters
    assert list_clusters(runtime, ListRequest()).clusters == ()  # default project not analysed yet
    with pytest.raises(NotFoundError):
        show_cluster(runtime, ShowRequest(cluster.id))  # another project's cluster is not visible
