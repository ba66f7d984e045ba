"""Auth, request ids, rate limits, audit, metrics and the admin routes of the app (in-process client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from argus.api.app import create_app
from argus.api.deps import ProjectAccess, project_access
from argus.app.admin import CreateToken, create_token, list_audit
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.errors import ArgusError
from argus.core.settings import ServerSettings, Settings
from argus.store.models import AuditLog


@pytest.fixture
def runtime(settings: Settings, engine: Engine) -> Iterator[Runtime]:
    rt = Runtime(settings.model_copy(update={"server": ServerSettings(rate_limit_burst=5, rate_limit_per_second=0.01)}))
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as c:
        yield c


def token(rt: Runtime, role: Role, org: str = "acme", project: str | None = None) -> str:
    return create_token(rt, CreateToken(org, role, "test", project=project)).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_missing_unknown_and_revoked_tokens_are_401_problems(client: TestClient, runtime: Runtime) -> None:
    r = client.get("/api/v1/tokens")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer" and r.json()["type"].endswith("/unauthorized")
    assert client.get("/api/v1/tokens", headers=bearer("argus_nope")).status_code == 401
    admin = token(runtime, Role.ADMIN)
    listed = client.get("/api/v1/tokens", headers=bearer(admin))
    assert listed.status_code == 200 and [t["role"] for t in listed.json()] == ["admin"]
    assert "token" not in listed.json()[0] and "token_hash" not in listed.text
    assert client.delete(f"/api/v1/tokens/{listed.json()[0]['id']}", headers=bearer(admin)).status_code == 204
    assert client.get("/api/v1/tokens", headers=bearer(admin)).status_code == 401


def test_admin_creates_a_token_that_works_and_roles_are_ordered(client: TestClient, runtime: Runtime) -> None:
    admin = token(runtime, Role.ADMIN)
    r = client.post("/api/v1/tokens", headers=bearer(admin), json={"role": "viewer", "name": "dash", "expires": "90d"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["token"].startswith("argus_") and created["role"] == "viewer" and created["expires_at"]
    r = client.get("/api/v1/tokens", headers=bearer(created["token"]))
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    assert [r.value for r in Role] == ["viewer", "uploader", "maintainer", "admin"]
    bad = client.post("/api/v1/tokens", headers=bearer(admin), json={"role": "emperor"})
    assert bad.status_code == 422 and bad.json()["type"].endswith("/invalid-input")


def test_a_project_admin_manages_only_its_project(client: TestClient, runtime: Runtime) -> None:
    shop = token(runtime, Role.ADMIN, project="shop")
    r = client.post("/api/v1/tokens", headers=bearer(shop), json={"role": "uploader"})
    assert r.status_code == 403
    r = client.post("/api/v1/tokens", headers=bearer(shop), json={"role": "uploader", "project": "shop"})
    assert r.status_code == 201 and r.json()["project"] == "shop"
    assert client.get("/api/v1/audit", headers=bearer(shop)).status_code == 403


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "ci-42.job:7"})
    assert r.headers["x-request-id"] == "ci-42.job:7"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert generated != "bad id\twith spaces" and len(generated) == 32
    r = client.get("/api/v1/tokens", headers={"X-Request-ID": "req-1"})
    assert r.json()["request_id"] == "req-1" and r.headers["x-request-id"] == "req-1"


def test_rate_limit_per_token_is_429_with_retry_after(client: TestClient, runtime: Runtime) -> None:
    a, b = token(runtime, Role.ADMIN), token(runtime, Role.ADMIN)
    codes = [client.get("/api/v1/tokens", headers=bearer(a)).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    r = client.get("/api/v1/tokens", headers=bearer(a))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["type"].endswith("/rate-limited")
    assert client.get("/api/v1/tokens", headers=bearer(b)).status_code == 200  # per token
    assert client.get("/healthz").status_code == 200  # health is never limited
    assert 'argus_rate_limited_total 2.0' in client.get("/metrics").text


def test_mutating_calls_and_refused_auth_are_audited(client: TestClient, runtime: Runtime) -> None:
    admin = token(runtime, Role.ADMIN)
    viewer = token(runtime, Role.VIEWER)
    client.post("/api/v1/tokens", headers={**bearer(admin), "X-Request-ID": "make-1"}, json={"role": "uploader"})
    client.get("/api/v1/audit", headers={**bearer(viewer), "X-Request-ID": "peek-1"})
    client.get("/api/v1/tokens", headers={"Authorization": "Bearer argus_guess", "X-Request-ID": "guess-1"})
    rows = {a.request_id: a for a in list_audit(runtime, None) if a.request_id}
    made = rows["make-1"]
    assert (made.org, made.action, made.status, made.actor.startswith("token:")) == (
        "acme", "POST /api/v1/tokens", 201, True)
    peek = rows["peek-1"]
    assert (peek.org, peek.action, peek.status) == ("acme", "denied GET /api/v1/audit", 403)
    guess = rows["guess-1"]
    assert (guess.org, guess.actor, guess.status, guess.detail["token_prefix"]) == (
        None, "anonymous", 401, "argus_guess")
    listed = client.get("/api/v1/audit", headers=bearer(admin)).json()
    assert {"make-1", "peek-1"} <= {a["request_id"] for a in listed} and "guess-1" not in str(listed)


def test_audit_rows_cannot_be_updated_or_deleted(engine: Engine, runtime: Runtime) -> None:
    token(runtime, Role.ADMIN)  # writes a token.create audit row
    with Session(engine) as s:
        row = s.scalars(select(AuditLog)).first()
        assert row is not None
        row.action = "forged"
        with pytest.raises(ArgusError, match="append-only"):
            s.flush()
        s.rollback()
        s.delete(s.scalars(select(AuditLog)).one())
        with pytest.raises(ArgusError, match="append-only"):
            s.flush()
        s.rollback()
        with pytest.raises(ArgusError, match="append-only"):
            s.execute(update(AuditLog).values(action="forged"))
        with pytest.raises(ArgusError, match="append-only"):
            s.execute(delete(AuditLog))


def test_metrics_by_route_template_and_a_registry_per_app(client: TestClient, runtime: Runtime) -> None:
    admin = token(runtime, Role.ADMIN)
    client.delete("/api/v1/tokens/424242", headers=bearer(admin))
    client.app.state.metrics.upload_bytes.inc(1234)  # type: ignore[attr-defined]
    client.app.state.metrics.results_ingested.labels(kind="tests").inc(7)  # type: ignore[attr-defined]
    text = client.get("/metrics").text
    assert 'argus_http_requests_total{method="DELETE",route="/api/v1/tokens/{token_id}",status="404"} 1.0' in text
    assert 'argus_http_request_duration_seconds_bucket{le="0.005",method="DELETE",route="/api/v1/tokens/{token_id}"}' in text
    assert "argus_upload_bytes_total 1234.0" in text and 'argus_results_ingested_total{kind="tests"} 7.0' in text
    for name in ("argus_files_rejected_total", "argus_job_queue_depth", "argus_job_failures_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in text
    other = create_app(runtime=runtime)
    assert other.state.metrics.registry is not client.app.state.metrics.registry  # type: ignore[attr-defined]
    assert "argus_upload_bytes_total 0.0" in other.state.metrics.render().decode()


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["request_id"] == "boom-1" and "secret" not in r.text and r.headers["x-request-id"] == "boom-1"
    assert 'route="/boom",status="500"' in app.state.metrics.render().decode()


def test_a_project_token_outside_its_project_is_audited(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)

    @app.get("/api/v1/projects/{project}/probe")
    def probe(access: Annotated[ProjectAccess, project_access(Role.VIEWER)]) -> dict[str, str]:
        return {"project": access.project}

    shop = token(runtime, Role.ADMIN, project="shop")
    with TestClient(app) as client:
        assert client.get("/api/v1/projects/shop/probe", headers=bearer(shop)).json() == {"project": "shop"}
        r = client.get("/api/v1/projects/other/probe", headers={**bearer(shop), "X-Request-ID": "stray-1"})
    assert r.status_code == 404
    stray = [a for a in list_audit(runtime, "acme") if a.request_id == "stray-1"]
    assert [(a.status, a.detail["reason"]) for a in stray] == [(404, "project outside the token's scope")]


def test_failed_authentications_are_limited_per_client_address_and_audited(settings: Settings,
                                                                          engine: Engine) -> None:
    server = ServerSettings(auth_failure_burst=3, auth_failures_per_minute=0.5)
    rt = Runtime(settings.model_copy(update={"server": server}))
    try:
        good = token(rt, Role.ADMIN)
        app = create_app(runtime=rt)
        with TestClient(app, client=("10.0.0.7", 5000)) as attacker, \
                TestClient(app, client=("10.0.0.8", 5000)) as other:
            codes = [attacker.get("/api/v1/tokens", headers={**bearer(f"argus_guess{i}"),
                                                             "X-Request-ID": f"guess-{i}"}).status_code
                     for i in range(5)]
            assert codes == [401, 401, 401, 429, 429]
            r = attacker.get("/api/v1/tokens", headers={**bearer(good), "X-Request-ID": "after"})
            # the address is refused before any token is looked up, a valid one too, until it refills
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            assert r.json()["type"].endswith("/rate-limited")
            assert attacker.get("/healthz").status_code == 200
            assert attacker.get("/api/v1/tokens").status_code == 429  # no token at all: same bucket
            # another address is not affected, and its valid token is not counted as a failure
            assert [other.get("/api/v1/tokens", headers=bearer(good)).status_code for _ in range(4)] == [200] * 4
        rows = {a.request_id: a for a in list_audit(rt, None) if a.request_id}
        assert [rows[f"guess-{i}"].status for i in range(5)] == [401, 401, 401, 429, 429]
        assert rows["guess-4"].actor == "anonymous" and rows["guess-4"].detail["client"] == "10.0.0.7"
        assert "too many failed" in rows["guess-4"].detail["reason"]
        assert rows["after"].status == 429
    finally:
        rt.close()


def test_failed_authentication_limit_can_be_switched_off(settings: Settings, engine: Engine) -> None:
    server = ServerSettings(auth_failure_burst=1, auth_failure_limit_enabled=False)
    rt = Runtime(settings.model_copy(update={"server": server}))
    try:
        with TestClient(create_app(runtime=rt)) as c:
            assert {c.get("/api/v1/tokens", headers=bearer("argus_nope")).status_code for _ in range(4)} == {401}
    finally:
        rt.close()
