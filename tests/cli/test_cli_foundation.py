"""The CLI end to end against a real database: help, schema, config, errors, insights, feedback."""

from __future__ import annotations

import json
import socket

import pytest

from argus.analysis.insights.service import save_insights
from argus.cli.app import main
from argus.core.db import create_db_engine
from argus.core.enums import InsightKind, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_command_groups(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for group in (
        "db",
        "config",
        "ingest",
        "parse",
        "insights",
        "feedback",
        "calibration",
        "projects",
        "tokens",
    ):
        assert group in out


def test_db_upgrade_then_current(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    code, out, _ = run(capsys, "db", "current", "--json")
    assert code == 0 and json.loads(out)["database"] is None
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "upgraded" in out
    code, out, _ = run(capsys, "db", "current", "--json")
    assert json.loads(out)["up_to_date"] is True


def test_config_show_masks_secrets(
    capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_GITHUB_TOKEN", "ghp_topsecret")
    code, out, _ = run(capsys, "config", "show", "--json")
    assert code == 0 and "ghp_topsecret" not in out
    assert json.loads(out)["flaky"]["quarantine_threshold"] == 0.7


@pytest.mark.parametrize(
    ("url", "code", "fragment"),
    [
        ("definitely not a url", 2, "not a valid database URL"),
        ("mysql://root@127.0.0.1/test", 2, "unsupported database backend"),
    ],
)
def test_bad_database_url_one_line(
    capsys: pytest.CaptureFixture[str],
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    code: int,
    fragment: str,
) -> None:
    monkeypatch.setenv("ARGUS_DATABASE_URL", url)
    rc, _out, err = run(capsys, "insights", "list")
    assert rc == code
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_unreachable_database_one_line(
    capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ARGUS_DATABASE_URL", f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
    rc, _, err = run(capsys, "insights", "list")
    assert rc == 3 and "cannot connect to database" in err and err.count("\n") == 1


def test_missing_migration_one_line(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    rc, _, err = run(capsys, "insights", "list")  # fresh database, never upgraded
    assert rc == 4 and "argus db upgrade" in err and err.count("\n") == 1


def test_debug_shows_traceback(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    with pytest.raises(Exception, match="argus db upgrade"):
        main(["--debug", "insights", "list"])


def _seed_insight(database_url: str) -> int:
    engine = create_db_engine(database_url)
    with make_session_factory(engine)() as s:  # type: Session
        scoped_to(s, get_or_create_project(s, "default"))
        (iid,) = save_insights(
            s,
            [
                Insight(
                    kind=InsightKind.BROKEN_TEST,
                    subject=Subject("test", "7", "tests/test_api.py::test_login"),
                    title="test_login is broken since abc123",
                    summary="fails on every run since commit abc123",
                    claims=(
                        Claim(
                            "fails from commit abc123 on",
                            0.9,
                            (Evidence("commit", "abc123", Support.STRONG, "first failing commit"),),
                        ),
                    ),
                    confidence=Confidence(0.9),
                    provenance=Provenance("test", "1"),
                    action="investigate",
                )
            ],
        )
        s.commit()
    engine.dispose()
    return iid


def test_insights_feedback_calibration(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    iid = _seed_insight(cli_env["ARGUS_DATABASE_URL"])
    code, out, _ = run(capsys, "insights", "list", "--json")
    assert code == 0 and [i["id"] for i in json.loads(out)] == [iid]
    code, out, _ = run(capsys, "insights", "show", str(iid))
    assert code == 0 and "abc123" in out and "first failing commit" in out
    code, out, _ = run(capsys, "feedback", str(iid), "accept", "--note", "confirmed", "--by", "ana")
    assert code == 0 and "accepted" in out
    code, out, _ = run(capsys, "insights", "show", str(iid), "--json")
    assert json.loads(out)["feedback"][0]["verdict"] == "accepted"
    code, out, _ = run(capsys, "calibration", "--json")
    rep = json.loads(out)
    assert rep["reliability"]["n"] == 1 and rep["calibrator"]["method"] == "identity"
    code, _, err = run(capsys, "insights", "show", "424242")
    assert code == 5 and "not found" in err
    code, _, err = run(capsys, "insights", "list", "--project", "ghost")
    assert code == 5 and "ghost" in err


def test_tokens(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, _ = run(capsys, "tokens", "create", "ci-upload", "--role", "uploader", "--json")
    created = json.loads(out)
    assert code == 0 and created["token"].startswith("argus_")
    code, out, _ = run(capsys, "tokens", "list", "--json")
    assert created["token"] not in out
    assert run(capsys, "tokens", "revoke", str(created["id"]))[0] == 0
    code, _, err = run(capsys, "tokens", "create", "x", "--role", "emperor")
    assert code == 6 and err.count("\n") == 1 and "--role" in err  # usage errors: one line, bad input
