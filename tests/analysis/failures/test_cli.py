"""``argus failures cluster|analyze|list|show`` end to end."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from argus.cli.app import main
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import History

LINES = [
    "Failed password for root from 10.0.0.1 port 22 ssh2",
    "Connection closed by 10.0.0.9 [preauth]",
    "Failed password for root from 10.0.0.2 port 2200 ssh2",
    "",
    "Connection closed by 10.0.0.7 [preauth]",
]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_cluster_reads_stdin_and_prints_one_label_per_line(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(LINES) + "\n"))
    code, out = run_cli(["failures", "cluster", "-"], capsys)
    assert code == 0
    labels = out.splitlines()
    assert len(labels) == len(LINES)
    assert labels[0] == labels[2] and labels[1] == labels[4]
    assert len({labels[0], labels[1], labels[3]}) == 3


def test_cluster_json_and_templates(
    cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path_factory.mktemp("msgs") / "messages.txt"
    path.write_text("\n".join(LINES), encoding="utf-8")
    code, out = run_cli(["failures", "cluster", str(path), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    label = str(data["labels"][1])
    assert data["templates"][label] == {"template": "Connection closed by <*> [preauth]", "count": 2}
    code, out = run_cli(["failures", "cluster", str(path), "--with-template"], capsys)
    assert out.splitlines()[1].split("\t")[1] == "Connection closed by <*> [preauth]"


def test_cluster_missing_file_is_one_clear_error(
    cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["failures", "cluster", "nope.txt"])
    err = capsys.readouterr().err
    assert code != 0 and "nope.txt" in err and "Traceback" not in err


def test_analyze_list_show(
    cli_env: dict[str, str], session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        rows = [
            ("t::a", "failed", "Timeout after 5s talking to 10.1.1.1:80", "TimeoutError", None),
            ("t::b", "failed", "Timeout after 9s talking to 10.1.1.2:80", "TimeoutError", None),
            ("t::c", "error", "KeyError: 'user_7'", "KeyError", None),
        ]
        History(s).results(datetime(2024, 5, 1, tzinfo=UTC), rows)
        s.commit()
    code, out = run_cli(["failures", "analyze", "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["failures"] == 3 and summary["new_clusters"] == 2 and len(summary["insight_ids"]) == 4
    code, out = run_cli(["failures", "list", "--json"], capsys)
    views = json.loads(out)
    assert [v["count"] for v in views] == [2, 1] and all(v["novel"] for v in views)
    assert views[0]["template"] == "TimeoutError: Timeout after <*> talking to <*>"
    code, out = run_cli(["failures", "list", "--min-count", "2", "--days", "7", "--json"], capsys)
    assert [v["id"] for v in json.loads(out)] == [views[0]["id"]]
    code, out = run_cli(["failures", "list", "--latest"], capsys)
    assert code == 0 and "Timeout after" in out
    code, out = run_cli(["failures", "show", str(views[0]["id"]), "--json"], capsys)
    detail = json.loads(out)
    assert [t[1] for t in detail["tests"]] == ["t::a", "t::b"]
    code, out = run_cli(["failures", "show", str(views[0]["id"])], capsys)
    assert code == 0 and "t::a" in out
    assert main(["failures", "show", "999999"]) != 0
    assert "not found" in capsys.readouterr().err


def test_cluster_does_not_split_by_weekday_or_value_shape(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    days = ["Sun Dec 16", "Mon Dec 17", "Tue Jan  1", "Sat Feb  2"]
    lines = [f"connection from 10.0.0.{i} at {d} 04:12:{i:02d} 2018" for i, d in enumerate(days)]
    lines += [f"app.exe - h{i}.example.org:443 close, {s} sent, lifetime {t}"
              for i, (s, t) in enumerate([("0 bytes", "<1 sec"), ("1403 bytes (1.37 KB)", "00:01")])]  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out = run_cli(["failures", "cluster", "-"], capsys)
    labels = out.splitlines()
    assert code == 0 and len(set(labels[:4])) == 1 and labels[4] == labels[5] != labels[0]
