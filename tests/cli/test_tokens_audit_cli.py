"""``argus tokens create|list|revoke`` (organisation, project, role, expiry) and ``argus audit list``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from argus.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_tokens_create_for_a_new_org_and_project_with_expiry(capsys: pytest.CaptureFixture[str],
                                                             cli_env: dict[str, str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, err = run(capsys, "tokens", "create", "--org", "acme", "--project", "shop", "--role", "uploader",
                         "--expires", "90d", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created["token"].startswith("argus_") and isinstance(created["id"], int)
    assert (created["org"], created["project"], created["role"]) == ("acme", "shop", "uploader")
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=89) < expires.replace(tzinfo=expires.tzinfo or UTC) - datetime.now(UTC) <= timedelta(days=90)
    code, out, _ = run(capsys, "projects", "list", "--json")
    assert {"organisation": "acme", "project": "shop"} in json.loads(out)
    code, out, _ = run(capsys, "tokens", "list", "--org", "acme", "--json")
    assert created["token"] not in out and [t["project"] for t in json.loads(out)] == ["shop"]
    assert run(capsys, "tokens", "list", "--json")[1].strip() == "[]"  # the default organisation has none
    code, _, err = run(capsys, "tokens", "revoke", str(created["id"]))
    assert code == 5 and "not found" in err  # not a token of the default organisation
    assert run(capsys, "tokens", "revoke", str(created["id"]), "--org", "acme")[0] == 0
    code, _, err = run(capsys, "tokens", "create", "--role", "viewer", "--expires", "soon")
    assert code == 6 and "invalid duration" in err and err.count("\n") == 1
    code, _, err = run(capsys, "tokens", "create", "ci")
    assert code == 6 and "--role" in err


def test_audit_list(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    run(capsys, "tokens", "create", "--org", "acme", "--role", "admin")
    run(capsys, "tokens", "create", "--org", "other", "--role", "viewer")
    code, out, _ = run(capsys, "audit", "list", "--org", "acme", "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["org"], r["action"]) for r in rows] == [("acme", "token.create")]
    code, out, _ = run(capsys, "audit", "list", "--json")
    assert [r["org"] for r in json.loads(out)] == ["other", "acme"]  # newest first
    code, out, _ = run(capsys, "audit", "list")
    assert code == 0 and "acme" in out and "other" in out
