"""Every route of the app (enumerated from ``app.routes``, not a hand list) refuses a token of another
organisation (404/403) and a token whose role is too low (403), and changes nothing when it refuses.

Project routes (``/projects/{project}/...``) must refuse the other organisation outright.
Organisation-level routes act on the caller's own organisation, so there the intruder (an admin of
its organisation) may succeed, but must neither see (no victim marker in the body) nor change (row
counts of the victim's organisation) anything of the victim's. Requests carry a minimal valid JSON
body built from the OpenAPI schema, so they pass validation and reach the route's own checks.

The role a route needs is read from its dependencies (:func:`argus.api.deps.route_role`); a route
that declares none fails this test unless it is public (health, metrics, the API description).
The app's default organisation is the victim's: a route that resolves a project without the caller's
organisation (``rt.in_project(project)`` instead of ``access.run``) answers the intruder with the
victim's data and fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from argus.api.app import create_app
from argus.api.deps import PUBLIC_PATHS, app_routes
from argus.app.admin import CreateToken, create_token
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.settings import ServerSettings, Settings
from argus.store.base import Base
from argus.store.models import AuditLog
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to, unscoped
from argus.testing.builders import History

VICTIM_ORG, VICTIM_PROJECT, MARKER = "victim", "shop", "victim-marker"
ROLES = list(Role)


@dataclass(frozen=True)
class Walk:
    app: FastAPI
    runtime: Runtime
    engine: Engine
    intruder: str  # admin of another organisation
    by_role: dict[Role, str]  # victim organisation, every project


@pytest.fixture
def walk(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[Walk]:
    settings = settings.model_copy(update={"default_org": VICTIM_ORG, "default_project": VICTIM_PROJECT,
                                           "server": ServerSettings(rate_limit_enabled=False,
                                                                           auth_failure_limit_enabled=False)})
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, VICTIM_PROJECT, VICTIM_ORG))
        h = History(s, message=f"{MARKER}: assert False")
        for i in range(6):
            h.run(f"c{i}", {f"tests/{MARKER}.py::t_a": "FP" if i % 2 else "P", f"tests/{MARKER}.py::t_b": "F"},
                  ci_run_id=f"{MARKER}-{i}")
        s.commit()
    rt = Runtime(settings)

    def token(org: str, role: Role, name: str) -> str:
        return create_token(rt, CreateToken(org, role, "test", name=name)).secret

    by_role = {r: token(VICTIM_ORG, r, f"{MARKER}-{r.value}") for r in Role}
    intruder = token("intruder", Role.ADMIN, "intruder-admin")
    app = create_app(runtime=rt)
    yield Walk(app, rt, engine, intruder, by_role)
    rt.close()


def counts(engine: Engine) -> dict[str, int]:
    """Rows of every table (the audit log apart: refusals are audited)."""
    with Session(engine) as s, unscoped(s, reason="row counts of every table"):
        return {t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables if t.name != AuditLog.__tablename__}


def victim_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table that belong to the victim's organisation (by ``org_id`` or ``project_id``;
    tables with neither: every row). An intruder may create things in its own organisation through
    organisation-level routes; it must not touch the victim's."""
    from argus.store.models import Organisation, Project

    with Session(engine) as s, unscoped(s, reason="row counts of one organisation"):
        org_id = s.scalar(select(Organisation.id).where(Organisation.slug == VICTIM_ORG))
        projects = list(s.scalars(select(Project.id).where(Project.org_id == org_id)))
        out = {}
        for t in Base.metadata.sorted_tables:
            if t.name == AuditLog.__tablename__:
                continue
            query = select(func.count()).select_from(t)
            if "org_id" in t.c:
                query = query.where(t.c.org_id == org_id)
            elif "project_id" in t.c:
                query = query.where(t.c.project_id.in_(projects))
            out[t.name] = int(s.scalar(query) or 0)
        return out


def audit_rows(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(AuditLog)) or 0)


