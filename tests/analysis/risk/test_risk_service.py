"""Change risk on a simulated project's ingested history: feature assembly without look-ahead, training
with champion/challenger, evaluation, promotion, assessment (prediction log + insight), drift and backfill."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("lightgbm", reason="the ml extra (LightGBM, scikit-learn) is not installed")

from sqlalchemy import select

from argus.analysis.risk import service
from argus.analysis.risk.features import load_changes
from argus.cli.context import CliState
from argus.cli.demo.steps import CommandLog, ingest_run, load_runs, run_command
from argus.core.settings import RiskLabel, Settings
from argus.sim import Scale, scale_config, simulate
from argus.store.models import BugLink, Commit, InsightRow, ModelVersion, RiskPrediction
from argus.testing.databases import SchemaTemplate

PROJECT = "shop"


def _with_either_label(settings: Settings) -> Settings:
    return settings.model_copy(update={"risk": settings.risk.model_copy(update={"label": RiskLabel.EITHER})})


@pytest.fixture(scope="module")
def world(module_cli_env: tuple[Path, dict[str, str]], migrated_template: SchemaTemplate) -> str:
    """The simulated project's git history and CI runs, ingested once for the module: the URL of that
    database (each test works on its own copy of it, see ``state``)."""
    folder, env = module_cli_env
    migrated_template.restore(env["ARGUS_DATABASE_URL"])
    sim = folder / "sim"
    simulate(replace(scale_config(Scale.SMALL, seed=5), days=14), sim, scale="small", force=True)
    manifest: dict[str, Any] = json.loads((sim / "manifest.json").read_text())
    (project,) = manifest["projects"]
    st = CliState.with_settings(_with_either_label(Settings(home=Path(env["ARGUS_HOME"]),  # type: ignore[arg-type]
                                                            database_url=env["ARGUS_DATABASE_URL"])))
    try:
        log = CommandLog()
        run_command(st, ["ingest", "git", "--repo", str(sim / project["repo"]), "-p", PROJECT], log)
        for run in load_runs(manifest, sim):
            ingest_run(st, replace(run, project=PROJECT), log)
        assert log.failed == []
    finally:
        st.close()
    return env["ARGUS_DATABASE_URL"]


@pytest.fixture
def state(world: str, copy_database: Callable[[str], str], cli_env: dict[str, str], settings: Settings) -> Any:
    copy_database(world)
    st = CliState.with_settings(_with_either_label(settings))
    yield st
    st.close()


def test_ci_history_features_use_only_earlier_changes(state: Any) -> None:
    with state.project_session(PROJECT) as (s, _):
        rows = load_changes(s, default_branch="main", window=1000)
    assert len(rows) > 50 and [r.time for r in rows] == sorted(r.time for r in rows)
    assert any(r.ci_failed is not None for r in rows)
    for i, r in enumerate(rows):
        earlier = [x.ci_failed for x in rows[:i] if x.author == r.author and x.ci_failed is not None]
        expected = sum(earlier) / len(earlier) if earlier else None
        assert r.values["author_fail_rate"] == expected
        assert 0 <= (r.values["hour"] or 0) < 24 and 0 <= (r.values["weekday"] or 0) < 7


def test_author_bug_rate_reads_a_label_only_once_its_fix_was_committed(state: Any) -> None:
    """Recompute each change's author rate by brute force from the stored SZZ links: an earlier change of
    the author counts as bug-inducing only if a fix blamed on it was committed before the change."""
    with state.project_session(PROJECT) as (s, _):
        rows = load_changes(s, default_branch="main")
        fixed: dict[int, list[Any]] = {}
        for inducing, when in s.execute(select(BugLink.inducing_commit_id, Commit.committer_time)
                                        .join(Commit, Commit.id == BugLink.fix_commit_id)):
            fixed.setdefault(inducing, []).append(when)
    first = {k: min(v) for k, v in fixed.items()}
    assert first, "the simulated history has SZZ links"
    late = 0
    for i, r in enumerate(rows):
        mine = [x for x in rows[:i] if x.author.lower() == r.author.lower()]
        known = [x for x in mine if x.commit_id in first and first[x.commit_id] < r.time]
        late += sum(1 for x in mine if x.szz and x not in known)  # bug-inducing, but not known yet
        every = rows[:i]
        base_bugs = sum(1 for x in every if x.commit_id in first and first[x.commit_id] < r.time)
        base = base_bugs / len(every) if every else 0.0
        expected = (len(known) + 5.0 * base) / (len(mine) + 5.0)
        assert r.values["author_bug_known"] == len(mine)
        assert r.values["author_bug_rate"] == pytest.approx(expected), r.sha
    assert late > 0  # some labels existed later but were not read: the look-ahead the rule prevents


def test_model_lifecycle_end_to_end(state: Any) -> None:
    rt = state.runtime
    risk = rt.settings.risk
    first = rt.in_project(PROJECT, lambda sc: service.train(sc.session, risk, "main"))
    assert first.promoted and first.model.status == "active" and first.model.version == 1
    assert set(first.model.metrics) >= {"model", "lapredict", "logistic", "holdout_rows"}
    assert first.model.data_to is not None and first.model.holdout_from is not None
    assert first.model.data_to <= first.model.holdout_from  # trained strictly on the older changes
    second = rt.in_project(PROJECT, lambda sc: service.train(sc.session, risk, "main"))
    assert second.champion is not None and second.champion_metrics is not None  # judged on the same holdout
    assert second.reason
    if not second.promoted:
        assert second.model.status == "candidate"
        forced = rt.in_project(PROJECT, lambda sc: service.promote(sc.session, risk, "main", 2, force=True))
        assert forced.promoted and forced.reason.startswith("forced by hand")
    with state.project_session(PROJECT) as (s, _):
        statuses = {m.version: m.status for m in s.scalars(select(ModelVersion))}
        artefact = s.scalars(select(ModelVersion.artefact)).first()
    assert statuses == {1: "retired", 2: "active"}
    assert json.loads(artefact or "{}")["format"] == "argus.risk-model/v1"

    ev = rt.in_project(PROJECT, lambda sc: service.evaluate(sc.session, risk, "main", 1))
    assert ev.model.version == 1 and ev.holdout_rows == first.model.metrics["holdout_rows"]

    with state.project_session(PROJECT) as (s, _):
        rows = load_changes(s, default_branch="main")
    target = rows[-1].sha
    a = rt.in_project(PROJECT, lambda sc: service.assess(sc.session, risk, "main", sha=target[:10]))
    assert 0 <= a.score <= 100 and a.level in ("GO", "WARN", "BLOCK")
    assert len(a.factors) == risk.top_factors and a.insight_id is not None
    assert all(s.time < rows[-1].time for s in a.similar)
    rng = rt.in_project(PROJECT, lambda sc: service.assess(sc.session, risk, "main", base=rows[-6].sha,
                                                          head=target))
    assert len(rng.commits) >= 1 and rng.probability >= max(p for _, p in rng.per_commit) - 1e-9

    report = rt.in_project(PROJECT, lambda sc: service.drift(sc.session, risk, "main"))
    assert {t.name for t in report.triggers} == {"new_labels", "age", "drift", "accuracy"}
    assert report.outcomes >= 1  # the assessed changes are labelled already: outcomes backfilled
    with state.project_session(PROJECT) as (s, _):
        preds = s.scalars(select(RiskPrediction)).all()
        kinds = {i.kind for i in s.scalars(select(InsightRow))}
    assert len(preds) == 1 + len(rng.commits) and all(p.model_id and p.latency_ms >= 0 for p in preds)
    assert "change_risk" in kinds


def test_impacted_tests_complexity_and_tests_to_run(state: Any) -> None:
    from argus.analysis.selection.service import ingest_map
    from argus.store.models import Commit, CommitFile, Project

    rt = state.runtime
    risk = rt.settings.risk
    with state.project_session(PROJECT) as (s, _):
        repo = s.scalars(select(Project.repo_path).where(Project.slug == PROJECT)).first()
        rows = service._load(s, risk, "main", repo)
        target = next(r for r in reversed(rows)
                      if any(p.endswith(".py") for p in s.scalars(select(CommitFile.path).join(
                          Commit, Commit.id == CommitFile.commit_id).where(Commit.sha == r.sha))))
        path = next(p for p in s.scalars(select(CommitFile.path).join(Commit, Commit.id == CommitFile.commit_id)
                                          .where(Commit.sha == target.sha)) if p.endswith(".py"))
    assert repo is not None
    assert all(r.values["impacted_tests"] is None for r in rows)  # no coverage map yet: missing
    assert any((r.values["complexity"] or 0) > 0 for r in rows)  # radon read the repository's Python
    assert all(r.values["complexity"] is not None for r in rows)
    report = {"files": {path: {"executed_lines": [1, 2], "contexts": {
        "1": ["tests/test_a.py::test_one|run", "tests/test_a.py::test_two|run"]}},
        "src/elsewhere.py": {"executed_lines": [1], "contexts": {"1": ["tests/test_b.py::test_three|run"]}}}}
    with state.project_session(PROJECT) as (s, _):
        ingest_map(s, PROJECT, json.dumps(report).encode(), source="cov.json")
        s.commit()
        rows = service._load(s, risk, "main", repo)
    by_sha = {r.sha: r for r in rows}
    assert by_sha[target.sha].values["impacted_tests"] == 2.0
    assert by_sha[target.sha].values["impacted_share"] == pytest.approx(2 / 3)
    trained = rt.in_project(PROJECT, lambda sc: service.train(sc.session, risk, "main", repo_path=repo))
    assert {"impacted_tests", "impacted_share", "complexity", "complexity_delta"} <= set(trained.model.features)
    from argus.app.risk import AssessRequest, assess_change

    a = assess_change(rt, AssessRequest(PROJECT, sha=target.sha))
    assert a.tests is not None and a.tests.count == 2 and a.tests.total == 3
    assert a.tests.selected is not None and (a.tests.to_run or a.tests.full_suite_reasons)
    with state.project_session(PROJECT) as (s, _):
        row = s.get(InsightRow, a.insight_id)
        data, claims = row.data, json.dumps(row.claims)
    assert data["tests"]["impacted"] == 2 and "Impacts 2 of 3 tests" in claims
    before = rt.in_project(PROJECT, lambda sc: len(sc.session.scalars(select(RiskPrediction)).all()))
    quiet = assess_change(rt, AssessRequest(PROJECT, sha=target.sha, persist=False))
    assert quiet.insight_id is None and quiet.prediction_ids == () and quiet.tests == a.tests
    assert rt.in_project(PROJECT, lambda sc: len(sc.session.scalars(select(RiskPrediction)).all())) == before
