"""Use cases of the quality gate: judge a build, show its baseline, collect its CI metrics.

Each takes a typed request and runs one project-scoped unit of work (:meth:`Runtime.in_project`);
the CLI (``argus gate``, ``argus baseline``, ``argus ci-metrics``), the API and jobs call these.
When no build is named, it comes from the CI environment (``environ``, ``cwd``: the mapping and
checkout the CI detector reads), as does the PR base for the changed-line checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.gates.readmodels import BaselineReadModel, CiMetrics, GateOutcome, GateReadModel
    from argus.app.runtime import ProjectScope, Runtime
    from argus.core.settings import GateSettings

#: Values of ``--already-failing`` (a rule mode of the gate settings).
ALREADY_FAILING_MODES = ("block", "warn", "off")


@dataclass(frozen=True)
class GateRequest:
    """Which build to judge and how. No ``commit``/``ci_run_id``: the build of the CI environment."""

    project: str | None = None
    commit: str | None = None
    ci_run_id: str | None = None
    branch: str | None = None  # only the build's runs on this branch
    base: str | None = None  # diff base ref for changed-line coverage (default: the CI's PR base)
    repo: Path = Path(".")  # git checkout the diff is taken in
    already_failing: str | None = None  # mode of rule already_failing (default: from settings)
    record: bool = True  # store the verdict as a GATE_VERDICT insight
    with_metrics: bool = False  # also collect the build's CI metrics
    environ: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = Path(".")

    def __post_init__(self) -> None:
        if self.already_failing is not None and self.already_failing not in ALREADY_FAILING_MODES:
            raise InputError(f"--already-failing {self.already_failing!r}: use block, warn or off")


@dataclass(frozen=True)
class BuildRequest:
    """A build named by commit or CI run id (for ``argus baseline``: none named, a build starting now;
    for ``argus ci-metrics``: none named, the build of the CI environment)."""

    project: str | None = None
    commit: str | None = None
    ci_run_id: str | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    cwd: Path = Path(".")


@dataclass(frozen=True)
class _Build:
    commit: str | None
    ci_run_id: str | None
    diff_text: str | None


def _gate_settings(runtime: Runtime, req: GateRequest) -> GateSettings:
    gs = runtime.settings.gate
    if req.already_failing is None:
        return gs
    return gs.model_copy(update={"rules": {**gs.rules, "already_failing": req.already_failing}})


def _resolve(req: GateRequest, note: Callable[[str], None]) -> _Build:
    """The build (from the request, else the CI environment) and the diff of the change."""
    from argus.ingest.ci_env import detect_ci_metadata
    from argus.ingest.git.gitcmd import merge_base_diff

    if req.commit is not None or req.ci_run_id is not None:
        return _Build(req.commit, req.ci_run_id,
                      merge_base_diff(req.repo, req.base, req.commit) if req.base else None)
    meta = detect_ci_metadata(req.environ, req.cwd)
    ci_run, commit = meta.run_id, meta.commit_sha if meta.run_id is None else None
    if req.base is None and meta.environment.get("base_branch"):
        auto_base = f"origin/{meta.environment['base_branch']}"
        try:
            diff: str | None = merge_base_diff(req.repo, auto_base, meta.commit_sha)
        except InputError as exc:
            note(f"no diff ({exc}); changed-line checks skipped")
            diff = None
    else:
        diff = merge_base_diff(req.repo, req.base, meta.commit_sha) if req.base else None
    return _Build(commit, ci_run, diff)


def _with_tests_needed(scope: ProjectScope, outcome: GateOutcome, diff: str, repo: Path) -> GateOutcome:
    """The outcome with the tests the diff needs (safe mode), when a coverage map is stored."""
    import dataclasses

    from argus.analysis.gates.readmodels import NeededTest, TestsNeeded
    from argus.analysis.selection.diffparse import parse_diff
    from argus.analysis.selection.schemas import Budget, Mode
    from argus.analysis.selection.service import has_map, select_tests

    if not has_map(scope.session):
        return outcome
    s = scope.settings.selection
    _, view = select_tests(scope.session, scope.project.slug, s, parse_diff(diff),
                           Budget(Mode.CONFIDENCE, s.default_confidence), root=repo if repo.is_dir() else None,
                           subject=outcome.build.commit_sha or outcome.build.key, persist=True)
    needed = tuple(NeededTest(t.test, t.score, t.reasons[0] if t.reasons else "fills the budget")
                   for t in view.selected)
    return dataclasses.replace(outcome, tests_needed=TestsNeeded(needed, view.total, view.mode, view.estimated_miss,
                                                                 view.uncovered, view.insight_id))


def evaluate_gate(
    runtime: Runtime, req: GateRequest, *, on_note: Callable[[str], None] | None = None
) -> GateReadModel:
    """Judge the build against the rolling baseline; record the verdict (``req.record``) and collect
    the build's CI metrics (``req.with_metrics``) in the same unit of work.

    ``on_note`` hears each note (what could not be checked) when it arises, before the database is read;
    the notes are also in the read model.
    """
    from argus.analysis.gates.readmodels import GateReadModel
    from argus.analysis.gates.service import collect_ci_metrics, record_gate, run_gate

    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        if on_note is not None:
            on_note(text)

    gs = _gate_settings(runtime, req)
    build = _resolve(req, note)

    def work(scope: ProjectScope) -> tuple[GateOutcome, CiMetrics | None]:
        outcome = run_gate(scope.session, scope.project, gs, commit=build.commit, ci_run_id=build.ci_run_id,
                           branch=req.branch, diff_text=build.diff_text)
        if build.diff_text:
            outcome = _with_tests_needed(scope, outcome, build.diff_text, req.repo)
        if req.record:
            outcome = record_gate(scope.session, outcome)
        metrics = None
        if req.with_metrics:
            metrics = collect_ci_metrics(
                scope.session, scope.project.slug,
                commit=outcome.build.commit_sha if build.ci_run_id is None else None, ci_run_id=build.ci_run_id,
            )
        return outcome, metrics

    outcome, metrics = runtime.in_project(req.project, work)
    return GateReadModel(outcome, metrics, tuple(notes))


def gate_baseline(runtime: Runtime, req: BuildRequest) -> BaselineReadModel:
    """The rolling baseline the named build is judged against (none named: a build starting now)."""
    from argus.analysis.gates.service import gate_baseline as baseline_of

    return runtime.in_project(req.project, lambda scope: baseline_of(
        scope.session, scope.project, runtime.settings.gate, commit=req.commit, ci_run_id=req.ci_run_id))


def ci_metrics(runtime: Runtime, req: BuildRequest) -> CiMetrics:
    """CI metrics of the named build (none named: the build of the CI environment)."""
    from argus.analysis.gates.service import collect_ci_metrics
    from argus.ingest.ci_env import detect_ci_metadata

    commit, run_id = req.commit, req.ci_run_id
    if commit is None and run_id is None:
        meta = detect_ci_metadata(req.environ, req.cwd)
        run_id, commit = meta.run_id, meta.commit_sha if meta.run_id is None else None
    return runtime.in_project(req.project, lambda scope: collect_ci_metrics(
        scope.session, scope.project.slug, commit=commit, ci_run_id=run_id))
