"""Tenancy fails closed, on EVERY project-owned table (discovered from the model registry).

Two projects get real data through the real CLI (simulated CI history → ``argus ingest git|tests|
coverage|vulns`` → ``flaky``/``failures analyze`` → ``gate`` → ``feedback``, a rejected file for a dead
letter), so each table holds rows of both and no check can pass vacuously. Then, per table: an unbound
session raises on read and write; scope A sees none of B's rows; UPDATE/DELETE under scope A cannot
touch B's rows; inserting (or flushing) a B row under scope A raises.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from argus.cli.context import CliState
from argus.cli.demo.analyse import analyse_project
from argus.cli.demo.steps import CommandLog, ingest_run, load_runs, run_command
from argus.core.settings import ChannelSettings, Settings
from argus.jobs.service import record_upload
from argus.sim import Scale, scale_config, simulate
from argus.store.base import Base
from argus.store.models import Commit, DeliverySyncState, Deployment, InsightRow, Project, QueryExample
from argus.store.session import (
    ProjectOwned,
    TenancyError,
    make_session_factory,
    owned_tables,
    scoped_to,
    unscoped,
)

PROJECTS = ("alpha", "beta")
DELIVERY = Path(__file__).parents[1] / "analysis" / "delivery" / "fixtures"
#: Tables with a project_id that are organisation-level, not project-owned (each with its reason).
ORG_LEVEL = {
    "api_token": "a token belongs to the organisation; project_id only narrows what it may touch",
    "audit_log": "the organisation's append-only log; project_id is the subject, not the owner",
}


def test_every_table_with_project_id_is_project_owned() -> None:
    owned = {t.name for t in owned_tables()}
    for table in Base.metadata.sorted_tables:
        if "project_id" in table.c and table.name not in ORG_LEVEL:
            assert table.name in owned, f"{table.name} has project_id but its model is not ProjectOwned"
    assert len(owned) >= 20


def _populate(tmp_path: Path, settings: Settings) -> None:
    sim = tmp_path / "sim"
    simulate(scale_config(Scale.SMALL, seed=3), sim, scale="small", force=True)
    manifest: dict[str, Any] = json.loads((sim / "manifest.json").read_text())
    (project,) = manifest["projects"]
    repo = str(sim / project["repo"])
    runs = load_runs(manifest, sim)
    # a channel, so an incident queues a notification row (nothing is sent: no `incidents notify` here)
    settings.incidents.channels = [ChannelSettings(name="hook", url=SecretStr("http://127.0.0.1:9/none"))]
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps([{"name": "Down", "service": "api", "severity": "critical"}]))
    services = tmp_path / "services.yaml"
    services.write_text("api:\n  depends_on: [db]\n  owners: [team-a]\n")
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "api-down.md").write_text("---\ntitle: API down\nactions: [restart]\n---\nRestart the api when it is down.\n")
    state = CliState.with_settings(settings)
    log = CommandLog()
    broken = tmp_path / "broken.xml"
    broken.write_text("this is not a test report")
    issues = tmp_path / "issues.json"  # `gh issue list --json ...` form: one bug, one feature
    issues.write_text(json.dumps([
        {"number": n, "title": f"issue {n}", "labels": [{"name": "bug" if n == 1 else "enhancement"}],
         "state": "CLOSED", "createdAt": f"2024-01-0{n}T00:00:00Z", "closedAt": None}
        for n in (1, 2)
    ]))
    covmap = tmp_path / "covmap.json"  # a per-test coverage map (coverage.py JSON with contexts)
    covmap.write_text(json.dumps({"files": {"src/m.py": {"executed_lines": [1, 2], "contexts": {
        "1": [""], "2": ["tests/test_m.py::test_a|run"]}}}}))
    try:
        for name in PROJECTS:
            run_command(state, ["ingest", "git", "--repo", repo, "-p", name], log)
            for run in runs:
                ingest_run(state, replace(run, project=name), log)
            analyse_project(state, name, log)
            run_command(state, ["ingest", "issues", str(issues), "-p", name, "--format", "github-json"], log)
            run_command(state, ["anomalies", "analyze", "-p", name, "--json"], log)  # metric series and points
            run_command(state, ["models", "train", "-p", name, "--json"], log)  # model registry
            with state.project_session(name) as (s, _):
                head = s.scalars(select(Commit.sha).where(Commit.is_merge.is_(False))
                                 .order_by(Commit.committer_time.desc())).first()
            run_command(state, ["risk", str(head), "-p", name, "--json"], log)  # prediction log
            for fixture in ("csv", "pipelines"):  # every delivery_* table
                run_command(state, ["ingest", "delivery", str(DELIVERY / fixture), "-p", name, "--json"], log)
            run_command(state, ["ingest", "coverage-map", str(covmap), "-p", name, "--json"], log)
            assert run_command(state, ["ingest", "tests", str(broken), "-p", name, "--json"], log)  # dead letter
            record_upload(state.runtime, name, [1])  # job records (what the server's upload hook writes)
            with state.project_session(name) as (s, proj):
                insight_id = s.scalars(select(InsightRow.id).order_by(InsightRow.id)).first()
                # no command writes deployments yet: store one through the scoped session
                s.add(Deployment(project_id=proj.id, environment="prod", started_at=datetime.now(UTC)))
                # `argus sync github` needs a GitHub: its cursor row is stored the same way
                s.add(DeliverySyncState(project_id=proj.id, source="github", repo="acme/shop"))
                # `argus ask` remembers a model's answers: only with a model, so stored the same way
                s.add(QueryExample(project_id=proj.id, question="how many runs", sql="SELECT COUNT(*) FROM runs"))
            run_command(state, ["feedback", str(insight_id), "accept", "-p", name, "--json"], log)
            run_command(state, ["incidents", "services", str(services), "-p", name], log)  # service graph
            run_command(state, ["alerts", "ingest", str(alerts), "--source", "generic", "-p", name], log)
            inc = "1" if name == PROJECTS[0] else "2"
            run_command(state, ["incidents", "ack", inc, "-p", name], log)
            # the intake took a detection snapshot and investigated; a recorded cause is an outcome row
            run_command(state, ["incidents", "cause", inc, "deploy:api", "-p", name], log)
            run_command(state, ["runbooks", "index", str(books), "-p", name], log)  # runbook
            run_command(state, ["incidents", "recommend", inc, "--propose", "-p", name], log)  # runbook_action
            run_command(state, ["runbooks", "feedback", inc, "api-down.md", "--helped", "-p", name], log)
            run_command(state, ["incidents", "postmortem", inc, "--out", str(tmp_path / f"pm-{name}.md"), "-p", name],
                        log)  # postmortem
    finally:
        state.close()
    assert [f for f in log.failed if not f[0].startswith("ingest tests " + str(broken))] == []


@pytest.fixture
def two_projects(tmp_path: Path, cli_env: dict[str, str], settings: Settings, engine: Engine) -> tuple[int, int]:
    _populate(tmp_path, settings)
    with make_session_factory(engine)() as s:
        ids = {p.slug: p.id for p in s.scalars(select(Project))}
    return ids["alpha"], ids["beta"]


def _counts(s: Session, model: Any) -> dict[int, int]:
    with unscoped(s, reason="test: rows per project"):
        rows = s.execute(select(model.project_id, func.count()).group_by(model.project_id)).all()
    return {int(pid): int(n) for pid, n in rows if pid is not None}


def _a_row_of(s: Session, model: Any, project_id: int) -> Any:
    (pk,) = model.__mapper__.primary_key
    with unscoped(s, reason="test: pick a row of a given project"):
        return s.scalars(select(pk).where(model.project_id == project_id).order_by(pk)).first()


def test_tenancy_fails_closed_on_every_project_owned_table(two_projects: tuple[int, int], engine: Engine) -> None:
    a, b = two_projects
    factory = make_session_factory(engine)
    models = sorted((m.class_ for m in owned_tables().values()), key=lambda c: c.__tablename__)
    for model in models:
        name = model.__tablename__
        table = model.__table__
        (pk_column,) = model.__mapper__.primary_key
        pk = getattr(model, model.__mapper__.get_property_by_column(pk_column).key)
        with factory() as s:
            before = _counts(s, model)
            assert before.get(a, 0) > 0 and before.get(b, 0) > 0, f"{name}: needs rows in both projects {before}"
            b_row = _a_row_of(s, model, b)

            # a session bound to no project refuses every read and write
            for stmt in (
                select(model),
                select(func.count()).select_from(model),
                select(model.project_id),
                update(model).values(project_id=model.project_id).execution_options(synchronize_session=False),
                delete(model).where(pk == b_row).execution_options(synchronize_session=False),
                update(table).values(project_id=table.c.project_id),
                delete(table).where(pk_column == b_row),
            ):
                with pytest.raises(TenancyError, match=name):
                    s.execute(stmt)
            with pytest.raises(TenancyError, match=name):
                s.execute(insert(model), [{"project_id": b}])
            with pytest.raises(TenancyError, match=name):
                s.get(model, b_row)

            # scope A sees only A's rows, even when asking for B's
            scoped_to(s, s.get_one(Project, a))
            assert {r.project_id for r in s.scalars(select(model))} == {a}, name
            assert s.scalar(select(func.count()).select_from(model)) == before[a], name
            assert s.scalars(select(model).where(model.project_id == b)).all() == [], name
            assert s.scalar(select(func.count()).select_from(select(pk).subquery())) == before[a], name
            assert s.get(model, b_row) is None, name
            with pytest.raises(TenancyError, match=name):
                s.execute(select(table.c.project_id))  # Core select not pinned to the project: refused
            assert s.execute(select(func.count()).select_from(table).where(table.c.project_id == a)).scalar() == before[a]
            with pytest.raises(TenancyError, match=name):
                s.execute(select(func.count()).select_from(table).where(table.c.project_id == b))

            # UPDATE / DELETE under scope A cannot reach B's rows (ORM-enabled and Core)
            sync = {"synchronize_session": False}
            assert s.execute(update(model).where(pk == b_row).values(project_id=model.project_id)
                             .execution_options(**sync)).rowcount == 0, name  # type: ignore[attr-defined]
            assert s.execute(update(table).where(pk_column == b_row)
                             .values(project_id=table.c.project_id)).rowcount == 0, name  # type: ignore[attr-defined]
            assert s.execute(update(model).values(project_id=model.project_id)
                             .execution_options(**sync)).rowcount == before[a], name  # type: ignore[attr-defined]
            assert s.execute(delete(model).where(pk == b_row).execution_options(**sync)).rowcount == 0, name  # type: ignore[attr-defined]
            assert s.execute(delete(table).where(pk_column == b_row)).rowcount == 0, name  # type: ignore[attr-defined]
            assert s.execute(delete(model).where(model.project_id == b)
                             .execution_options(**sync)).rowcount == 0, name  # type: ignore[attr-defined]

            # inserting B's rows (or rows naming no project) under scope A raises before reaching the database
            with pytest.raises(TenancyError, match=name):
                s.execute(insert(model), [{"project_id": a}, {"project_id": b}])
            with pytest.raises(TenancyError, match=name):
                s.execute(insert(model), [{}])
            with pytest.raises(TenancyError, match=name):
                s.execute(insert(table).values(project_id=b))
            s.add(model(project_id=b))
            with pytest.raises(TenancyError, match=name):
                s.flush()
            s.rollback()
        with factory() as s:
            assert _counts(s, model) == before, name


def test_project_owned_marker_is_the_registry() -> None:
    """owned_tables() is derived from the mappers, so a new ProjectOwned model is covered here automatically."""
    assert all(issubclass(m.class_, ProjectOwned) for m in owned_tables().values())
