"""Two server processes on one PostgreSQL behave as one: a token created through one works on the
other, writes through one are read through the other, a revocation through one holds on both.
(Rate-limit buckets are the one per-process state, by design: see argus.core.settings.server.)"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from argus.app.admin import CreateToken, create_token
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.testing.databases import upgrade_database
from argus.testing.processes import argus_environment
from argus.testing.server import running_server


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.skipif(not os.environ.get("ARGUS_TEST_DATABASE_URL"), reason="needs ARGUS_TEST_DATABASE_URL (PostgreSQL)")
def test_two_servers_on_one_postgresql_behave_as_one(tmp_path: Path, database_url: str) -> None:
    upgrade_database(database_url)
    rt = Runtime(Settings(home=tmp_path / "home", database_url=database_url))  # type: ignore[arg-type]
    admin = create_token(rt, CreateToken("acme", Role.ADMIN, "test")).secret
    rt.close()
    env = argus_environment(database_url, tmp_path / "home")
    with running_server(env, tmp_path / "a", name="a") as a, running_server(env, tmp_path / "b", workers=2,
                                                                             name="b") as b:
        made = httpx.post(f"{a.url}/api/v1/tokens", headers={**bearer(admin), "X-Request-ID": "via-a"},
                          json={"role": "maintainer", "name": "made-on-a"})
        assert made.status_code == 201, made.text
        secret, token_id = made.json()["token"], made.json()["id"]
        listed = httpx.get(f"{b.url}/api/v1/tokens", headers=bearer(secret))
        assert listed.status_code == 403  # maintainer < admin, decided by B from the row A wrote
        names = [t["name"] for t in httpx.get(f"{b.url}/api/v1/tokens", headers=bearer(admin)).json()]
        assert "made-on-a" in names
        audit = httpx.get(f"{b.url}/api/v1/audit", headers=bearer(admin)).json()
        assert any(r["request_id"] == "via-a" and r["status"] == 201 for r in audit)
        assert httpx.delete(f"{b.url}/api/v1/tokens/{token_id}", headers=bearer(admin)).status_code == 204
        for srv in (a, b, b):
            assert httpx.get(f"{srv.url}/api/v1/tokens", headers=bearer(secret)).status_code == 401
    assert a.stopped_cleanly() and b.stopped_cleanly(), a.logs()[-2000:] + b.logs()[-2000:]
