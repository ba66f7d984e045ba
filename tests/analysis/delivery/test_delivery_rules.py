"""Each DevLake rule on its own, with its edge cases (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from argus.analysis.delivery import algo
from argus.analysis.delivery.schemas import (
    Bucket,
    DeploymentRow,
    Incident,
    Pipeline,
    PipelineCommit,
    PrComment,
    PrCommit,
    PrMetrics,
    PullRequest,
    Task,
)

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def dep(id_: str, sha: str | None, finished: datetime | None, *, result: str = "SUCCESS", env: str = "PRODUCTION",
        started: datetime | None = None, repo: str = "api", scope: str = "ci", group: str | None = None) -> DeploymentRow:
    return DeploymentRow(id_, group or id_, None, scope, repo, sha, env, result, started or finished, finished)


def pr(id_: str, created: datetime, merged: datetime | None, sha: str | None, **kw: object) -> PullRequest:
    return PullRequest(id_, "api", None, None, "MERGED" if merged else "OPEN", created, merged, sha, **kw)  # type: ignore[arg-type]


# --- durations (computeTimeSpan) ---------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, 0), (1, 1), (59, 1), (60, 1), (61, 2), (-1, 0), (-59.9, 0), (-60, None), (-61, None), (3600, 60),
])
def test_span_is_whole_minutes_rounded_up_with_the_edge_cases(seconds: float, expected: int | None) -> None:
    assert algo.span_minutes(T0, T0 + timedelta(seconds=seconds)) == expected


def test_span_is_null_when_either_end_is_null() -> None:
    assert algo.span_minutes(None, T0) is None and algo.span_minutes(T0, None) is None


def test_span_ignores_time_zones_and_dst() -> None:
    paris = ZoneInfo("Europe/Paris")  # DST starts 2024-03-31 02:00 local: the clock jumps to 03:00
    before = datetime(2024, 3, 31, 1, 30, tzinfo=paris)
    after = datetime(2024, 3, 31, 3, 30, tzinfo=paris)
    assert algo.span_minutes(before, after) == 60  # two hours on the wall clock, one hour elapsed
    fall_a = datetime(2024, 10, 27, 2, 30, tzinfo=paris, fold=0)  # first 02:30 (UTC+2)
    fall_b = datetime(2024, 10, 27, 2, 30, tzinfo=paris, fold=1)  # second 02:30 (UTC+1)
    assert algo.span_minutes(fall_a, fall_b) == 60
    plus2 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert algo.span_minutes(T0, plus2) == 0  # 12:00+02:00 is 10:00Z


# --- deployments from pipelines (generateDeploymentCommits) ------------------------------------------


def pipe(id_: str, *, type_: str = "DEPLOYMENT", result: str = "SUCCESS", env: str | None = "PRODUCTION",
         started: datetime | None = None, finished: datetime | None = T0, duration: float | None = 600) -> Pipeline:
    return Pipeline(id_, f"pipe {id_}", "ci", type_, result, env, started, finished, duration)


def test_pipeline_counts_by_type_or_deployment_task_and_result() -> None:
    pipes = [pipe("a"), pipe("b", type_="BUILD"), pipe("c", type_="BUILD"), pipe("d", result="ABORTED"),
             pipe("e", result="FAILURE"), pipe("f", type_="BUILD")]
    tasks = [Task("t1", "b", "DEPLOYMENT", "SUCCESS", None), Task("t2", "c", "DEPLOYMENT", "SKIPPED", None),
             Task("t3", "f", "TEST", "SUCCESS", None)]
    commits = [PipelineCommit(p.id, "api", "sha") for p in pipes]
    rows = algo.derive_deployments(pipes, tasks, commits)
    assert {r.id: r.result for r in rows} == {"a:api": "SUCCESS", "b:api": "SUCCESS", "e:api": "FAILURE"}


def test_environment_from_pipeline_else_tasks_production_over_staging_over_testing() -> None:
    pipes = [pipe("p", env=None), pipe("s", env=None), pipe("t", env=None), pipe("own", env="STAGING"),
             pipe("none", env=None), pipe("skip", env=None)]
    tasks = [Task("1", "p", "TEST", "SUCCESS", "STAGING"), Task("2", "p", "DEPLOYMENT", "FAILURE", "PRODUCTION"),
             Task("3", "s", "DEPLOYMENT", "SUCCESS", "STAGING"), Task("4", "s", "X", "SUCCESS", "TESTING"),
             Task("5", "t", "DEPLOYMENT", "SUCCESS", "TESTING"), Task("6", "own", "DEPLOYMENT", "SUCCESS", "PRODUCTION"),
             Task("7", "skip", "DEPLOYMENT", "SKIPPED", "PRODUCTION")]
    rows = algo.derive_deployments(pipes, tasks, [PipelineCommit(p.id, "api", "x") for p in pipes])
    assert {r.group: r.environment for r in rows} == {"p": "PRODUCTION", "s": "STAGING", "t": "TESTING",
                                                      "own": "STAGING", "none": None, "skip": None}


def test_missing_start_is_finish_minus_duration_and_rows_per_repo() -> None:
    pipes = [pipe("a", started=None, finished=at(60), duration=1800), pipe("b", started=at(1), finished=at(60))]
    commits = [PipelineCommit("a", "api", "1"), PipelineCommit("a", "web", "2"), PipelineCommit("b", "api", "3")]
    rows = {r.id: r for r in algo.derive_deployments(pipes, [], commits)}
    assert rows["a:api"].started_at == at(30) and rows["a:web"].started_at == at(30)
    assert rows["b:api"].started_at == at(1)
    assert rows["a:web"].group == "a" and rows["a:web"].commit_sha == "2"


# --- previous successful deployment (enrichPrevSuccessDeploymentCommits) -----------------------------


def test_chains_per_scope_repo_environment_skip_failures_without_breaking() -> None:
    rows = [dep("1", "a", at(0)), dep("2", "b", at(10), result="FAILURE"), dep("3", "c", at(20)),
            dep("4", "d", at(5), repo="web"), dep("5", "e", at(30), env="STAGING"), dep("6", "f", at(40), scope="x"),
            dep("7", "g", None), dep("8", "h", at(50))]
    prev = algo.previous_successful(rows)
    assert prev == {"1": None, "2": None, "3": "1", "4": None, "5": None, "6": None, "7": None, "8": "3"}


def test_chain_order_is_finish_time_not_start_or_input_order() -> None:
    rows = [dep("late", "b", at(100), started=at(0)), dep("early", "a", at(50), started=at(40))]
    assert algo.previous_successful(rows) == {"late": "early", "early": None}


# --- ancestry and the deployment that shipped a PR (getDeploymentCommit) -----------------------------

GRAPH = algo.CommitGraph({"c1": [], "c2": ["c1"], "b1": ["c1"], "c3": ["c2", "b1"], "c4": ["c3"], "c5": ["c4"]})


def test_new_commits_walk_stops_at_the_previous_commit() -> None:
    assert GRAPH.new_commits("c3", "c1") == {"c2", "b1", "c3"}
    assert GRAPH.new_commits("c5", "c3") == {"c4", "c5"}
    assert GRAPH.new_commits("c3", "c3") == set()
    assert GRAPH.new_commits("c3", None) == {"c1", "c2", "b1", "c3"}
    assert GRAPH.new_commits("zz", "c3") == {"zz"}  # unknown commit: reaches only itself
    assert GRAPH.new_commits("c1", "c5") == set()  # a rollback ships nothing new


def test_first_deployment_of_a_chain_ships_nothing_and_later_one_ships() -> None:
    rows = [dep("d1", "c2", at(0)), dep("d2", "c5", at(60))]
    prev = algo.previous_successful(rows)
    shipped, _ = algo.shipping_deployments(rows, prev, GRAPH, {"c1", "c2", "c3", "c5"})
    assert {k: v.id for k, v in shipped.items()} == {"c3": "d2", "c5": "d2"}  # c1, c2: first of the chain


def test_failed_then_successful_deployment_ships_the_pr() -> None:
    rows = [dep("d1", "c1", at(0)), dep("d2", "c3", at(10), result="FAILURE"), dep("d3", "c3", at(20))]
    prev = algo.previous_successful(rows)
    shipped, _ = algo.shipping_deployments(rows, prev, GRAPH, {"c3"})
    assert shipped["c3"].id == "d3"


def test_earliest_by_start_time_then_id_across_chains_linked_by_sha_not_repo() -> None:
    rows = [dep("a1", "c1", at(0), repo="one"), dep("a2", "c4", at(50), started=at(30), repo="one"),
            dep("b1", "c1", at(0), repo="two"), dep("b2", "c4", at(40), started=at(20), repo="two"),
            dep("c1", "c1", at(0), repo="three"), dep("c2", "c4", at(45), started=at(20), repo="three")]
    prev = algo.previous_successful(rows)
    shipped, _ = algo.shipping_deployments(rows, prev, GRAPH, {"c3"})
    assert shipped["c3"].id == "b2"  # started 20 like c2; tie broken by id


def test_only_successful_production_rows_ship() -> None:
    rows = [dep("s1", "c1", at(0), env="STAGING"), dep("s2", "c5", at(10), env="STAGING")]
    shipped, _ = algo.shipping_deployments(rows, algo.previous_successful(rows), GRAPH, {"c5"})
    assert shipped == {}


# --- PR metrics (calculateChangeLeadTime) -----------------------------------------------------------


def test_pr_breakdown_and_cycle_with_missing_parts_as_zero() -> None:
    d = dep("d", "c5", at(600))
    prs = [pr("p", at(0), at(300), "c5"), pr("open", at(0), None, None)]
    commits = [PrCommit("p", "x", at(-90)), PrCommit("p", "y", at(-120.5))]
    comments = [PrComment("p", "1", at(5), True), PrComment("p", "2", at(30), False), PrComment("p", "3", at(20), None)]
    (m,) = algo.pr_metrics(prs, commits, comments, {"c5": d})
    assert (m.coding_time_min, m.pickup_time_min, m.review_time_min, m.deploy_time_min, m.cycle_time_min,
            m.deployment_id) == (121, 20, 280, 300, 121 + 300 + 300, "d")


def test_no_deployment_yet_gives_a_row_without_deploy_time() -> None:
    (m,) = algo.pr_metrics([pr("p", at(0), at(60), "c5")], [], [], {})
    assert (m.deploy_time_min, m.deployment_id, m.cycle_time_min, m.coding_time_min) == (None, None, 60, None)


def test_deployment_finished_before_merge_keeps_the_link_with_null_deploy_time() -> None:
    shipped = {"c5": dep("d", "c5", at(50)), "c4": dep("e", "c4", at(59.5))}
    m1, m2 = algo.pr_metrics([pr("p", at(0), at(60), "c5"), pr("q", at(0), at(60), "c4")], [], [], shipped)
    assert (m1.deploy_time_min, m1.deployment_id, m1.cycle_time_min) == (None, "d", 60)
    assert (m2.deploy_time_min, m2.deployment_id) == (0, "e")  # -30 s rounds to 0


def test_shipping_deployment_without_finish_time_is_no_link() -> None:
    (m,) = algo.pr_metrics([pr("p", at(0), at(60), "c5")], [], [], {"c5": dep("d", "c5", None)})
    assert m.deployment_id is None and m.deploy_time_min is None


def test_first_review_ignores_the_author_and_comment_rows_win_over_the_pr_columns() -> None:
    p = pr("p", at(0), at(100), None, first_commit_at=at(-10), first_review_at=at(1))
    (only_author,) = algo.pr_metrics([p], [], [PrComment("p", "1", at(50), True)], {})
    assert only_author.pickup_time_min is None and only_author.coding_time_min == 10
    (no_rows,) = algo.pr_metrics([p], [], [], {})
    assert no_rows.pickup_time_min == 1 and no_rows.review_time_min == 99
    (commit_rows,) = algo.pr_metrics([p], [PrCommit("p", "x", at(-30))], [], {})
    assert commit_rows.coding_time_min == 30


def test_commit_after_pr_creation_makes_coding_time_null() -> None:
    (m,) = algo.pr_metrics([pr("p", at(0), at(10), None)], [PrCommit("p", "x", at(4.5))], [], {})
    assert m.coding_time_min is None and m.cycle_time_min == 10


# --- incidents (ConnectIncidentToDeployment) --------------------------------------------------------


def inc(id_: str, created: datetime | None, resolved: datetime | None = None) -> Incident:
    return Incident(id_, None, None, created, resolved)


def test_incident_links_latest_successful_production_deployment_strictly_before() -> None:
    rows = [dep("d1", "a", at(0), group="g1"), dep("d2", "b", at(10), result="FAILURE"),
            dep("d3", "c", at(20), env="STAGING"), dep("d4", "d", at(30), group="g4"), dep("d5", "e", at(30), group="g5")]
    links = algo.link_incidents([inc("before", at(-5)), inc("equal", at(0)), inc("mid", at(25)),
                                 inc("tie", at(31)), inc("none", None)], rows)
    assert links["before"] is None and links["equal"] is None and links["none"] is None  # strictly before
    assert links["mid"] is not None and links["mid"].deployment_id == "g1" and links["mid"].row_id == "d1"
    assert links["tie"] is not None and links["tie"].row_id == "d5"


def test_incident_max_gap_is_optional() -> None:
    rows = [dep("d1", "a", at(0))]
    assert algo.link_incidents([inc("i", at(120))], rows)["i"] is not None
    assert algo.link_incidents([inc("i", at(120))], rows, timedelta(minutes=60))["i"] is None


def test_incidents_before_any_deployment_and_without_deployments() -> None:
    assert algo.link_incidents([inc("i", at(0))], []) == {"i": None}


# --- aggregation and benchmarks ---------------------------------------------------------------------


def test_devlake_medians() -> None:
    assert algo.lower_median([5, 1, 3, 2]) == 2 and algo.lower_median([4]) == 4 and algo.lower_median([]) is None
    assert algo.upper_median([5, 1, 3, 2]) == 3 and algo.upper_median([4]) is None
    assert algo.upper_median([2, 2, 2]) is None and algo.upper_median([1, 2, 2]) == 2


@pytest.mark.parametrize(("minutes", "b21", "b23"), [
    (59, Bucket.ELITE, Bucket.ELITE), (60, Bucket.HIGH, Bucket.ELITE), (1440, Bucket.HIGH, Bucket.HIGH),
    (10080, Bucket.MEDIUM, Bucket.MEDIUM), (43200, Bucket.MEDIUM, Bucket.LOW), (259200, Bucket.LOW, Bucket.LOW),
])
def test_lead_time_buckets(minutes: int, b21: Bucket, b23: Bucket) -> None:
    assert algo._below("2021", minutes, algo.LEAD_2021, "min", "").bucket is b21
    assert algo._below("2023", minutes, algo.LEAD_2023, "min", "").bucket is b23


@pytest.mark.parametrize(("rate", "b21", "b23"), [
    (0.05, Bucket.ELITE, Bucket.ELITE), (0.06, Bucket.ELITE, Bucket.HIGH), (0.15, Bucket.ELITE, Bucket.MEDIUM),
    (0.2, Bucket.HIGH, Bucket.LOW), (0.3, Bucket.MEDIUM, Bucket.LOW), (0.31, Bucket.LOW, Bucket.LOW),
])
def test_change_failure_rate_buckets(rate: float, b21: Bucket, b23: Bucket) -> None:
    assert algo._at_most("2021", rate, algo.CFR_2021, "").bucket is b21
    assert algo._at_most("2023", rate, algo.CFR_2023, "").bucket is b23


@pytest.mark.parametrize(("week", "month", "six", "b21", "b23"), [
    (7, 30, 180, Bucket.ELITE, Bucket.ELITE), (3, 12, 70, Bucket.HIGH, Bucket.HIGH),
    (0, 2, 12, Bucket.HIGH, Bucket.MEDIUM), (0, 0, 3, Bucket.MEDIUM, Bucket.LOW), (0, 0, 0, Bucket.LOW, Bucket.LOW),
    (0, 0, None, None, Bucket.LOW),
])
def test_deployment_frequency_buckets(week: float, month: float, six: float | None, b21: Bucket | None,
                                      b23: Bucket) -> None:
    r21, r23 = algo.frequency_benchmarks(week, month, six, True)
    assert (r21.bucket, r23.bucket) == (b21, b23)
    assert r23.rule.startswith("median deployment days per week")


def test_no_deployment_collected_is_not_applicable() -> None:
    r21, r23 = algo.frequency_benchmarks(0, 0, 0, False)
    assert r21.bucket is None and r23.bucket is None and "N/A" in r23.rule


def test_deployment_days_group_by_local_date() -> None:
    # 23:30Z on the 1st is the 2nd in Paris: the same deployments, different days per zone
    rows = [dep("a", "x", datetime(2024, 3, 1, 23, 30, tzinfo=UTC)), dep("b", "y", datetime(2024, 3, 2, 8, 0, tzinfo=UTC))]
    utc = algo.period_metrics(date(2024, 3, 1), date(2024, 3, 2), UTC, rows, [], [], {})
    paris = algo.period_metrics(date(2024, 3, 1), date(2024, 3, 2), ZoneInfo("Europe/Paris"), rows, [], [], {})
    assert utc.metric("deployment_frequency").inputs["deployment_days"] == 2
    assert paris.metric("deployment_frequency").inputs["deployment_days"] == 1


def test_one_deployment_group_counts_once_at_its_last_finish() -> None:
    rows = [dep("g:api", "x", at(0), group="g"), dep("g:web", "y", at(60 * 24 * 40), group="g")]
    first = algo.period_metrics(date(2024, 3, 1), date(2024, 3, 31), UTC, rows, [], [], {})
    later = algo.period_metrics(date(2024, 4, 1), date(2024, 4, 30), UTC, rows, [], [], {})
    assert first.metric("deployment_frequency").inputs["deployments"] == 0
    assert later.metric("deployment_frequency").inputs["deployments"] == 1


def test_lead_time_uses_prs_whose_deployment_finished_in_the_period() -> None:
    prs = [PrMetrics("a", None, None, None, 1, 100, "d", None, None, at(0)),
           PrMetrics("b", None, None, None, 1, 300, "d", None, None, at(60 * 24 * 40)),
           PrMetrics("c", None, None, None, None, 5, None, None, None, None)]
    pm = algo.period_metrics(date(2024, 3, 1), date(2024, 3, 31), UTC, [], prs, [], {})
    assert pm.metric("lead_time").value == 100 and pm.metric("lead_time").inputs["pull_requests"] == 1


def test_change_failure_rate_and_recovery_times() -> None:
    rows = [dep("d1", "a", at(0)), dep("d2", "b", at(100)), dep("d3", "c", at(200)), dep("d4", "d", at(300))]
    incidents = [inc("i1", at(10), at(70)), inc("i2", at(20), at(200)), inc("i3", at(310), None),
                 inc("old", at(-60 * 24 * 10), at(-60 * 24 * 10 + 30))]
    links = algo.link_incidents(incidents, rows)
    pm = algo.period_metrics(date(2024, 3, 1), date(2024, 3, 31), UTC, rows, [], incidents, links)
    cfr = pm.metric("change_failure_rate")
    assert cfr.value == 0.5 and cfr.inputs == {"deployments": 4, "deployments_with_incident": 2}
    assert pm.metric("failed_deployment_recovery_time").value == 70  # [70, 200] → lower median
    assert pm.metric("time_to_restore").value == 60  # i1 60, i2 180 (the February one is outside)


def test_no_incidents_collected_makes_cfr_not_applicable() -> None:
    pm = algo.period_metrics(date(2024, 3, 1), date(2024, 3, 31), UTC, [dep("d", "a", at(0))], [], [], {})
    cfr = pm.metric("change_failure_rate")
    assert cfr.value is None and all(b.bucket is None for b in cfr.benchmarks)
    assert "no incidents collected" in cfr.benchmarks[0].rule


def test_month_ranges_clip_to_the_period() -> None:
    assert algo.month_ranges(date(2024, 1, 15), date(2024, 3, 2)) == [
        (date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 2))]
