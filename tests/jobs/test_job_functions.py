"""The job functions called directly (no queue): each runs the analysis use cases for one project."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from argus.app.runtime import ProjectScope, Runtime
from argus.core.clock import utcnow
from argus.core.settings.jobs import RetentionSettings
from argus.jobs import retention, tasks
from argus.store.models import DeadLetter, FailureCluster, InsightRow, TestResult, TestRun

PROJECT = "shop"


def count(runtime: Runtime, model: type, *where: object) -> int:
    def work(scope: ProjectScope) -> int:
        return int(scope.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]

    return runtime.in_project(PROJECT, work)


def test_failure_analysis_is_incremental(runtime: Runtime, upload: Callable[..., int]) -> None:
    upload("1", failures=2)
    first = tasks.failure_analysis(runtime, PROJECT, {})
    assert first["failures"] == 2 and first["clusters_touched"] == 1 and first["insights"] >= 1
    again = tasks.failure_analysis(runtime, PROJECT, {})
    assert again["failures"] == 0 and again["clusters_touched"] == 0  # nothing new: nothing done
    upload("2", failures=1)
    third = tasks.failure_analysis(runtime, PROJECT, {})
    assert third["failures"] == 1  # only the new run's failure
    assert count(runtime, FailureCluster) == 1
    assert count(runtime, TestResult, TestResult.cluster_id.is_(None), TestResult.outcome == "failed") == 0


def test_flaky_analysis_examines_the_failing_tests(runtime: Runtime, upload: Callable[..., int]) -> None:
    for run in range(1, 7):
        upload(str(run), failures=run % 2)  # test_0 fails in every other run on one commit each
    out = tasks.flaky_analysis(runtime, PROJECT, {})
    assert out["runs"] == 6 and out["tests_examined"] == 1
    assert set(out) == {"runs", "tests_examined", "flaky", "broken", "insights", "state_changes"}


def test_retention_deletes_old_rows_in_batches_and_keeps_recent_ones(runtime: Runtime,
                                                                      upload: Callable[..., int]) -> None:
    for run in range(1, 6):
        upload(str(run), failures=1)
    tasks.failure_analysis(runtime, PROJECT, {})

    def add_dead_letter(scope: ProjectScope) -> None:
        scope.session.add(DeadLetter(project_id=scope.project.id, source="test_report", source_name="x.xml",
                                     dedupe_key="k", reason="bad"))

    runtime.in_project(PROJECT, add_dead_letter)
    assert count(runtime, TestRun) == 5 and count(runtime, InsightRow) >= 1
    keep_all = retention.apply(runtime, PROJECT, RetentionSettings(batch_size=2))
    assert keep_all == {"test_runs": 0, "insights": 0, "dead_letters": 0, "job_records": 0}

    later = utcnow() + timedelta(days=100)  # runs (90 d) and dead letters (30 d) are old by then
    deleted = retention.apply(runtime, PROJECT, RetentionSettings(batch_size=2), now=later)
    assert deleted == {"test_runs": 5, "insights": 0, "dead_letters": 1, "job_records": 0}
    assert count(runtime, TestRun) == 0 and count(runtime, TestResult) == 0 and count(runtime, DeadLetter) == 0
    assert count(runtime, InsightRow) >= 1  # insights are kept 3 years

    forever = RetentionSettings(test_runs_days=None, insights_days=None, dead_letters_days=None, job_records_days=None)
    assert retention.apply(runtime, PROJECT, forever, now=later + timedelta(days=5000)) == {}


def test_retention_touches_only_its_project(runtime: Runtime, upload: Callable[..., int], tmp_path: Path) -> None:
    from argus.app.ingest_tests import IngestReportsRequest, ingest_test_reports
    from argus.ingest.ci_env import CiMetadata
    from argus.testing.reports import junit

    upload("1")
    other = tmp_path / "other.xml"
    other.write_text(junit("other.Suite", 3))
    ingest_test_reports(runtime, IngestReportsRequest((other,), CiMetadata(run_id="9"), "other"))
    retention.apply(runtime, PROJECT, RetentionSettings(), now=utcnow() + timedelta(days=100))
    assert count(runtime, TestRun) == 0

    def others(scope: ProjectScope) -> int:
        return int(scope.session.scalar(select(func.count()).select_from(TestRun)) or 0)

    assert runtime.in_project("other", others) == 1


def test_anomaly_scoring_is_incremental_and_idempotent(runtime: Runtime, upload: Callable[..., int]) -> None:
    from argus.app.anomaly import IngestRequest, ingest_metrics
    from argus.store.models import MetricSeries

    for run in range(1, 4):
        upload(str(run), failures=run % 2)
    rows = ["timestamp,value"] + [f"2026-01-01T{h:02d}:00:00,{50 + h % 3}" for h in range(24)]
    ingest_metrics(runtime, IngestRequest("q.csv", tuple(rows), "ci.queue_s", PROJECT))
    first = tasks.anomaly_scoring(runtime, PROJECT, {})
    assert first["scored_points"] >= 24 and first["derived_points"] > 0  # CI-derived series and the ingested one
    again = tasks.anomaly_scoring(runtime, PROJECT, {})  # nothing new: nothing scored, nothing stored
    assert again["scored_points"] == 0 and again["derived_points"] == 0 and again["insights"] == 0
    ingest_metrics(runtime, IngestRequest("q2.csv", ("timestamp,value", "2026-01-02T00:00:00,51"), "ci.queue_s",
                                          PROJECT))
    third = tasks.anomaly_scoring(runtime, PROJECT, {})
    assert third["scored_points"] == 1  # only the new point
    assert count(runtime, MetricSeries) == first["series"]