def concrete(path: str) -> str:
    """The route's path with ``{project}`` = the victim's project and every other parameter ``1`` (the
    victim's rows have the first ids)."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: VICTIM_PROJECT if m.group(1) == "project" else "1", path)


def calls(app: FastAPI) -> list[tuple[str, str, Role | None]]:
    """(method, path template, required role) of every route of the app."""
    out = []
    for route in app_routes(app):
        if not route.is_api:
            assert route.path in PUBLIC_PATHS, f"route {route.path} is not a FastAPI route nor public"
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            out.append((method, route.path, route.role))
    return out


def example(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> Any:
    """A minimal instance of a JSON schema of the OpenAPI document (required fields only), so that a
    request passes validation and reaches the route's own checks."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(spec["components"]["schemas"][name], spec, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return example(options[0], spec, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" and depth < 8:
        props = schema.get("properties", {})
        return {k: example(props.get(k, {}), spec, depth + 1) for k in schema.get("required", [])}
    return {"integer": 1, "number": 1.0, "boolean": False, "array": [], "string": "x"}.get(str(kind), "x")


def body_for(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    """Keyword arguments of the request body: a minimal valid JSON body when the operation has one."""
    if method not in ("POST", "PUT", "PATCH", "DELETE"):
        return {}
    spec = app.openapi()
    content = spec["paths"].get(path, {}).get(method.lower(), {}).get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"json": example(content["application/json"].get("schema", {}), spec)}
    return {"json": {}} if method != "DELETE" else {}


def send(client: TestClient, method: str, path: str, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = body_for(client.app, method, path)  # type: ignore[arg-type]
    r = client.request(method, concrete(path), headers=headers, **kwargs)
    return r.status_code, r.text


def test_every_route_declares_its_role_or_is_public(walk: Walk) -> None:
    undeclared = [f"{m} {p}" for m, p, role in calls(walk.app) if role is None and p not in PUBLIC_PATHS]
    assert not undeclared, f"routes without a role dependency (require / project_access): {undeclared}"
    assert len(calls(walk.app)) >= 7


def test_every_route_refuses_another_organisation_and_a_too_low_role(walk: Walk) -> None:
    before, victim_before, audited_before = counts(walk.engine), victim_counts(walk.engine), audit_rows(walk.engine)
    refusals, failures = 0, []
    with TestClient(walk.app) as client:
        for method, path, role in calls(walk.app):
            if role is None:
                continue
            status, body = send(client, method, path, walk.intruder)
            org_level = "{project}" not in path  # a foreign admin acts on its own organisation there
            ok = status in (403, 404) or (org_level and (status == 422 or 200 <= status < 300))
            if not ok or MARKER in body:
                failures.append(f"intruder {method} {path} -> {status} {body[:200]}")
            if victim_counts(walk.engine) != victim_before:
                failures.append(f"intruder {method} {path} -> {status} changed the victim's rows")
            if status not in (403, 404):  # acted in its own organisation: later checks start from here
                before = counts(walk.engine)
            refusals += status in (401, 403)
            lower = ROLES.index(role) - 1
            token = walk.by_role[ROLES[lower]] if lower >= 0 else None  # viewer routes: no token at all
            status, body = send(client, method, path, token)
            if status != (403 if token else 401):
                failures.append(f"{ROLES[lower].value if token else 'no token'} {method} {path} -> {status} "
                                f"{body[:200]}")
            refusals += 1
            if counts(walk.engine) != before:
                failures.append(f"{method} {path} with a too-low role changed rows")
    assert not failures, "\n".join(failures)
    assert victim_counts(walk.engine) == victim_before
    assert audit_rows(walk.engine) >= audited_before + refusals  # every refusal is audited


def test_a_project_token_cannot_reach_another_project_of_its_organisation(walk: Walk) -> None:
    other = create_token(walk.runtime, CreateToken(VICTIM_ORG, Role.ADMIN, "test", project="other")).secret
    before = counts(walk.engine)
    with TestClient(walk.app) as client:
        for method, path, _role in calls(walk.app):
            if "{project}" in path:
                status, body = send(client, method, path, other)
                assert status == 404, f"{method} {path} -> {status} {body[:200]}"
    assert counts(walk.engine) == before
