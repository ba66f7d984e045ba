"""The DORA rules of Apache DevLake's ``dora`` plugin, as pure functions (names in each docstring).

Times are aware datetimes; every duration is computed on absolute instants, so offsets and DST
changes in the inputs do not matter. Only grouping by day / week / month uses a time zone.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise

from argus.analysis.delivery.schemas import (
    DEPLOYMENT,
    FAILURE,
    PRODUCTION,
    STAGING,
    SUCCESS,
    TESTING,
    Benchmark,
    Bucket,
    DeploymentRow,
    Incident,
    IncidentLink,
    Metric,
    PeriodMetrics,
    Pipeline,
    PipelineCommit,
    PrComment,
    PrCommit,
    PrMetrics,
    PullRequest,
    Task,
)

_COUNTED = (SUCCESS, FAILURE)  # SKIPPED (and anything else) never counts


def span_minutes(start: datetime | None, end: datetime | None) -> int | None:
    """DevLake ``computeTimeSpan``: whole minutes rounded up; a span in (-1 min, 0] is 0; a span of
    -1 min or less is null; null when either end is null."""
    if start is None or end is None:
        return None
    # in UTC: Python subtracts two times of the same zone on the wall clock, across DST changes too
    minutes = math.ceil((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60)
    return None if minutes < 0 else minutes


def _floor_minutes(start: datetime, end: datetime) -> int:
    """MySQL ``TIMESTAMPDIFF(MINUTE, start, end)``: whole minutes truncated toward zero."""
    return int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60)


# --- deployments -------------------------------------------------------------------------------------


def derive_deployments(pipelines: Iterable[Pipeline], tasks: Iterable[Task],
                       commits: Iterable[PipelineCommit]) -> list[DeploymentRow]:
    """DevLake ``generateDeploymentCommits``: one row per pipeline × repo, keyed ``PIPELINE_ID:REPO``.

    A pipeline counts when its result is SUCCESS or FAILURE and its type is DEPLOYMENT or it has a
    DEPLOYMENT task whose result is SUCCESS or FAILURE. Environment: the pipeline's, else from its
    tasks with a SUCCESS/FAILURE result (PRODUCTION over STAGING over TESTING), else none. A missing
    start time is finish minus duration.
    """
    by_pipe: dict[str, list[Task]] = defaultdict(list)
    for t in tasks:
        by_pipe[t.pipeline_id].append(t)
    pipes = {p.id: p for p in pipelines}
    out = []
    for pc in commits:
        p = pipes.get(pc.pipeline_id)
        if p is None or p.result not in _COUNTED:
            continue
        ts = by_pipe.get(p.id, [])
        if p.type != DEPLOYMENT and not any(t.type == DEPLOYMENT and t.result in _COUNTED for t in ts):
            continue
        env = p.environment or None
        if env is None:
            envs = {t.environment for t in ts if t.result in _COUNTED}
            env = next((e for e in (PRODUCTION, STAGING, TESTING) if e in envs), None)
        started = p.started_at
        if started is None and p.finished_at is not None and p.duration_sec is not None:
            started = p.finished_at - timedelta(seconds=p.duration_sec)
        out.append(DeploymentRow(f"{p.id}:{pc.repo}", p.id, p.name, p.scope, pc.repo, pc.commit_sha, env, p.result,
                                 started, p.finished_at, from_pipeline=True))
    return out


def previous_successful(rows: Iterable[DeploymentRow]) -> dict[str, str | None]:
    """DevLake ``enrichPrevSuccessDeploymentCommits``: chains per (scope, repo, environment) of SUCCESS
    rows with a finish time (and a repo and environment), ordered by finish time (ties by id); each
    row's previous is the row before it. Other rows (failed ones included) get none and do not break
    a chain. Every row appears in the result."""
    out: dict[str, str | None] = {}
    chains: dict[tuple[str, str, str], list[DeploymentRow]] = defaultdict(list)
    for r in rows:
        out[r.id] = None
        if r.result == SUCCESS and r.finished_at is not None and r.repo and r.environment:
            chains[(r.scope or "", r.repo, r.environment)].append(r)
    for chain in chains.values():
        chain.sort(key=lambda r: (r.finished_at, r.id))
        for prev, cur in pairwise(chain):
            out[cur.id] = prev.id
    return out


# --- ancestry ----------------------------------------------------------------------------------------


class CommitGraph:
    """Parents of commits by SHA (from ``commits.csv`` and the ingested git history), with generation
    numbers so that a range walk (``git log NEW ^OLD``) stops as soon as it can."""

    def __init__(self, parents: Mapping[str, Sequence[str]]) -> None:
        self.parents = {k: tuple(v) for k, v in parents.items()}
        self.gen: dict[str, int] = {}
        for sha in self.parents:
            self._generation(sha)

    def _generation(self, root: str) -> None:
        stack = [root]
        while stack:
            sha = stack[-1]
            if sha in self.gen:
                stack.pop()
                continue
            todo = [p for p in self.parents.get(sha, ()) if p in self.parents and p not in self.gen]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            self.gen[sha] = 1 + max((self.gen[p] for p in self.parents.get(sha, ()) if p in self.gen), default=0)

    def __contains__(self, sha: object) -> bool:
        return sha in self.parents

    def new_commits(self, new: str, old: str | None) -> set[str]:
        """Commits reachable from ``new`` and not from ``old`` (DevLake ``commits_diffs`` between a
        deployment's commit and its previous deployment's commit). A commit missing from the graph
        reaches only itself."""
        if new == old:
            return set()
        if new not in self.parents:
            return {new}
        NEW, OLD = 1, 2
        flags: dict[str, int] = {new: NEW}
        heap: list[tuple[int, str]] = [(-self.gen[new], new)]
        if old is not None:
            flags[old] = OLD
            heapq.heappush(heap, (-self.gen.get(old, 0), old))
        done: set[str] = set()
        while heap and any(flags[s] == NEW for _, s in heap):
            _, sha = heapq.heappop(heap)
            if sha in done:
                continue
            done.add(sha)
            flag = flags[sha]
            for p in self.parents.get(sha, ()):
                merged = flags.get(p, 0) | flag
                if merged != flags.get(p):
                    flags[p] = merged
                    heapq.heappush(heap, (-self.gen.get(p, 0), p))
        return {s for s, f in flags.items() if f == NEW}


def shipping_deployments(rows: Sequence[DeploymentRow], previous: Mapping[str, str | None],
                         graph: CommitGraph, wanted: set[str]) -> tuple[dict[str, DeploymentRow], int]:
    """For each wanted merge SHA, the deployment that shipped it (DevLake ``getDeploymentCommit``):
    a SUCCESS PRODUCTION row that has a previous successful row, whose commit reaches the SHA while
    the previous row's commit does not; the earliest by start time (a null start first, as MySQL
    sorts), ties by id. Returns ``{sha: row}`` and how many commits the diffs held."""
    by_id = {r.id: r for r in rows}
    candidates: dict[str, list[DeploymentRow]] = defaultdict(list)
    total = 0
    for r in rows:
        prev_id = previous.get(r.id)
        if r.result != SUCCESS or r.environment != PRODUCTION or prev_id is None or not r.commit_sha:
            continue
        prev = by_id[prev_id]
        diff = graph.new_commits(r.commit_sha, prev.commit_sha)
        total += len(diff)
        for sha in diff & wanted:
            candidates[sha].append(r)
    out = {}
    for sha, found in candidates.items():
        out[sha] = min(found, key=lambda r: (r.started_at is not None, r.started_at or datetime.min, r.id))
    return out, total


# --- pull requests -----------------------------------------------------------------------------------


def pr_metrics(prs: Iterable[PullRequest], commits: Iterable[PrCommit], comments: Iterable[PrComment],
               shipped: Mapping[str, DeploymentRow]) -> list[PrMetrics]:
    """DevLake ``calculateChangeLeadTime`` (``project_pr_metrics``), merged PRs only.

    coding = earliest authored commit → created; pickup = created → first review; review = first
    review → merged; first review = earliest comment by someone other than the PR author; deploy =
    merged → the shipping deployment's finish (null with the link kept when it finished before the
    merge; no link when it has no finish); cycle = coding + (created → merged) + deploy, a missing
    part counting 0. ``first_commit_at`` / ``first_review_at`` of the PR row are used when the PR has
    no commit / comment rows.
    """
    first_commit: dict[str, datetime] = {}
    for c in commits:
        if c.authored_at is not None and (c.pr_id not in first_commit or c.authored_at < first_commit[c.pr_id]):
            first_commit[c.pr_id] = c.authored_at
    has_comments: set[str] = set()
    first_review: dict[str, datetime] = {}
    for cm in comments:
        has_comments.add(cm.pr_id)
        if cm.by_pr_author or cm.created_at is None:
            continue
        if cm.pr_id not in first_review or cm.created_at < first_review[cm.pr_id]:
            first_review[cm.pr_id] = cm.created_at
    out = []
    for pr in prs:
        if pr.merged_at is None:
            continue
        fc = first_commit.get(pr.id, pr.first_commit_at)
        fr = first_review.get(pr.id) if pr.id in has_comments else pr.first_review_at
        coding = span_minutes(fc, pr.created_at)
        pickup = span_minutes(pr.created_at, fr) if fr is not None else None
        review = span_minutes(fr, pr.merged_at) if fr is not None else None
        during = span_minutes(pr.created_at, pr.merged_at)
        dep = shipped.get(pr.merge_commit_sha) if pr.merge_commit_sha else None
        deploy = None
        dep_id = None
        finished = None
        if dep is not None and dep.finished_at is not None:
            deploy = span_minutes(pr.merged_at, dep.finished_at)
            dep_id, finished = dep.id, dep.finished_at
        cycle = (coding or 0) + (during or 0) + (deploy or 0)
        out.append(PrMetrics(pr.id, coding, pickup, review, deploy, cycle, dep_id, fc, fr, finished))
    return out


# --- incidents ---------------------------------------------------------------------------------------


def link_incidents(incidents: Iterable[Incident], rows: Iterable[DeploymentRow],
                   max_gap: timedelta | None = None) -> dict[str, IncidentLink | None]:
    """DevLake ``ConnectIncidentToDeployment``: an incident belongs to the latest SUCCESS PRODUCTION
    deployment row that finished strictly before the incident was created (ties: the greatest id),
    and is recorded against that row's deployment (``cicd_deployment_id``). With ``max_gap`` the row
    must also have finished within that gap of the incident (off by default, as in DevLake)."""
    prod = sorted((r for r in rows if r.result == SUCCESS and r.environment == PRODUCTION and r.finished_at),
                  key=lambda r: (r.finished_at, r.id))
    times: list[datetime] = [r.finished_at for r in prod if r.finished_at is not None]
    out: dict[str, IncidentLink | None] = {}
    for inc in incidents:
        out[inc.id] = None
        if inc.created_at is None:
            continue
        i = bisect_left(times, inc.created_at)
        if i == 0:
            continue
        row = prod[i - 1]
        assert row.finished_at is not None
        if max_gap is not None and inc.created_at - row.finished_at > max_gap:
            continue
        out[inc.id] = IncidentLink(inc.id, row.group, row.id, row.finished_at)
    return out


# --- aggregation -------------------------------------------------------------------------------------


def lower_median(values: Sequence[float]) -> float | None:
    """DevLake's median: ``max(x)`` over rows with ``percent_rank() <= 0.5`` (the lower median)."""
    if not values:
        return None
    s = sorted(values)
    return s[(len(s) - 1) // 2]


def upper_median(values: Sequence[float]) -> float | None:
    """``min(x)`` over rows with ``percent_rank() >= 0.5`` (ties share the rank of their first row); None
    when no row qualifies (one row, or all rows equal), as SQL's ``min`` over no row."""
    if not values:
        return None
    s = sorted(values)
    n = len(s)
    first: dict[float, int] = {}
    for i, v in enumerate(s):
        first.setdefault(v, i)
    chosen = [v for v in s if (0.0 if n == 1 else first[v] / (n - 1)) >= 0.5]
    return min(chosen) if chosen else None  # SQL: min() over no row is NULL


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def month_start(d: date) -> date:
    return d.replace(day=1)


def group_finish(rows: Iterable[DeploymentRow]) -> dict[str, datetime]:
    """Deployments (groups) with a SUCCESS PRODUCTION row: the last finish time of their rows (DevLake
    counts one deployment per ``cicd_deployment_id``, finished when its last row finished)."""
    out: dict[str, datetime] = {}
    for r in rows:
        if r.result == SUCCESS and r.environment == PRODUCTION and r.finished_at is not None and (
                r.group not in out or r.finished_at > out[r.group]):
            out[r.group] = r.finished_at
    return out


LEAD_2023 = ((24 * 60, Bucket.ELITE), (7 * 24 * 60, Bucket.HIGH), (30 * 24 * 60, Bucket.MEDIUM))
LEAD_2021 = ((60, Bucket.ELITE), (7 * 24 * 60, Bucket.HIGH), (180 * 24 * 60, Bucket.MEDIUM))
RESTORE = ((60, Bucket.ELITE), (24 * 60, Bucket.HIGH), (7 * 24 * 60, Bucket.MEDIUM))
CFR_2023 = ((0.05, Bucket.ELITE), (0.10, Bucket.HIGH), (0.15, Bucket.MEDIUM))
CFR_2021 = ((0.15, Bucket.ELITE), (0.20, Bucket.HIGH), (0.30, Bucket.MEDIUM))


def _below(report: str, value: float | None, steps: Sequence[tuple[float, Bucket]], unit: str,
           missing: str) -> Benchmark:
    """Bucket by ``value < limit`` (times) in order; the last bucket is LOW."""
    if value is None:
        return Benchmark(report, None, f"N/A: {missing}")
    for limit, bucket in steps:
        if value < limit:
            return Benchmark(report, bucket, f"{value:g} {unit} < {limit:g} {unit}")
    return Benchmark(report, Bucket.LOW, f"{value:g} {unit} >= {steps[-1][0]:g} {unit}")


def _at_most(report: str, value: float | None, steps: Sequence[tuple[float, Bucket]], missing: str) -> Benchmark:
    if value is None:
        return Benchmark(report, None, f"N/A: {missing}")
    for limit, bucket in steps:
        if value <= limit:
            return Benchmark(report, bucket, f"{100 * value:.1f}% <= {100 * limit:g}%")
    return Benchmark(report, Bucket.LOW, f"{100 * value:.1f}% > {100 * steps[-1][0]:g}%")


def frequency_benchmarks(week: float | None, month: float | None, six: float | None,
                         any_deployment: bool) -> tuple[Benchmark, Benchmark]:
    """DevLake's deployment-frequency buckets from the median number of deployment days per week,
    month and six months (2023: 7/week elite, 1/week high, 1/month medium; 2021: 7/week elite,
    1/month high, 1/six months medium; else low)."""
    if not any_deployment or week is None or month is None:
        na = "no successful PRODUCTION deployment collected"
        return Benchmark("2021", None, f"N/A: {na}"), Benchmark("2023", None, f"N/A: {na}")
    w, m = f"median deployment days per week {week:g}", f"per month {month:g}"
    s = f"per six months {six:g}" if six is not None else "per six months undefined"
    if week >= 7:
        b23 = Benchmark("2023", Bucket.ELITE, f"{w} >= 7")
    elif week >= 1:
        b23 = Benchmark("2023", Bucket.HIGH, f"{w} >= 1")
    elif month >= 1:
        b23 = Benchmark("2023", Bucket.MEDIUM, f"{w} < 1, {m} >= 1")
    else:
        b23 = Benchmark("2023", Bucket.LOW, f"{w} < 1, {m} < 1")
    if week >= 7:
        b21 = Benchmark("2021", Bucket.ELITE, f"{w} >= 7")
    elif month >= 1:
        b21 = Benchmark("2021", Bucket.HIGH, f"{w} < 7, {m} >= 1")
    elif six is None:
        b21 = Benchmark("2021", None, f"N/A: {m} < 1 and the median per six months is undefined (DevLake's "
                        "percent_rank() >= 0.5 selects no block: one block, or all blocks equal)")
    elif six >= 1:
        b21 = Benchmark("2021", Bucket.MEDIUM, f"{m} < 1, {s} >= 1")
    else:
        b21 = Benchmark("2021", Bucket.LOW, f"{m} < 1, {s} < 1")
    return b21, b23


def period_metrics(first: date, last: date, tz: tzinfo, rows: Sequence[DeploymentRow],
                   prs: Sequence[PrMetrics], incidents: Sequence[Incident],
                   links: Mapping[str, IncidentLink | None]) -> PeriodMetrics:
    """The four keys over the days ``first``..``last`` (in ``tz``), as DevLake's DORA dashboard
    computes them (see docs/delivery.md)."""

    def day(t: datetime) -> date:
        return t.astimezone(tz).date()

    def inside(t: datetime | None) -> bool:
        return t is not None and first <= day(t) <= last

    finish = group_finish(rows)
    in_period = {g: t for g, t in finish.items() if inside(t)}
    dep_days = {day(t) for t in in_period.values()}
    # deployment frequency (deployment days)
    cal = days(first, last)
    weeks: dict[date, int] = defaultdict(int)
    months: dict[date, int] = defaultdict(int)
    for d in cal:
        weeks[d - timedelta(d.weekday())] += d in dep_days
        months[month_start(d)] += d in dep_days
    med_week = lower_median(list(weeks.values()))
    month_keys = sorted(months)
    med_month = lower_median([months[k] for k in month_keys])
    blocks = [sum(months[k] for k in month_keys[max(0, end - 5):end + 1])
              for end in range(len(month_keys) - 1, -1, -6)]
    med_six = upper_median(blocks)
    b21, b23 = frequency_benchmarks(med_week, med_month, med_six, bool(finish))
    freq = Metric("deployment_frequency", "Deployment frequency", med_week, "deployment days per week (median)",
                  (b21, b23), {"deployments": len(in_period), "deployment_days": len(dep_days),
                               "median_days_per_week": med_week, "median_days_per_month": med_month,
                               "median_days_per_six_months": med_six})
    # lead time for changes: PRs whose shipping deployment finished in the period
    cycles = [p.cycle_time_min for p in prs if p.deployment_id is not None and inside(p.deployment_finished_at)]
    med_lead = lower_median(cycles)
    missing = "no merged PR deployed by a deployment that finished in the period"
    lead = Metric("lead_time", "Median lead time for changes", med_lead, "minutes", (
        _below("2021", med_lead, LEAD_2021, "min", missing), _below("2023", med_lead, LEAD_2023, "min", missing)),
        {"pull_requests": len(cycles)})
    # change failure rate: deployments (groups) finished in the period with at least one incident
    failed_groups = {lk.deployment_id for lk in links.values() if lk is not None}
    with_incident = sum(1 for g in in_period if g in failed_groups)
    rate = with_incident / len(in_period) if in_period and incidents else None
    why = "no deployments collected" if not finish else ("no incidents collected" if not incidents
                                                          else "no deployment finished in the period")
    cfr = Metric("change_failure_rate", "Change failure rate", rate, "share of deployments", (
        _at_most("2021", rate, CFR_2021, why), _at_most("2023", rate, CFR_2023, why)),
        {"deployments": len(in_period), "deployments_with_incident": with_incident})
    # failed deployment recovery time (2023): deployment finish → incident resolved
    rec = []
    for inc in incidents:
        lk = links.get(inc.id)
        if lk is None or inc.resolved_at is None or lk.deployment_id not in in_period or not inside(inc.resolved_at):
            continue
        rec.append(_floor_minutes(in_period[lk.deployment_id], inc.resolved_at))
    med_rec = lower_median(rec)
    fdrt = Metric("failed_deployment_recovery_time", "Failed deployment recovery time (median)", med_rec, "minutes",
                  (Benchmark("2021", None, "not a 2021 metric: see time_to_restore"),
                   _below("2023", med_rec, RESTORE, "min", "no resolved incident linked to a deployment")),
                  {"incidents": len(rec)})
    # time to restore service / MTTR (2021): incident created → resolved, incidents created in the period
    ttr = [_floor_minutes(i.created_at, i.resolved_at) for i in incidents
           if i.created_at is not None and i.resolved_at is not None and inside(i.created_at)]
    med_ttr = lower_median(ttr)
    mean_ttr = sum(ttr) / len(ttr) if ttr else None
    mttr = Metric("time_to_restore", "Median time to restore service (MTTR)", med_ttr, "minutes",
                  (_below("2021", med_ttr, RESTORE, "min", "no resolved incident created in the period"),
                   Benchmark("2023", None, "not a 2023 metric: see failed_deployment_recovery_time")),
                  {"incidents": len(ttr), "mean_minutes": mean_ttr})
    return PeriodMetrics(first, last, (freq, lead, cfr, fdrt, mttr))


def month_ranges(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months overlapping ``first``..``last``, each clipped to it."""
    out = []
    cur = month_start(first)
    while cur <= last:
        nxt = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append((max(cur, first), min(nxt - timedelta(1), last)))
        cur = nxt
    return out
