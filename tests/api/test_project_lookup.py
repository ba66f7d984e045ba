"""The token check reads the requested project in the same statement (no second look-up per request),
and tenancy stays closed: a project is only ever resolved within the caller's organisation and, for a
single-project token, only when it is that project."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from argus.api.app import create_app
from argus.app.runtime import KnownProject
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import History


@pytest.fixture()
def world(settings: Settings, engine: object) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    """acme/shop with 3 runs, rival/shop (same name, another organisation) with 1; tokens."""
    app = create_app(settings)
    rt = app.state.runtime
    with rt.unit_of_work() as s:
        acme, rival = get_or_create_org(s, "acme"), get_or_create_org(s, "rival")
        shop = get_or_create_project(s, "shop", "acme")
        get_or_create_project(s, "docs", "acme")
        other = get_or_create_project(s, "shop", "rival")
        tokens = {
            "acme": create_token(s, acme, "v", Role.VIEWER, "test")[0],
            "acme_docs_only": create_token(s, acme, "d", Role.VIEWER, "test",
                                           project=get_or_create_project(s, "docs", "acme"))[0],
            "rival": create_token(s, rival, "r", Role.VIEWER, "test")[0],
        }
        s.flush()
        shop_id, other_id = shop.id, other.id
    for project_id, runs in ((shop_id, 3), (other_id, 1)):
        with rt.unit_of_work() as s:
            scoped_to(s, s.get(type(shop), project_id))
            h = History(s)
            for i in range(runs):
                h.run(f"c{i:02d}", {"t::a": "P"})
    with TestClient(app) as client:
        yield client, tokens, rt


def _get(client: TestClient, token: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_one_statement_for_token_and_project(world: tuple[TestClient, dict[str, str], Any]) -> None:
    client, tokens, rt = world
    assert _get(client, tokens["acme"], "/api/v1/projects/shop/runs").status_code == 200  # touches last_used_at
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            seen.append(statement)

    event.listen(rt.engine(), "before_cursor_execute", record)
    try:
        r = _get(client, tokens["acme"], "/api/v1/projects/shop/runs")
    finally:
        event.remove(rt.engine(), "before_cursor_execute", record)
    assert r.status_code == 200 and len(r.json()["items"]) == 3
    assert len(seen) == 2, seen  # the token (with the project), the page
    assert "asked_project" in seen[0]
    assert "test_run" in seen[1] and "project.slug" not in seen[1]


def test_same_name_in_another_organisation_is_never_reached(world: tuple[TestClient, dict[str, str], Any]) -> None:
    client, tokens, _rt = world
    assert len(_get(client, tokens["acme"], "/api/v1/projects/shop/runs").json()["items"]) == 3
    assert len(_get(client, tokens["rival"], "/api/v1/projects/shop/runs").json()["items"]) == 1  # its own shop
    assert _get(client, tokens["rival"], "/api/v1/projects/docs/runs").status_code == 404  # acme's only
    assert _get(client, tokens["acme_docs_only"], "/api/v1/projects/shop/runs").status_code == 404
    assert _get(client, tokens["acme_docs_only"], "/api/v1/projects/docs/runs").json()["items"] == []
    assert _get(client, tokens["acme"], "/api/v1/projects/nope/runs").status_code == 404


def test_known_project_is_used_only_for_its_own_name_and_organisation(
        world: tuple[TestClient, dict[str, str], Any]) -> None:
    _client, _tokens, rt = world
    with rt.unit_of_work() as s:
        shop = get_or_create_project(s, "shop", "acme")
        row = KnownProject("acme", shop.id, shop.org_id, shop.slug, shop.name, shop.default_branch, shop.repo_path,
                           shop.created_at)
    knowing = rt.knowing(row)
    assert knowing._sessions() is rt._sessions()  # one session factory for every per-request copy
    assert knowing.in_project("shop", lambda scope: scope.project.id, org="acme") == shop.id
    # another organisation's project of the same name is looked up, not taken from the known row
    assert knowing.in_project("shop", lambda scope: scope.project.id, org="rival") != shop.id
    # a known row of a project deleted meanwhile: the unit of work is bound to its id and sees no rows
    gone = KnownProject("acme", 10**9, shop.org_id, "shop", "shop", "main", None, shop.created_at)
    from sqlalchemy import func, select

    from argus.store.models import TestRun

    assert rt.knowing(gone).in_project("shop", lambda scope: scope.session.scalar(
        select(func.count()).select_from(TestRun)), org="acme") == 0
