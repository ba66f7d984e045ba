"""Every command, given bad input, prints one line on stderr and exits with a documented code (issue 12 §3).

The command paths are read from the live command tree, so a new command is covered (or this test fails
until it has a bad-input case below). Documented codes (README "Exit codes"): 2 configuration,
3 database, 4 schema, 5 not found, 6 bad input (usage errors included).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from typer import _click
from typer.core import TyperGroup

from argus.cli.app import _command, main

DOCUMENTED = {2, 3, 4, 5, 6}


def _leaves(cmd: _click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], _click.Command]]:
    if not isinstance(cmd, TyperGroup):
        return [(path, cmd)]
    ctx = _click.Context(cmd, info_name="argus")
    found = []
    for name in list(cmd.commands):
        _, sub, _ = cmd.resolve_command(ctx, [name])
        assert sub is not None
        found += _leaves(sub, (*path, name))
    return found


LEAVES = {path: cmd for path, cmd in _leaves(_command())}
REQUIRED = sorted(path for path, cmd in LEAVES.items() if any(p.required for p in cmd.params))

# one bad value (or unknown id) per command, run against a migrated database holding project "shop"
BAD: dict[tuple[str, ...], tuple[list[str], int]] = {
    ("alerts", "ingest"): (["missing.json", "--source", "generic", "-p", "shop"], 6),
    ("alerts", "list"): (["-p", "shop", "--status", "burning"], 6),
    ("incidents", "list"): (["-p", "shop", "--state", "bogus"], 6),
    ("incidents", "show"): (["-p", "shop", "424242"], 5),
    ("incidents", "ack"): (["-p", "shop", "424242"], 5),
    ("incidents", "resolve"): (["-p", "shop", "424242"], 5),
    ("incidents", "transition"): (["-p", "shop", "1", "sideways"], 6),
    ("incidents", "merge"): (["-p", "shop", "424242", "424243"], 5),
    ("incidents", "split"): (["-p", "shop", "424242", "1"], 5),
    ("incidents", "metrics"): (["-p", "shop", "--since", "last-tuesday"], 6),
    ("incidents", "services"): (["missing.yaml", "-p", "shop"], 6),
    ("incidents", "notify"): (["-p", "ghost"], 5),
    ("incidents", "recommend"): (["-p", "shop", "424242"], 5),
    ("incidents", "postmortem"): (["-p", "shop", "424242"], 5),
    ("runbooks", "index"): (["no-such-dir", "-p", "shop"], 6),
    ("runbooks", "list"): (["-p", "ghost"], 5),
    ("runbooks", "search"): (["the of", "-p", "shop"], 6),
    ("runbooks", "show"): (["no-such.md", "-p", "shop"], 5),
    ("runbooks", "feedback"): (["1", "x.md", "-p", "shop"], 6),
    ("runbooks", "actions"): (["-p", "shop", "--status", "done"], 6),
    ("runbooks", "approve"): (["424242", "-p", "shop"], 5),
    ("incidents", "investigate"): (["-p", "shop", "424242"], 5),
    ("incidents", "cause"): (["-p", "shop", "1", " "], 6),
    ("anomalies", "score"): (["missing.csv"], 6),
    ("anomalies", "evaluate-nab"): (["--data", "no-such-dir"], 6),
    ("anomalies", "analyze"): (["-p", "ghost"], 5),
    ("anomalies", "evaluate-forecast"): (["--data", "no-such-dir"], 6),
    ("anomalies", "list"): (["-p", "shop", "--limit", "-1"], 6),
    ("anomalies", "show"): (["-p", "shop", "424242"], 5),
    ("ask",): (["  ", "-p", "shop"], 6),
    ("ask-feedback",): (["3", "maybe", "-p", "shop"], 6),
    ("audit", "list"): (["--org", "ghost"], 5),
    ("baseline",): (["-p", "shop", "--commit", "abcdef1"], 5),
    ("calibration",): (["--bins", "abc"], 6),
    ("changes", "show"): (["-p", "shop", "abcdef1"], 5),
    ("changes", "list"): (["-p", "shop", "--since", "yesterday-ish"], 6),
    ("ci-metrics",): (["-p", "shop", "--run-id", "no-such-run"], 5),
    ("comment",): (["missing.md"], 6),
    ("consume",): (["--nats", "http://nope", "-p", "shop"], 6),
    ("query",): (["SELECT * FROM test_run", "-p", "shop"], 6),
    ("schema",): (["extra-argument"], 6),
    ("config", "show"): (["extra-argument"], 6),
    ("db", "upgrade"): (["extra-argument"], 6),
    ("db", "current"): (["extra-argument"], 6),
    ("db", "create-readonly-role"): (["--role", "Robert'); DROP"], 6),
    ("dead-letters", "list"): (["--limit", "-5"], 6),
    ("dead-letters", "show"): (["-p", "shop", "424242"], 5),
    ("dead-letters", "retry"): (["-p", "shop", "424242"], 5),
    ("demo",): (["--scale", "galactic"], 6),
    ("dora",): (["-p", "shop", "--from", "yesterday"], 6),
    ("failures", "cluster"): (["missing.log"], 6),
    ("failures", "analyze"): (["-p", "ghost"], 5),
    ("failures", "list"): (["-p", "shop", "--days", "-3"], 6),
    ("failures", "show"): (["-p", "shop", "424242"], 5),
    ("feedback",): (["424242", "accept", "-p", "shop"], 5),
    ("flaky", "analyze"): (["-p", "ghost"], 5),
    ("jobs", "list"): (["-p", "shop", "--limit", "-5"], 6),
    ("jobs", "retry"): (["-p", "shop", "424242"], 5),
    ("flaky", "list"): (["-p", "shop", "--state", "bogus"], 6),
    ("flaky", "show"): (["-p", "shop", "no.such::test"], 5),
    ("flaky", "quarantine"): (["-p", "shop", "--format", "cobol"], 6),
    ("flaky", "set-state"): (["no.such::test", "bogus", "-p", "shop"], 6),
    ("gate",): (["-p", "shop", "--fail-on", "never"], 6),
    ("ingest", "coverage"): (["missing.xml", "-p", "shop"], 6),
    ("ingest", "deployments"): (["missing.json", "-p", "shop"], 6),
    ("ingest", "delivery"): (["no-such-dir", "-p", "shop"], 6),
    ("ingest", "coverage-map"): (["missing.json", "-p", "shop"], 6),
    ("ingest", "git"): (["--repo", "no-such-dir", "-p", "shop"], 6),
    ("ingest", "issues"): (["missing.csv", "-p", "shop"], 6),
    ("ingest", "szz"): (["--repo", "no-such-dir", "-p", "shop"], 6),
    ("ingest", "tests"): (["missing.xml", "-p", "shop"], 6),
    ("ingest", "vulns"): (["missing.json", "-p", "shop"], 6),
    ("insights", "list"): (["-p", "shop", "--min-confidence", "high"], 6),
    ("insights", "show"): (["-p", "shop", "424242"], 5),
    ("metrics", "ingest"): (["missing.csv", "--series", "queue_s", "-p", "shop"], 6),
    ("metrics", "pull"): (["--prometheus", "http://127.0.0.1:9", "--query", "up", "--series", "up", "-p", "shop",
                           "--step", "-5"], 6),
    ("parse", "tests"): (["missing.xml"], 6),
    ("models", "list"): (["-p", "ghost"], 5),
    ("models", "train"): (["-p", "shop"], 6),  # no history: too few labelled changes
    ("models", "evaluate"): (["-p", "shop", "42"], 5),
    ("models", "promote"): (["-p", "shop", "0"], 6),
    ("models", "drift"): (["-p", "shop"], 5),  # no active model
    ("models", "retrain"): (["-p", "ghost"], 5),
    ("projects", "list"): (["extra-argument"], 6),
    ("projects", "create"): (["bad name!"], 6),
    ("risk", "assess"): (["-p", "shop", "abcdef1"], 5),
    ("risk", "evaluate-dataset"): (["missing.csv"], 6),
    ("prs", "list"): (["-p", "shop", "--limit", "-1"], 6),
    ("prs", "show"): (["PR-404", "-p", "shop"], 5),
    ("prs", "rework"): (["-p", "shop", "--limit", "0"], 6),
    ("work", "points"): (["-p", "shop", "--limit", "0"], 6),
    ("work", "epics"): (["-p", "shop", "--limit", "-2"], 6),
    ("select",): (["-p", "shop", "--diff", "missing.diff", "--budget", "250%"], 6),
    ("serve",): (["--port", "70000"], 6),
    ("simulate",): (["--out", "sim", "--scale", "galactic"], 6),
    ("sync", "github"): (["--repo", "not-a-repo", "-p", "shop"], 6),
    ("sync", "gitlab"): (["--gitlab-project", "../x", "-p", "shop"], 6),
    ("sync", "jira"): (["--jira-project", "A B", "-p", "shop"], 6),
    ("tokens", "create"): (["x", "--role", "emperor"], 6),
    ("tokens", "list"): (["--org", "ghost"], 5),
    ("tokens", "revoke"): (["424242"], 5),
    ("upload",): (["missing.xml", "--server", "http://127.0.0.1:9", "--token", "t"], 6),
    ("worker",): (["--poll", "-1"], 6),
}


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    _, err = capsys.readouterr()
    return code, err


def assert_one_line(code: int, err: str, expected: int | None = None) -> None:
    assert "Traceback" not in err and "Usage:" not in err, err
    assert err.count("\n") == 1 and err.startswith(("error: ", "rejected: ")), err
    assert code in DOCUMENTED and (expected is None or code == expected), (code, err)


@pytest.fixture(scope="module")
def shop_database(module_cli_env: tuple[Path, dict[str, str]]) -> str:
    """A migrated database holding project "shop", made once for the module (each test copies it)."""
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        assert main(["db", "upgrade"]) == 0, out.getvalue()
        assert main(["projects", "create", "shop"]) == 0, out.getvalue()
    return module_cli_env[1]["ARGUS_DATABASE_URL"]


@pytest.fixture
def shop(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str], shop_database: str,
         copy_database: Callable[[str], str]) -> None:
    """This test's own copy of ``shop_database`` (a command under test may write)."""
    copy_database(shop_database)
    assert main(["db", "upgrade"]) == 0  # the copy at head (PostgreSQL: the job queue's tables added)
    capsys.readouterr()


