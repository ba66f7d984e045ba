"""Run the analyses through their commands and collect what the tour shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from argus.analysis.insights.schemas import InsightView
from argus.analysis.insights.service import get_insight, list_insights
from argus.cli.context import CliState
from argus.cli.demo.steps import CommandLog, run_command
from argus.core.enums import EvidenceType, InsightKind
from argus.store.models import BugLink, Commit, DeadLetter, TestCase, TestResult, TestRun


@dataclass
class ProjectFindings:
    """What the analyses stored for one project, as the tour reads it back."""

    project: str
    counts: dict[str, int] = field(default_factory=dict)
    flaky: list[InsightView] = field(default_factory=list)
    broken: list[InsightView] = field(default_factory=list)
    clusters: list[InsightView] = field(default_factory=list)
    novel: list[InsightView] = field(default_factory=list)
    gates: list[dict[str, Any]] = field(default_factory=list)
    gate_insights: list[InsightView] = field(default_factory=list)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _latest_main_commit(state: CliState, project: str) -> str | None:
    with state.project_session(project) as (s, proj):
        return s.scalars(
            select(TestRun.commit_sha)
            .where(TestRun.branch == proj.default_branch, TestRun.commit_sha.is_not(None))
            .order_by(TestRun.started_at.desc())
            .limit(1)
        ).first()


def _first_failing_commit(view: InsightView) -> str | None:
    broken = view.data.get("broken")
    if isinstance(broken, dict) and isinstance(broken.get("first_commit"), str):
        return str(broken["first_commit"])
    for ev in view.evidence:
        if ev.ref_type == EvidenceType.COMMIT:
            return ev.ref_id
    return None


def analyse_project(state: CliState, project: str, log: CommandLog, repo: str | None) -> ProjectFindings:
    """`argus flaky analyze`, `argus failures analyze`, then `argus gate` on two builds."""
    run_command(state, ["flaky", "analyze", "-p", project, "--json"], log)
    run_command(state, ["failures", "analyze", "-p", project, "--json"], log)
    found = ProjectFindings(project)
    with state.project_session(project) as (s, _):
        found.counts = {
            "runs": s.scalar(select(func.count()).select_from(TestRun)) or 0,
            "tests": s.scalar(select(func.count()).select_from(TestCase)) or 0,
            "results": s.scalar(select(func.count()).select_from(TestResult)) or 0,
            "commits": s.scalar(select(func.count()).select_from(Commit)) or 0,
            "bug_links": s.scalar(select(func.count()).select_from(BugLink)) or 0,
            "rejected_files": s.scalar(select(func.count()).select_from(DeadLetter)) or 0,
        }
        found.flaky = [
            get_insight(s, v.id) for v in list_insights(s, kind=InsightKind.FLAKY_TEST, limit=1000)
        ]
        found.broken = [
            get_insight(s, v.id) for v in list_insights(s, kind=InsightKind.BROKEN_TEST, limit=1000)
        ]
        found.clusters = sorted(
            list_insights(s, kind=InsightKind.FAILURE_CLUSTER, limit=1000),
            key=lambda v: -int(v.data.get("count") or 0),
        )
        found.novel = list_insights(s, kind=InsightKind.NOVEL_FAILURE, limit=1000)
    builds: list[str] = []
    latest = _latest_main_commit(state, project)
    if latest:
        builds.append(latest)
    regressions = sorted(found.broken, key=lambda v: v.created_at)
    for view in regressions[:1]:
        commit = _first_failing_commit(view)
        if commit and commit not in builds:
            builds.append(commit)
    gate_log = CommandLog()
    for commit in builds:
        out = run_command(
            state, ["gate", "-p", project, "--commit", commit, "--json", "--no-github"], gate_log
        )
        data = _json(out)
        if isinstance(data, dict):
            found.gates.append(data)
    # a FAIL verdict exits 1 by design; anything else is a real failure
    log.ran += gate_log.ran
    log.failed += [f for f in gate_log.failed if f[1] != 1]
    with state.project_session(project) as (s, _):
        found.gate_insights = [
            get_insight(s, v.id) for v in list_insights(s, kind=InsightKind.GATE_VERDICT, limit=10)
        ]
    return found
