"""Integer path and query parameters out of range are 422 problems, never a 500 (a 64-bit id past the
``bigint`` range was a ``bigint out of range`` error on PostgreSQL, found by bench/api_fuzz.py).

The operations are enumerated from the app's own OpenAPI schema, not a hand list, so a new route
with an unbounded integer parameter fails here.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from argus.api.app import create_app
from argus.app.admin import CreateToken, create_token
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.settings import ServerSettings, Settings
from argus.core.values import MAX_INT64
from argus.store.projects import get_or_create_project

SKIP = ("/events",)  # an endless stream
World = tuple[TestClient, dict[str, str], dict[str, Any]]


@pytest.fixture
def world(settings: Settings, engine: Engine) -> Iterator[World]:
    rt = Runtime(settings.model_copy(update={"server": ServerSettings(rate_limit_enabled=False)}))
    with rt.unit_of_work() as s:
        get_or_create_project(s, "shop", "acme")
    secret = create_token(rt, CreateToken("acme", Role.ADMIN, "test")).secret
    with TestClient(create_app(runtime=rt), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {secret}"}, client.get("/api/v1/openapi.json").json()
    rt.close()


def _int_params(schema: dict[str, Any]) -> Iterator[tuple[str, str, str, bool, dict[str, Any]]]:
    """(method, path, name, in the path, integer schema) of every integer path or query parameter."""
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                if p["in"] not in ("path", "query") or path.endswith(SKIP):
                    continue
                for s in p["schema"].get("anyOf", [p["schema"]]):
                    if s.get("type") == "integer":
                        yield method.upper(), path, p["name"], p["in"] == "path", s


def _url(path: str, values: dict[str, Any]) -> str | None:
    """``path`` with project ``shop`` and ``values``; None when another parameter is left."""
    url = path.replace("{project}", "shop")
    for name, value in values.items():
        url = url.replace("{" + name + "}", str(value))
    return None if re.search(r"\{\w+\}", url) else url


def test_every_integer_parameter_is_bounded(world: World) -> None:
    params = list(_int_params(world[2]))
    assert len(params) > 20
    assert [(m, p, n) for m, p, n, _, s in params if "minimum" not in s or "maximum" not in s] == []
    assert all(s["maximum"] <= MAX_INT64 for *_, s in params)


def _body_ints(schema: dict[str, Any], node: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, integer schema) of every integer in a request body schema, through its references."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _body_ints(schema, schema["components"]["schemas"][name], where, seen | {name})
        return
    if node.get("type") == "integer":
        yield where, node
    for sub in [*node.get("anyOf", []), *node.get("allOf", []), *node.get("oneOf", [])]:
        yield from _body_ints(schema, sub, where, seen)
    for name, sub in node.get("properties", {}).items():
        yield from _body_ints(schema, sub, f"{where}.{name}", seen)
    if isinstance(node.get("items"), dict):
        yield from _body_ints(schema, node["items"], f"{where}[]", seen)


def test_every_integer_of_a_request_body_is_bounded(world: World) -> None:
    schema = world[2]
    ints = [(f"{m.upper()} {path} {where}", s) for path, ops in schema["paths"].items() for m, op in ops.items()
            for content in op.get("requestBody", {}).get("content", {}).values()
            for where, s in _body_ints(schema, content.get("schema", {}), "body", set())]
    assert len(ints) >= 3
    # (a bound inside a list is written as a float: 2**63 - 1 rounds to 2.0**63)
    assert [w for w, s in ints if "minimum" not in s or "maximum" not in s or s["maximum"] > float(MAX_INT64)] == []


@pytest.mark.parametrize("beyond", [MAX_INT64 + 1, 2**70])
def test_an_integer_past_its_range_is_a_422_problem(world: World, beyond: int) -> None:
    client, auth, schema = world
    tried = set()
    for method, path, name, in_path, s in _int_params(schema):
        url = _url(path, {name: beyond} if in_path else {})
        if url is None:
            continue
        params = {} if in_path else {name: max(beyond, s["maximum"] + 1)}
        r = client.request(method, url, params=params, headers=auth)
        assert r.status_code == 422, (method, url, params, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/problem+json")
        assert name in r.text
        tried.add(f"{method} {path}")
    assert {"DELETE /api/v1/tokens/{token_id}", "GET /api/v1/audit",
            "GET /api/v1/projects/{project}/incidents/{incident_id}"} <= tried


def test_the_largest_id_reaches_the_database_without_error(world: World) -> None:
    """The largest id of each id parameter is looked up (404 or 200; a 422 when a body is missing),
    and never fails in the database."""
    client, auth, schema = world
    statuses = {}
    for method, path, name, in_path, s in _int_params(schema):
        if s["maximum"] != MAX_INT64 or (url := _url(path, {name: MAX_INT64} if in_path else {})) is None:
            continue
        r = client.request(method, url, params={} if in_path else {name: MAX_INT64}, headers=auth)
        assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
        statuses[f"{method} {path} {name}"] = r.status_code
    assert statuses["DELETE /api/v1/tokens/{token_id} token_id"] == 404
    assert statuses["GET /api/v1/audit before_id"] == 200
    assert statuses["GET /api/v1/projects/{project}/incidents/{incident_id} incident_id"] == 404


TIME = {"t": "2024-01-01T00:00:00+00:00"}
#: The list behind each route with a ``cursor`` parameter: the kind its cursors name, a valid key.
CURSORS: dict[str, tuple[str, list[Any]]] = {
    "runs": ("runs", [TIME, 1]), "tests": ("tests", ["a", 1]), "flaky": ("flaky", [0.5, 1]),
    "clusters": ("clusters", [1]), "insights": ("insights", [1]), "changes": ("changes", [TIME, 1]),
    "anomalies": ("anomalies", [1]), "metrics/series": ("series", ["a", 1])}
NUMERIC_CURSORS = {"incidents"}  # the cursor is the last id: digits only
_NOT_ANY = [True, None, [1], {"t": "0001-01-01T00:00:00+14:00"}, {"t": "not a time"}]
#: Values that do not fit a key position holding the type of a valid key's value there.
BAD = {int: [MAX_INT64 + 1, -MAX_INT64 - 2, 2**70, 10**100, "x", 1.5, TIME, *_NOT_ANY],
       str: [1, MAX_INT64 + 1, "\x00", "\ud800", 1.5, TIME, *_NOT_ANY],
       float: ["x", TIME, *_NOT_ANY],
       dict: [1, MAX_INT64 + 1, "x", 1.5, *_NOT_ANY]}


def _cursor(kind: str, key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, key]).encode()).decode().rstrip("=")


def test_a_forged_cursor_is_a_422_problem(world: World) -> None:
    """A cursor whose key has, at any position, a value of the wrong type or past the 64-bit range is
    bad input, not a query the database refuses (it was a 500 on PostgreSQL); a valid key is a page."""
    client, auth, schema = world
    lists = {path.removeprefix("/api/v1/projects/{project}/") for path, ops in schema["paths"].items()
             for op in ops.values() if any(p["name"] == "cursor" for p in op.get("parameters", []))}
    assert lists == set(CURSORS) | NUMERIC_CURSORS
    for path in NUMERIC_CURSORS:
        for cursor, status in [(str(MAX_INT64), 200), (str(MAX_INT64 + 1), 422), ("9" * 19, 422), ("9" * 20, 422)]:
            r = client.get(f"/api/v1/projects/shop/{path}", params={"cursor": cursor}, headers=auth)
            assert r.status_code == status, (path, cursor, r.status_code, r.text[:300])
    for path, (kind, valid) in CURSORS.items():
        url = f"/api/v1/projects/shop/{path}"
        ok = client.get(url, params={"cursor": _cursor(kind, valid)}, headers=auth)
        assert ok.status_code == 200, (path, ok.text[:300])
        for pos, example in enumerate(valid):
            for bad in BAD[type(example)]:
                key = [*valid[:pos], bad, *valid[pos + 1:]]
                r = client.get(url, params={"cursor": _cursor(kind, key)}, headers=auth)
                assert r.status_code == 422, (path, key, r.status_code, r.text[:300])
                assert "not a cursor of this list" in r.json()["detail"]


@pytest.mark.parametrize("bound", ["since", "until"])
def test_a_time_before_the_first_utc_day_is_a_422(world: World, bound: str) -> None:
    """``until=0001-01-01T00:08:12+01:01`` (found by bench/api_fuzz.py) overflowed its conversion to UTC."""
    client, auth, schema = world
    lists = [path for path, ops in schema["paths"].items() if "get" in ops
             and any(p["name"] == bound for p in ops["get"].get("parameters", []))]
    assert len(lists) >= 8
    for path in lists:
        url = _url(path, {})
        assert url is not None
        r = client.get(url, params={bound: "0001-01-01T00:08:12+01:01"}, headers=auth)
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        assert "from year 1 to 9999" in r.json()["detail"]


@pytest.mark.parametrize("expires", ["\u00b9", "99999999999999999999d", "36501d", "0d", "-1d", "1.5d", "0000000000009999999999d"])
def test_a_token_lifetime_that_is_no_duration_is_a_422(world: World, expires: str) -> None:
    """``"expires": "¹"`` (found by bench/api_fuzz.py) passed ``str.isdigit`` and failed ``int()``; a
    lifetime of 10^20 days overflowed the expiry time. Nothing is created."""
    client, auth, _ = world
    before = client.get("/api/v1/tokens", headers=auth).json()
    r = client.post("/api/v1/tokens", headers=auth, json={"role": "viewer", "expires": expires})
    assert r.status_code == 422, (expires, r.status_code, r.text[:300])
    assert "invalid duration" in r.json()["detail"]
    assert client.get("/api/v1/tokens", headers=auth).json() == before
    ok = client.post("/api/v1/tokens", headers=auth, json={"role": "viewer", "expires": "36500d"})
    assert ok.status_code == 201, ok.text
