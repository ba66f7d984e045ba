"""``clone_database`` (argus.testing): a module's shared history copied whole into a test's database,
which then writes on its own without touching the original."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from argus.core.db import create_db_engine
from argus.store.models import Project
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory
from argus.testing.databases import SchemaTemplate


def _slugs(url: str) -> list[tuple[int, str]]:
    engine = create_db_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return [(p.id, p.slug) for p in s.scalars(select(Project).order_by(Project.id))]
    finally:
        engine.dispose()


def _add(url: str, slug: str) -> None:
    engine = create_db_engine(url)
    try:
        with make_session_factory(engine)() as s:
            get_or_create_project(s, slug)
            s.commit()
    finally:
        engine.dispose()


def test_a_copy_holds_the_rows_and_writes_on_its_own(module_database: str, migrated_template: SchemaTemplate,
                                                      copy_database: Callable[[str], str]) -> None:
    migrated_template.restore(module_database)
    _add(module_database, "shop")
    _add(module_database, "bank")
    original = _slugs(module_database)
    copy = copy_database(module_database)
    assert copy != module_database and _slugs(copy) == original
    _add(copy, "farm")  # the copy's sequences continue after the copied rows: no id taken twice
    after = _slugs(copy)
    assert after[:2] == original and after[2][1] == "farm" and after[2][0] > max(i for i, _ in original)
    assert _slugs(module_database) == original  # the original is untouched
    engine = create_db_engine(copy)
    try:
        with make_session_factory(engine)() as s:
            assert s.scalar(select(func.count()).select_from(Project)) == 3
    finally:
        engine.dispose()
