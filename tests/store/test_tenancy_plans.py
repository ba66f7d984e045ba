"""The tenancy check's plans (one statement walk per statement shape, cached by SQLAlchemy's cache
key) decide per execution: a cached plan never lets a later statement of the same shape through with
another project's id, and read-only units of work refuse every kind of write."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from argus.app.runtime import ProjectScope, Runtime
from argus.core.settings import Settings
from argus.store.models import TestResult, TestRun
from argus.store.projects import get_or_create_project
from argus.store.session import (
    ReadOnlyError,
    TenancyError,
    bind_project,
    make_session_factory,
    project_connection,
    unscoped,
)

runs = TestRun.__table__
results = TestResult.__table__


def _two_projects(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as s:
        a, b = get_or_create_project(s, "alpha"), get_or_create_project(s, "beta")
        with unscoped(s, reason="test setup: rows of two projects"):
            s.add_all([TestRun(project_id=a.id, commit_sha="a1"), TestRun(project_id=b.id, commit_sha="b1")])
            s.commit()
        return a.id, b.id


def test_a_cached_core_select_plan_checks_each_executions_values(session_factory: sessionmaker[Session]) -> None:
    a, b = _two_projects(session_factory)
    with session_factory() as s:
        bind_project(s, a)
        for _ in range(3):  # the same shape again and again: planned once, checked every time
            assert s.execute(select(runs.c.commit_sha).where(runs.c.project_id == a)).scalars().all() == ["a1"]
            with pytest.raises(TenancyError, match="test_run"):
                s.execute(select(runs.c.commit_sha).where(runs.c.project_id == b))
        bind_project(s, b)  # the same shape, the other scope: the earlier values are not remembered
        with pytest.raises(TenancyError):
            s.execute(select(runs.c.commit_sha).where(runs.c.project_id == a))
        assert s.execute(select(runs.c.commit_sha).where(runs.c.project_id == b)).scalars().all() == ["b1"]


def test_a_cached_plan_follows_joins_through_project_columns(session_factory: sessionmaker[Session]) -> None:
    a, b = _two_projects(session_factory)
    joined = (select(func.count()).select_from(results.join(runs, runs.c.id == results.c.run_id))
              .where(results.c.project_id == runs.c.project_id))
    with session_factory() as s:
        bind_project(s, a)
        for _ in range(2):
            assert s.execute(joined.where(runs.c.project_id == a)).scalar() == 0
            with pytest.raises(TenancyError, match="test_result"):  # pinned only through the other table
                s.execute(select(func.count()).select_from(results.join(runs, runs.c.id == results.c.run_id))
                          .where(runs.c.project_id == a))
            with pytest.raises(TenancyError):
                s.execute(joined.where(runs.c.project_id == b))


def test_unbound_sessions_still_fail_closed_on_cached_shapes(session_factory: sessionmaker[Session]) -> None:
    a, _ = _two_projects(session_factory)
    stmt = select(TestRun.commit_sha)
    with session_factory() as s:
        bind_project(s, a)
        assert s.scalars(stmt).all() == ["a1"]
    with session_factory() as s, pytest.raises(TenancyError, match="bound to no project"):
        s.scalars(select(TestRun.commit_sha)).all()


def test_read_only_sessions_refuse_writes(engine: Engine) -> None:
    a, _ = _two_projects(make_session_factory(engine))
    with make_session_factory(engine, read_only=True)() as s:
        bind_project(s, a)
        assert s.scalars(select(TestRun.commit_sha)).all() == ["a1"]
        with pytest.raises(ReadOnlyError):
            s.execute(insert(TestRun).values(project_id=a, commit_sha="x"))
        with pytest.raises(ReadOnlyError):
            s.execute(update(TestRun).values(commit_sha="x"))
        with pytest.raises(ReadOnlyError):
            project_connection(s)
        run = s.scalars(select(TestRun)).one()
        run.commit_sha = "changed"
        with pytest.raises(ReadOnlyError):
            s.flush()
        s.rollback()
    with make_session_factory(engine)() as s:
        bind_project(s, a)
        assert s.scalars(select(TestRun.commit_sha)).all() == ["a1"]  # nothing was written


def test_a_reader_runtime_reads_and_refuses_writes(settings: Settings, engine: Engine) -> None:
    _two_projects(make_session_factory(engine))
    rt = Runtime(settings.model_copy(update={"default_org": "default"}))
    try:
        reader = rt.reader()
        assert reader.read_only and reader.reader() is reader and reader.engine() is rt.engine()

        def read(scope: ProjectScope) -> list[str]:
            return list(scope.session.scalars(select(TestRun.commit_sha)))

        def write(scope: ProjectScope) -> None:
            scope.session.add(TestRun(project_id=scope.project.id, commit_sha="x"))

        assert reader.in_project("alpha", read) == ["a1"]
        with pytest.raises(ReadOnlyError):
            reader.in_project("alpha", write)
        assert rt.in_project("alpha", read) == ["a1"]
        rt.in_project("alpha", write)  # the writing runtime still writes
        assert sorted(reader.in_project("alpha", read)) == ["a1", "x"]
    finally:
        rt.close()


def test_large_statements_are_checked_without_being_cached(session_factory: sessionmaker[Session]) -> None:
    from argus.store import session as tenancy

    a, b = _two_projects(session_factory)
    many = [f"c{i}" for i in range(tenancy.PLAN_MAX_PARAMS + 1)]
    with session_factory() as s:
        bind_project(s, a)
        cached = len(tenancy._PLANS)
        stmt = select(runs.c.commit_sha).where(runs.c.project_id == a, runs.c.commit_sha.in_([*many, "a1"]))
        assert s.execute(stmt).scalars().all() == ["a1"]
        wide = select(runs.c.commit_sha).where(runs.c.project_id == b, runs.c.id.in_([1, 2]),
                                               *(runs.c.commit_sha != c for c in many))
        with pytest.raises(TenancyError):
            s.execute(wide)
        assert len(tenancy._PLANS) <= cached + 1  # the expanding IN is one parameter; the wide one is not cached