def test_every_command_has_a_bad_input_case() -> None:
    assert len(LEAVES) >= 37
    assert sorted(BAD) == sorted(LEAVES)


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_unknown_option_is_one_line_exit_6(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                           path: tuple[str, ...]) -> None:
    code, err = run(capsys, [*path, "--no-such-option"])
    assert_one_line(code, err, 6)
    assert "No such option: --no-such-option" in err and f"argus {' '.join(path)} --help" in err


@pytest.mark.parametrize("path", REQUIRED, ids=" ".join)
def test_missing_required_argument_is_one_line_exit_6(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                                      path: tuple[str, ...]) -> None:
    code, err = run(capsys, list(path))
    assert_one_line(code, err, 6)
    assert "Missing" in err


@pytest.mark.parametrize("path", sorted(BAD), ids=" ".join)
def test_bad_value_or_unknown_id_is_one_line_documented_code(
        capsys: pytest.CaptureFixture[str], shop: None, tmp_path: Path, path: tuple[str, ...]) -> None:
    args, expected = BAD[path]
    code, err = run(capsys, [*path, *args])
    assert_one_line(code, err, expected)


@pytest.mark.parametrize(("text", "needle"), [
    (None, "no such file"),
    ("time,val\n2024-01-01 00:00:00,1\n", "expected the header 'timestamp,value'"),
    ("timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,lots\n", "m.csv:3: value 'lots' is not a number"),
    ("timestamp,value\nnoon-ish,1\n", "m.csv:2: timestamp 'noon-ish' is not an ISO 8601 date-time"),
], ids=["missing file", "bad header", "non-numeric value", "unparsable timestamp"])
def test_anomalies_score_bad_csv_is_one_line_exit_6(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str],
                                                    tmp_path: Path, text: str | None, needle: str) -> None:
    if text is not None:
        (tmp_path / "m.csv").write_text(text)
    code, err = run(capsys, ["anomalies", "score", "m.csv"])
    assert_one_line(code, err, 6)
    assert needle in err


def test_sqlite_write_lock_held_past_every_retry_is_one_line_exit_3(
        capsys: pytest.CaptureFixture[str], shop: None, cli_env: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer (e.g. `ingest git` on a long history) holds SQLite's write lock: one line, exit 3."""
    if not cli_env["ARGUS_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    import sqlite3

    import argus.core.db

    monkeypatch.setattr(argus.core.db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    (tmp_path / "r.xml").write_text('<testsuite><testcase classname="c" name="t"/></testsuite>')
    holder = sqlite3.connect(cli_env["ARGUS_DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, err = run(capsys, ["ingest", "tests", "r.xml", "-p", "shop"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_one_line(code, err, 3)
    assert "locked" in err and "ingest git" in err
    assert run(capsys, ["ingest", "tests", "r.xml", "-p", "shop"])[0] == 0  # nothing half-written blocks a re-run
