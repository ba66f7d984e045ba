"""The job functions, by kind: each runs use cases of :mod:`argus.app` for one project and returns a
small JSON-able summary (stored as the job's result). Each is idempotent: running it again for the
same input changes nothing more (or, for the flaky analysis, stores the same findings again as a new
version of the same insights)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argus.app.runtime import Runtime

JobFunction = Callable[["Runtime", str, Mapping[str, Any]], dict[str, Any]]

FAILURES = "failures"
FLAKY = "flaky"
RETENTION = "retention"
INCIDENTS_NOTIFY = "incidents_notify"
ANOMALIES = "anomalies"
RISK_RETRAIN = "risk_retrain"
#: Jobs dispatched after an upload, in order (clusters first: the flaky analysis reads their messages).
AFTER_UPLOAD = (FAILURES, FLAKY)
#: Jobs of the scheduled re-analysis (the change-risk retraining check runs with it).
REANALYZE = (FAILURES, FLAKY, RISK_RETRAIN)
#: Jobs after metric points arrive (a push or a pull) and of the scoring schedule.
SCORE = (ANOMALIES,)
#: Jobs of the notification schedule and after an alert ingest that opened or changed an incident.
NOTIFY = (INCIDENTS_NOTIFY,)


def failure_analysis(runtime: Runtime, project: str, _args: Mapping[str, Any]) -> dict[str, Any]:
    """Cluster the project's failures that have no cluster yet (incremental: only new runs' failures)
    and store FAILURE_CLUSTER / NOVEL_FAILURE insights for the clusters they touched."""
    from argus.app import failures

    s = failures.analyze(runtime, failures.AnalyzeRequest(project=project))
    return {"failures": s.failures, "clusters_touched": s.clusters_touched, "new_clusters": s.new_clusters,
            "insights": len(s.insight_ids)}


def flaky_analysis(runtime: Runtime, project: str, _args: Mapping[str, Any]) -> dict[str, Any]:
    """Judge the project's failing tests and refresh their flaky/broken insights and lifecycle states
    (each new insight version supersedes the previous one)."""
    from argus.app import flaky

    a = flaky.analyze(runtime, flaky.AnalyzeRequest(project=project))
    return {"runs": a.runs, "tests_examined": a.tests_examined, "flaky": a.flaky, "broken": a.broken,
            "insights": a.insights_stored, "state_changes": len(a.state_changes)}


def anomaly_scoring(runtime: Runtime, project: str, _args: Mapping[str, Any]) -> dict[str, Any]:
    """Score the new points of the project's metric series (incremental: each series remembers its last
    scored point; the series derived from CI data get their new points first) and store anomaly and
    forecast insights. Idempotent: with no new point it scores and stores nothing."""
    from argus.app import anomaly

    a = anomaly.analyze(runtime, anomaly.AnalyzeRequest(project=project))
    return {"series": a.series, "derived_points": a.derived_points, "scored_points": a.scored_points,
            "anomalies": a.anomalies, "forecasts": a.forecasts, "insights": len(a.insight_ids)}


def risk_retrain(runtime: Runtime, project: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Check the change-risk model's retraining triggers and, when one fired (``{"force": true}``: always),
    train a challenger; it becomes active only if it beats the active version on the same time-ordered
    holdout. Idempotent in effect: a second run right after finds no trigger fired (or trains a challenger
    on the same data, which does not beat the champion by the promotion margin)."""
    from argus.app.risk import retrain_if_due

    return retrain_if_due(runtime, project, force=bool(args.get("force", False))).as_json()


def retention(runtime: Runtime, project: str, _args: Mapping[str, Any]) -> dict[str, Any]:
    """Delete the project's data older than the retention settings, in batches."""
    from argus.jobs.retention import apply

    return dict(apply(runtime, project, runtime.settings.jobs.retention))


def incidents_notify(runtime: Runtime, project: str, _args: Mapping[str, Any]) -> dict[str, Any]:
    """Queue escalations of unacknowledged incidents and deliver the due notifications (failed
    deliveries stay queued with a later retry time: running it again sends only what is due)."""
    from argus.app.incidents_notify import notify

    n = notify(runtime, project)
    return {"escalations": n.escalations, "sent": n.sent, "retried": n.retried, "failed": n.failed}


#: Every kind of job and its function (static: a record names its kind, the worker looks it up).
KINDS: dict[str, JobFunction] = {
    FAILURES: failure_analysis,
    FLAKY: flaky_analysis,
    RETENTION: retention,
    INCIDENTS_NOTIFY: incidents_notify,
    ANOMALIES: anomaly_scoring,
    RISK_RETRAIN: risk_retrain,
}
