"""Hostile CLI option values: one-line errors (exit 6) checked before the database is touched;
``db`` commands on foreign, future or non-database files; URL masking (issue 11 items 7, 8, 11)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from argus.cli.app import main
from argus.core.db import create_db_engine
from argus.core.settings import mask_url

HUGE = str(10**23)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def unmigrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database URL whose file does not exist yet: a command that touched it would say 'no schema'."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "never.db"
    monkeypatch.setenv("ARGUS_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path / "home"))
    (tmp_path / "r.xml").write_text("<testsuite/>")
    return db


@pytest.mark.parametrize("argv,expected", [
    (["insights", "show", HUGE], "expected a whole number from 1 to"),
    (["feedback", HUGE, "accept"], "expected a whole number from 1 to"),
    (["failures", "show", "0"], "expected a whole number from 1 to"),
    (["failures", "list", "--days", "99999999"], "expected a whole number of days"),
    (["failures", "list", "--limit", HUGE], "expected a whole number from 0 to"),
    (["dead-letters", "show", HUGE], "expected a whole number from 1 to"),
    (["ingest", "tests", "r.xml", "--attempt", HUGE], "--attempt"),
    (["ingest", "tests", "r.xml", "--attempt", "0"], "--attempt"),
    (["ingest", "tests", "r.xml", "--run-id", "r" * 256], "at most 255"),
    (["ingest", "tests", "r.xml", "--branch", "b" * 300], "at most 255"),
    (["ingest", "tests", "r.xml", "--job", "j\x01"], "printable"),
    (["ingest", "tests", "r.xml", "--commit", "a" * 65], "4 to 64 hexadecimal digits"),
    (["ingest", "tests", "r.xml", "--commit", "HEAD"], "4 to 64 hexadecimal digits"),
    (["ingest", "coverage", "r.xml", "--commit", "xyz"], "4 to 64 hexadecimal digits"),
    (["ingest", "vulns", "r.xml", "--run-id", "r" * 300], "at most 255"),
    (["gate", "--commit", "g" * 40], "4 to 64 hexadecimal digits"),
    (["ci-metrics", "--run-id", "r" * 300], "at most 255"),
])
def test_bad_option_is_one_line_exit_6_before_the_database(
        capsys: pytest.CaptureFixture[str], unmigrated: Path, argv: list[str], expected: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 6, err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err
    assert not unmigrated.exists()  # never opened


def test_valid_commit_sha_lengths_are_accepted(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                               tmp_path: Path) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    report = tmp_path / "r.xml"
    report.write_text('<testsuite><testcase classname="c" name="t"/></testsuite>')
    for sha in ("abcd", "A" * 40, "0" * 64):
        code, _, err = run(capsys, "ingest", "tests", str(report), "--commit", sha, "--run-id", sha)
        assert code == 0, err


def test_since_far_in_the_past_is_an_input_error(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    report = tmp_path / "r.xml"
    report.write_text('<testsuite><testcase classname="c" name="t"/></testsuite>')
    assert run(capsys, "ingest", "tests", str(report))[0] == 0  # creates the project
    for since in ("99999999d", "9999999999w", "0001-01-01T00:00:00+14:00", "9999-12-31"):
        code, _, err = run(capsys, "changes", "list", "--since", since)
        assert code == 6 and "--since" in err and err.count("\n") == 1, err


def test_db_commands_on_a_file_that_is_not_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    monkeypatch.setenv("ARGUS_DATABASE_URL", f"sqlite:///{junk}")
    for argv in (["db", "current"], ["db", "upgrade"], ["insights", "list"]):
        code, _, err = run(capsys, *argv)
        assert code == 3 and "is not an Argus database" in err and err.count("\n") == 1


def test_db_upgrade_on_foreign_tables_without_alembic_version(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE project (id INTEGER PRIMARY KEY)")
    monkeypatch.setenv("ARGUS_DATABASE_URL", f"sqlite:///{path}")
    for argv in (["db", "upgrade"], ["db", "current"]):
        code, _, err = run(capsys, *argv)
        assert code == 3 and "no alembic_version" in err and "Traceback" not in err


def test_db_current_and_upgrade_on_a_newer_revision(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    engine = create_db_engine(cli_env["ARGUS_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    engine.dispose()
    code, out, _ = run(capsys, "db", "current")
    assert code == 0 and "unknown, newer revision ffff_future; upgrade Argus" in " ".join(out.split())
    assert "behind" not in out
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 4 and "unknown, newer revision ffff_future; upgrade Argus" in err and "Traceback" not in err


@pytest.mark.parametrize("url,secret", [
    ("postgresql://ci:p@ss@db:5432/argus", "ss"),
    ("postgresql://ci:a@b@c@db/argus", "b@c"),
    ("postgresql://ci:hunter2@db:notaport/argus", "hunter2"),
    ("postgresql+psycopg://ci:pa/ss?x@db/argus", "pa/ss"),
])
def test_password_with_unescaped_characters_is_masked(url: str, secret: str) -> None:
    masked = mask_url(url)
    assert secret not in masked and "***" in masked


def test_non_numeric_port_is_a_one_line_config_error_everywhere(capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_DATABASE_URL", "postgresql://ci:hunter2@db:notaport/argus")
    for argv in (["config", "show"], ["db", "current"], ["insights", "list"]):
        code, _, err = run(capsys, *argv)
        assert code == 2 and "port must be a number" in err and "hunter2" not in err and err.count("\n") == 1


OPTION_VALUES = st.one_of(
    st.text(max_size=40), st.integers(min_value=256, max_value=5000).map(lambda n: "x" * n),
    st.sampled_from(["\x00", "\udcff", "a\x1bb", "0" * 64, "f" * 65, "-1", HUGE, "abcd", "9" * 300]),
)


@given(option=st.sampled_from(["--commit", "--branch", "--run-id", "--job", "--attempt"]), value=OPTION_VALUES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_ci_option_value_is_accepted_or_one_line_error(
        capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], tmp_path: Path, option: str, value: str) -> None:
    if main(["db", "upgrade"]) != 0:
        pytest.fail("db upgrade failed")
    report = tmp_path / "r.xml"
    report.write_text('<testsuite><testcase classname="c" name="t"/></testsuite>')
    capsys.readouterr()
    code = main(["ingest", "tests", str(report), option, value, "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 6), err
    if code == 6:
        assert err.count("\n") == 1 and err.startswith("error:")
    else:
        json.loads(out)
