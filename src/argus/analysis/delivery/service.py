"""Load delivery rows → DevLake rules (:mod:`algo`) → report, detail, PR breakdown, insight.

Nothing here commits: the caller (``argus.app.delivery``) owns the unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from argus.analysis.delivery import algo, queries
from argus.analysis.delivery.insights import dora_insight, evidence_item
from argus.analysis.delivery.readmodels import (
    BenchmarkView,
    Coverage,
    DoraReport,
    MetricView,
    MonthView,
    PrDetail,
    PrList,
    PrRow,
)
from argus.analysis.delivery.schemas import (
    PRODUCTION,
    SUCCESS,
    DeliveryParams,
    DeploymentRow,
    Incident,
    IncidentLink,
    Metric,
    PrMetrics,
    PullRequest,
)
from argus.core.clock import utcnow
from argus.core.enums import EvidenceType
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import DeliverySettings, derive
from argus.core.values import MAX_DAYS
from argus.reasoning import Evidence

SCHEMA = "argus.dora/v1"


def params_from(settings: DeliverySettings) -> DeliveryParams:
    return derive(DeliveryParams, settings)


@dataclass(frozen=True)
class Loaded:
    """The stored data of a project with every rule applied."""

    source: str
    rows: tuple[DeploymentRow, ...]
    previous: dict[str, str | None]
    prs: tuple[PullRequest, ...]
    metrics: tuple[PrMetrics, ...]
    incidents: tuple[Incident, ...]
    links: dict[str, IncidentLink | None]
    commits_in_graph: int


def load(session: Session, params: DeliveryParams) -> Loaded:
    if queries.has_deployments_csv(session):
        rows, source = queries.csv_deployments(session), "deployments.csv"
    else:
        pipes = queries.pipelines(session)
        rows = algo.derive_deployments(pipes, queries.tasks(session), queries.pipeline_commits(session))
        source = "ci_pipelines.csv" if pipes else "none"
    rows.sort(key=lambda r: r.id)
    previous = algo.previous_successful(rows)
    prs = queries.pull_requests(session, merged_only=True)
    wanted = {p.merge_commit_sha for p in prs if p.merge_commit_sha}
    graph = algo.CommitGraph(queries.commit_parents(session))
    shipped, _ = algo.shipping_deployments(rows, previous, graph, wanted)
    merged_ids = {p.id for p in prs}
    metrics = algo.pr_metrics(prs, [c for c in queries.pr_commits(session) if c.pr_id in merged_ids],
                              [c for c in queries.pr_comments(session) if c.pr_id in merged_ids], shipped)
    incidents = queries.incidents(session)
    gap = None if params.incident_max_gap_hours is None else timedelta(hours=params.incident_max_gap_hours)
    links = algo.link_incidents(incidents, rows, gap)
    return Loaded(source, tuple(rows), previous, tuple(prs), tuple(metrics), tuple(incidents), links,
                  len(graph.parents))


def _view(m: Metric) -> MetricView:
    return MetricView(m.key, m.name, m.value, m.unit,
                      tuple(BenchmarkView(b.report, b.bucket.value if b.bucket else None, b.rule) for b in m.benchmarks),
                      dict(m.inputs))


def _default_period(data: Loaded, tz: ZoneInfo, first: date | None, last: date | None,
                    days: int) -> tuple[date, date]:
    if last is None:
        times = [r.finished_at for r in data.rows if r.finished_at] + \
                [i.created_at for i in data.incidents if i.created_at]
        last = max(times).astimezone(tz).date() if times else utcnow().astimezone(tz).date()
        if first is not None and first > last:
            last = first
    if first is None:
        first = last - timedelta(days - 1) if last - date.min >= timedelta(days - 1) else date.min
    if first > last:
        raise InputError(f"--from {first} is after --to {last}")
    if (last - first).days >= MAX_DAYS:
        raise InputError(f"--from {first} --to {last}: a period of at most {MAX_DAYS} days (about 100 years; "
                         "a longer one is a typo, and would take minutes month by month)")
    return first, last


def _evidence(data: Loaded, first: date, last: date, tz: ZoneInfo, period: Any) -> dict[str, list[Evidence]]:
    def inside(t: datetime | None) -> bool:
        return t is not None and first <= t.astimezone(tz).date() <= last

    last_row: dict[str, DeploymentRow] = {}
    for r in data.rows:
        if r.result == SUCCESS and r.environment == PRODUCTION and r.finished_at is not None and inside(r.finished_at):
            cur = last_row.get(r.group)
            if cur is None or (r.finished_at, r.id) > (cur.finished_at, cur.id):
                last_row[r.group] = r
    latest = sorted(last_row.values(), key=lambda r: (r.finished_at, r.id), reverse=True)
    out: dict[str, list[Evidence]] = {}
    out["deployment_frequency"] = [
        evidence_item(EvidenceType.DEPLOYMENT, r.id, f"deployment {r.group} ({r.repo or '-'}) finished "
                      f"{r.finished_at:%Y-%m-%d %H:%M} UTC", r.finished_at) for r in latest[:10]]
    deployed = sorted((p for p in data.metrics if p.deployment_id and inside(p.deployment_finished_at)),
                      key=lambda p: (p.cycle_time_min, p.pr_id))
    lead: list[Evidence] = []
    if deployed:
        median = deployed[(len(deployed) - 1) // 2]
        for tag, p in (("median", median), ("slowest", deployed[-1])):
            lead.append(evidence_item(EvidenceType.PULL_REQUEST, p.pr_id, f"{tag}: cycle {p.cycle_time_min} min "
                                      f"(coding {p.coding_time_min}, deploy {p.deploy_time_min}) shipped by "
                                      f"{p.deployment_id}", p.deployment_finished_at))
    out["lead_time"] = lead
    failed = []
    rec = []
    for inc in data.incidents:
        lk = data.links.get(inc.id)
        if lk is None or lk.deployment_id not in last_row:
            continue
        failed.append(evidence_item(EvidenceType.INCIDENT, inc.id, f"created {inc.created_at:%Y-%m-%d %H:%M} UTC, "
                                    f"after deployment {lk.deployment_id} finished {lk.finished_at:%Y-%m-%d %H:%M}",
                                    inc.created_at))
        if inc.resolved_at is not None:
            rec.append(evidence_item(EvidenceType.INCIDENT, inc.id, f"resolved {inc.resolved_at:%Y-%m-%d %H:%M} UTC, "
                                     f"deployment {lk.deployment_id}", inc.resolved_at))
    out["change_failure_rate"] = failed[:10] + [
        evidence_item(EvidenceType.DEPLOYMENT, r.id, f"deployment {r.group} in the period", r.finished_at)
        for r in latest[:3]]
    out["failed_deployment_recovery_time"] = rec[:10]
    out["time_to_restore"] = [
        evidence_item(EvidenceType.INCIDENT, i.id, f"open {algo.span_minutes(i.created_at, i.resolved_at)} min",
                      i.resolved_at)
        for i in data.incidents if i.resolved_at is not None and inside(i.created_at)][:10]
    return out


def report(session: Session, params: DeliveryParams, project: str, first: date | None = None,
           last: date | None = None, *, save: bool = False) -> DoraReport:
    """The four keys over the period and per month, with 2021 and 2023 buckets; saves a
    ``dora_report`` insight when ``save``."""
    tz = ZoneInfo(params.timezone)
    data = load(session, params)
    first, last = _default_period(data, tz, first, last, params.default_period_days)
    period = algo.period_metrics(first, last, tz, data.rows, data.metrics, data.incidents, data.links)
    months = tuple(
        MonthView(f"{a:%Y-%m}", a, b, tuple(_view(m) for m in algo.period_metrics(
            a, b, tz, data.rows, data.metrics, data.incidents, data.links).metrics))
        for a, b in algo.month_ranges(first, last))
    metrics = tuple(_view(m) for m in period.metrics)
    coverage = Coverage(
        data.source, len(data.rows), len(algo.group_finish(data.rows)), len(data.metrics),
        sum(1 for p in data.metrics if p.deployment_id), len(data.incidents),
        sum(1 for v in data.links.values() if v is not None), data.commits_in_graph)
    insight_id = None
    if save:
        from argus.analysis.insights.service import save_insights

        ins = dora_insight(str(first), str(last), metrics, coverage, _evidence(data, first, last, tz, period),
                           {"timezone": params.timezone, "incident_max_gap_hours": params.incident_max_gap_hours,
                            "first_day": str(first), "last_day": str(last)},
                           params.min_deployments_for_confidence)
        (insight_id,) = save_insights(session, [ins])
    return DoraReport(SCHEMA, project, first, last, params.timezone, metrics, months, coverage, insight_id)


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def detail(session: Session, params: DeliveryParams) -> dict[str, Any]:
    """The per-row results in the shape of the issue (and of DevLake's tables): ``project_pr_metrics``,
    ``project_issue_metrics`` and ``prev_success_deployment_commit_id``."""
    data = load(session, params)
    prs = {p.pr_id: {"coding_time_min": p.coding_time_min, "pickup_time_min": p.pickup_time_min,
                     "review_time_min": p.review_time_min, "deploy_time_min": p.deploy_time_min,
                     "cycle_time_min": p.cycle_time_min, "deployment_id": p.deployment_id}
           for p in sorted(data.metrics, key=lambda p: p.pr_id)}
    incidents = {i.id: {"deployment_id": (lk.deployment_id if (lk := data.links.get(i.id)) else None)}
                 for i in sorted(data.incidents, key=lambda i: i.id)}
    deployments: dict[str, dict[str, Any]] = {}
    for r in data.rows:
        entry: dict[str, Any] = {"previous_deployment_id": data.previous.get(r.id)}
        if r.from_pipeline:
            entry.update({"commit_sha": r.commit_sha, "repo": r.repo, "scope": r.scope, "deployment_group": r.group,
                          "result": r.result, "environment": r.environment, "started_at": _iso(r.started_at),
                          "finished_at": _iso(r.finished_at)})
        deployments[r.id] = entry
    return {"pull_requests": prs, "incidents": incidents, "deployments": deployments}


def _row(pr: PullRequest, m: PrMetrics) -> PrRow:
    return PrRow(pr.id, pr.repo, pr.number, pr.title, pr.merged_at, m.coding_time_min, m.pickup_time_min,
                 m.review_time_min, m.deploy_time_min, m.cycle_time_min, m.deployment_id)


def list_prs(session: Session, params: DeliveryParams, *, limit: int = 50, repo: str | None = None,
             deployed_only: bool = False) -> PrList:
    data = load(session, params)
    by_id = {p.id: p for p in data.prs}
    rows = [_row(by_id[m.pr_id], m) for m in data.metrics
            if (repo is None or by_id[m.pr_id].repo == repo) and (not deployed_only or m.deployment_id)]
    rows.sort(key=lambda r: (r.merged_at is not None, r.merged_at or datetime.min, r.pr_id), reverse=True)
    return PrList(tuple(rows[:limit]), len(rows))


def show_pr(session: Session, params: DeliveryParams, pr_id: str) -> PrDetail:
    data = load(session, params)
    pr = next((p for p in queries.pull_requests(session) if p.id == pr_id), None)
    if pr is None:
        raise NotFoundError(f"pull request {pr_id!r} not found (see `argus prs list`)")
    m = next((x for x in data.metrics if x.pr_id == pr_id), None)
    if m is None:
        raise NotFoundError(f"pull request {pr_id!r} is not merged: only merged PRs have a breakdown")
    why: list[str] = []
    dep_info = None
    if m.first_commit_at is None:
        why.append("coding time: no commit with an authored time")
    if m.first_review_at is None:
        why.append("pickup/review time: no comment by anyone but the author")
    if not pr.merge_commit_sha:
        why.append("no merge commit sha: no deployment can be linked")
    elif m.deployment_id is None:
        why.append(f"merge commit {pr.merge_commit_sha[:12]} is in no successful PRODUCTION deployment's new "
                   "commits (not deployed yet, or only by the first deployment of a chain, or the deployment has "
                   "no finish time)")
    else:
        row = next(r for r in data.rows if r.id == m.deployment_id)
        prev_id = data.previous.get(row.id)
        prev = next((r for r in data.rows if r.id == prev_id), None)
        dep_info = {"id": row.id, "group": row.group, "repo": row.repo, "commit_sha": row.commit_sha,
                    "started_at": _iso(row.started_at), "finished_at": _iso(row.finished_at),
                    "previous_deployment_id": prev_id, "previous_commit_sha": prev.commit_sha if prev else None}
        why.append(f"shipped by {row.id}: its commit {str(row.commit_sha)[:12]} reaches the merge commit, "
                   f"the previous deployment's {str(prev.commit_sha if prev else None)[:12]} does not")
        if m.deploy_time_min is None:
            why.append("deploy time: the deployment finished before the merge (link kept, time null)")
    return PrDetail(_row(pr, m), pr.created_at, m.first_commit_at, m.first_review_at, pr.merge_commit_sha,
                    dep_info, tuple(why))


def metric_keys(metrics: Sequence[MetricView]) -> list[str]:
    return [m.key for m in metrics]
