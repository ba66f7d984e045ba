from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from argus.core.errors import ArgusError, InputError, NotFoundError
from argus.store.models import AuditLog, TestRun
from argus.store.projects import get_or_create_org, get_or_create_project, get_project
from argus.store.session import TenancyError, bind_project, current_project_id, unscoped


def test_scoped_session_sees_only_its_project(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        a = get_or_create_project(s, "alpha")
        b = get_or_create_project(s, "beta")
        with unscoped(s, reason="test setup: rows of two projects"):
            s.add_all([TestRun(project_id=a.id, commit_sha="a1"), TestRun(project_id=b.id, commit_sha="b1")])
            s.commit()
        ids = (a.id, b.id)
    with session_factory() as s:
        bind_project(s, ids[0])
        assert [r.commit_sha for r in s.scalars(select(TestRun))] == ["a1"]
        # even an explicit filter on the other project cannot escape the scope
        assert s.scalars(select(TestRun).where(TestRun.project_id == ids[1])).all() == []
        assert current_project_id(s) == ids[0]


def test_unscoped_session_refuses_to_name_a_tenant(session: Session) -> None:
    with pytest.raises(ArgusError):
        current_project_id(session)


def test_project_lookup_and_slug_validation(session: Session) -> None:
    get_or_create_project(session, "gamma")
    assert get_project(session, "gamma").slug == "gamma"
    with pytest.raises(NotFoundError):
        get_project(session, "nope")
    with pytest.raises(InputError):
        get_or_create_project(session, "bad name!")


def test_audit_log_is_append_only(session: Session) -> None:
    org = get_or_create_org(session, "default")
    entry = AuditLog(org_id=org.id, actor="me", action="x")
    session.add(entry)
    session.flush()
    entry.action = "changed"
    with pytest.raises(ArgusError, match="append-only"):
        session.flush()
    session.rollback()
    entry2 = AuditLog(org_id=get_or_create_org(session, "default").id, actor="me", action="y")
    session.add(entry2)
    session.flush()
    session.delete(entry2)
    with pytest.raises(ArgusError, match="append-only"):
        session.flush()


def test_scope_covers_counts_joins_and_subqueries(session_factory: sessionmaker[Session]) -> None:
    """Regression: `select(func.count()).select_from(Model)` once escaped the project filter."""
    from sqlalchemy import func

    from argus.store.models import TestCase

    with session_factory() as s:
        a = get_or_create_project(s, "alpha")
        b = get_or_create_project(s, "beta")
        with unscoped(s, reason="test setup: rows of two projects"):
            s.add_all([TestRun(project_id=a.id), TestRun(project_id=b.id), TestRun(project_id=b.id)])
            s.add_all([TestCase(project_id=b.id, identity="t", name="t")])
            s.commit()
        bind_project(s, a.id)
        assert s.scalar(select(func.count()).select_from(TestRun)) == 1
        assert s.scalar(select(func.count()).select_from(select(TestRun.id).subquery())) == 1
        joined = select(func.count()).select_from(TestRun).join(TestCase, TestCase.project_id == TestRun.project_id)
        assert s.scalar(joined) == 0
        assert s.scalar(select(func.count()).select_from(TestCase)) == 0


def test_project_lookup_does_not_bind(session: Session) -> None:
    """Binding is explicit (scoped_to / Runtime.project_scope): looking a project up never scopes."""
    get_or_create_project(session, "gamma")
    get_project(session, "gamma")
    with pytest.raises(TenancyError, match="test_run"):
        session.scalars(select(TestRun)).all()


def test_unscoped_needs_a_reason(session: Session) -> None:
    with pytest.raises(ValueError, match="reason"), unscoped(session, reason=" "):
        pass
