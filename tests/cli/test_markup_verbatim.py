"""Rich markup never eats what users wrote: test ids like ``t[eur]``, ``[bold]x[/]`` or ``a[/]`` and failure
messages print verbatim in every main view (tables, detail views, summaries, error lines)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from argus.cli.app import main

PARAM = "test_applies_retry_budget[eur]"
MARKUP = "[bold]x[/]"
CLOSE = "a[/]"
MESSAGE = "AssertionError: expected a[/] got [red]b[/red] for [eur]"


def _report(path: Path, i: int) -> Path:
    flaky = (f'<flakyFailure message={quoteattr("TimeoutError: waiting [bold]queue[/]")} type="TimeoutError">'
             "Traceback [dim]x[/]</flakyFailure>") if i % 4 == 1 else ""
    broken = f'<failure message={quoteattr(MESSAGE)} type="AssertionError">{MESSAGE}</failure>' if i >= 18 else ""
    path.write_text(
        f'<?xml version="1.0"?>\n<testsuite name="tests.test_fx" tests="3" timestamp="2026-01-01T{i:02d}:00:00">'
        f'<testcase classname="tests.test_fx" name={quoteattr(PARAM)} time="0.1">{flaky}</testcase>'
        f'<testcase classname="tests.test_fx" name={quoteattr(MARKUP)} time="0.1">{broken}</testcase>'
        f'<testcase classname="tests.test_fx" name={quoteattr(CLOSE)} time="0.1"/>'
        "</testsuite>\n",
        encoding="utf-8",
    )
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _flat(text: str) -> str:
    """Join table cells that Rich folded over several lines (so a long id is searchable again)."""
    return re.sub(r"\s*[│|]\s*", "", text.replace("\n", ""))


@pytest.fixture
def history(cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli(capsys, "db", "upgrade")[0] == 0
    for i in range(24):
        code, out, err = cli(capsys, "ingest", "tests", str(_report(tmp_path / f"r{i}.xml", i)),
                             "--commit", f"c0{i:02d}", "--branch", "main", "--run-id", f"run-{i}")
        assert code == 0, err
    return out


def test_every_main_view_prints_ids_and_messages_verbatim(history: str, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = cli(capsys, "flaky", "analyze")
    assert code == 0
    code, js, _ = cli(capsys, "flaky", "list", "--json")
    ids = {r["test"] for r in json.loads(js)}
    flaky_id = next(i for i in ids if i.endswith(PARAM))
    broken_id = next(i for i in ids if i.endswith(MARKUP))
    for view in (out, cli(capsys, "flaky", "list")[1]):
        assert flaky_id in _flat(view) and broken_id in _flat(view)

    code, show, _ = cli(capsys, "flaky", "show", flaky_id)  # the id as printed is the id that works
    assert code == 0 and show.startswith(flaky_id)
    assert re.search(r"- \[(strong|moderate|weak)\] ", show)  # evidence strength, in brackets
    code, show, _ = cli(capsys, "flaky", "show", broken_id)
    assert code == 0 and show.startswith(broken_id)

    code, out, _ = cli(capsys, "insights", "list")
    assert code == 0 and PARAM in _flat(out)
    first = json.loads(cli(capsys, "insights", "list", "--json")[1])[0]["id"]
    code, out, _ = cli(capsys, "insights", "show", str(first))
    assert code == 0 and re.search(r"- \[(strong|moderate|weak)\] ", out)

    assert cli(capsys, "failures", "analyze")[0] == 0
    code, out, _ = cli(capsys, "failures", "list")
    assert code == 0 and "[red]" in _flat(out)
    cluster = next(c["id"] for c in json.loads(cli(capsys, "failures", "list", "--json")[1])
                   if "[red]" in json.dumps(c))
    code, out, _ = cli(capsys, "failures", "show", str(cluster))
    assert code == 0 and MESSAGE in out and broken_id in _flat(out)

    code, _, err = cli(capsys, "flaky", "show", "nope[eur] [bold]y[/]")
    assert code != 0 and "nope[eur] [bold]y[/]" in err and err.startswith("error:")


def test_ingest_and_git_views_print_names_verbatim(cli_env: dict[str, str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    monkeypatch.setenv("COLUMNS", "250")
    assert cli(capsys, "db", "upgrade")[0] == 0
    report = _report(tmp_path / "r[eur] [bold]x[red].xml", 1)
    code, out, err = cli(capsys, "ingest", "tests", str(report), "--commit", "c0c1", "--run-id", "R[1]")
    assert code == 0 and report.name in _flat(out + err), out + err
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=[bold]Ann[/]", "-c", "user.email=a@b"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "a[red].py").write_text("x = 1\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "fix: retry budget for t[eur] [bold]x[/]"], check=True)
    assert cli(capsys, "ingest", "git", "--repo", str(repo), "--no-szz")[0] == 0
    code, out, _ = cli(capsys, "changes", "list")
    assert code == 0 and "t[eur] [bold]x[/]" in _flat(out) and "[bold]Ann[/]" in _flat(out)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    code, out, _ = cli(capsys, "changes", "show", sha)
    assert code == 0 and "a[red].py" in _flat(out)


def test_tables_keep_markup_like_cells_on_any_console() -> None:
    from rich.console import Console

    from argus.cli.output import table

    rec = Console(record=True, width=200, markup=True)  # even a console with markup on
    rec.print(table(f"title {MARKUP}", ["test", "n"], [[PARAM, 1], [MARKUP, 2], [CLOSE, None]]))
    text = rec.export_text()
    for s in (PARAM, MARKUP, CLOSE, f"title {MARKUP}"):
        assert s in text


def test_no_renderer_turns_markup_back_on() -> None:
    """Guard: markup is off in ``console()``; nothing in the CLI builds its own console or asks for markup."""
    src = Path(__file__).resolve().parents[2] / "src" / "argus"
    offenders = [
        f"{p.relative_to(src)}:{n}"
        for p in src.rglob("*.py") if p.name != "output.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "markup=True" in line or re.search(r"\bConsole\(", line) or re.search(r"\[/\]", line)
    ]
    assert offenders == []
