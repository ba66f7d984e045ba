"""Use cases of the flaky analysis: analyze, list, show, the quarantine list, a manual state change.

Each takes the :class:`~argus.app.runtime.Runtime` and a typed request, runs one project-scoped unit
of work and returns a frozen read model (:mod:`argus.analysis.flaky.readmodels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argus.analysis.flaky.lifecycle import LifecycleState
from argus.analysis.flaky.readmodels import (
    AnalysedTest,
    FlakyAnalysis,
    Quarantine,
    StateSet,
    TestShown,
    TestView,
)
from argus.core.enums import InsightKind

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime


@dataclass(frozen=True)
class AnalyzeRequest:
    project: str | None = None
    #: Analyse without storing insights or states.
    dry_run: bool = False


@dataclass(frozen=True)
class ListRequest:
    project: str | None = None
    #: FLAKY_TEST or BROKEN_TEST; None: both.
    kind: InsightKind | None = None
    state: LifecycleState | None = None
    min_probability: float = 0.0
    limit: int = 100


@dataclass(frozen=True)
class ShowRequest:
    test: str
    project: str | None = None


@dataclass(frozen=True)
class QuarantineRequest:
    project: str | None = None


@dataclass(frozen=True)
class SetStateRequest:
    test: str
    state: LifecycleState
    note: str | None = None
    project: str | None = None


def analyze(runtime: Runtime, req: AnalyzeRequest) -> FlakyAnalysis:
    """Judge every test that failed; store flaky/broken insights and lifecycle states (unless dry run)."""

    def work(scope: ProjectScope) -> FlakyAnalysis:
        from argus.analysis.flaky.insights import data_of
        from argus.analysis.flaky.schemas import Verdict
        from argus.analysis.flaky.service import analyze as run

        res = run(scope.session, scope.settings.flaky, persist=not req.dry_run)
        rows = sorted((a for a in res.assessments if a.verdict is not Verdict.STABLE),
                      key=lambda a: (a.verdict.value, -a.probability))
        tests = []
        for a in rows:
            p, low, high = (a.broken.probability, None, None) if a.broken is not None else (a.probability, a.low, a.high)
            tests.append(AnalysedTest(a.identity, a.verdict.value, p, low, high, a.category.category.value,
                                      a.action.value, a.wasted_s, data_of(a, None)))
        return FlakyAnalysis(
            project=scope.project.slug,
            runs=res.runs,
            tests_examined=res.candidates,
            outage_runs=res.outage_runs,
            flaky=len(res.flaky),
            broken=len(res.broken),
            insights_stored=len(res.insight_ids),
            wasted_s=round(sum(a.wasted_s for a in res.flaky), 3),
            state_changes=tuple(res.changes),
            tests=tuple(tests),
            dry_run=req.dry_run,
        )

    return runtime.in_project(req.project, work)


def list_tests(runtime: Runtime, req: ListRequest) -> tuple[TestView, ...]:
    """Current flaky and broken tests, most likely first."""

    def work(scope: ProjectScope) -> tuple[TestView, ...]:
        from argus.analysis.flaky.queries import list_tests as rows

        return tuple(rows(scope.session, kind=req.kind, state=req.state, min_probability=req.min_probability,
                          limit=req.limit))

    return runtime.in_project(req.project, work)


def show_test(runtime: Runtime, req: ShowRequest) -> TestShown:
    """One test: its current findings with evidence, lifecycle, latest failure messages, and the runs
    the evidence points at."""

    def work(scope: ProjectScope) -> TestShown:
        from argus.analysis.flaky.service import show_test as detail
        from argus.analysis.insights.refs import describe_refs

        d = detail(scope.session, req.test)
        refs = describe_refs(scope.session, ((e.ref_type, e.ref_id) for v in d.insights for e in v.evidence),
                             scope.settings.run_url)
        return TestShown(d, refs)

    return runtime.in_project(req.project, work)


def quarantine(runtime: Runtime, req: QuarantineRequest) -> Quarantine:
    """The tests currently quarantined, most likely flaky first (render with :mod:`argus.report.quarantine`)."""

    def work(scope: ProjectScope) -> Quarantine:
        from argus.analysis.flaky.queries import quarantined_tests

        return Quarantine(scope.project.slug, tuple(quarantined_tests(scope.session)))

    return runtime.in_project(req.project, work)


def set_state(runtime: Runtime, req: SetStateRequest) -> StateSet:
    """Set a test's lifecycle state by hand (the analysis moves it on from there)."""

    def work(scope: ProjectScope) -> StateSet:
        from argus.analysis.flaky.service import set_state as put

        return StateSet(put(scope.session, req.test, req.state, req.note), req.state)

    return runtime.in_project(req.project, work)
