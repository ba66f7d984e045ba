"""``argus ingest coverage-map`` and ``argus select`` end to end (diff file, git range, every format), and
the pytest plugin deselecting in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from argus.cli.app import main

MOD = "src/pkg/mod.py"
REPORT = {"files": {
    MOD: {"executed_lines": [1, 2, 3], "contexts": {
        "1": [""], "2": ["tests/test_mod.py::test_a|run"], "3": ["tests/test_mod.py::test_b[x]|run"]}},
}}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
                               "GIT_COMMITTER_EMAIL": "a@x", "PATH": "/usr/bin:/bin"}).stdout.strip()


def test_ingest_then_select_in_every_format(cli_env: dict[str, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert cli(capsys, "db", "upgrade")[0] == 0
    cov = tmp_path / "cov.json"
    cov.write_text(json.dumps(REPORT))
    code, out, err = cli(capsys, "ingest", "coverage-map", str(cov), "-p", "shop")
    assert code == 0, err
    assert "2 tests, 1 files" in out and all(len(line) <= 80 for line in out.splitlines())
    diff = tmp_path / "c.diff"
    diff.write_text(f"--- a/{MOD}\n+++ b/{MOD}\n@@ -2 +2 @@\n-    x = 1\n+    x = 2\n")
    code, out, err = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "--max-tests", "1", "--explain")
    assert code == 0, err
    assert out == "tests.test_mod::test_a\n"
    assert "selected 1 of 2 tests (max_tests, 1 tests)" in err
    assert "covers changed line src/pkg/mod.py:2" in err
    code, out, _ = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "--budget", "100%", "-f", "pytest")
    assert out.splitlines() == ["tests/test_mod.py::test_a", "tests/test_mod.py::test_b[x]"]
    code, out, _ = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "-f", "json", "--save")
    doc = json.loads(out)
    assert doc["mode"] == "confidence" and doc["total"] == 2 and doc["skipped"] == 1
    assert doc["selected"][0]["test"] == "tests.test_mod::test_a" and doc["selected"][0]["reasons"]
    assert isinstance(doc["insight_id"], int)
    code, out, err = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "--budget", "10%", "--max-tests", "3")
    assert code == 6 and "one of" in err


def test_select_from_a_git_range_and_the_pytest_plugin(cli_env: dict[str, str], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / "src/pkg").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "src/pkg/__init__.py").write_text("")
    (repo / MOD).write_text("X = 1\ndef a():\n    return 1\ndef b():\n    return 2\n")
    (repo / "tests/test_mod.py").write_text(
        "from pkg import mod\n\ndef test_a():\n    assert mod.a() == 1\n\ndef test_b():\n    assert mod.b() == 2\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    report = {"files": {MOD: {"executed_lines": [1, 2, 3, 4, 5], "contexts": {
        "1": [""], "2": [""], "4": [""], "3": ["tests/test_mod.py::test_a|run"],
        "5": ["tests/test_mod.py::test_b|run"]}}}}
    (tmp_path / "cov.json").write_text(json.dumps(report))
    assert cli(capsys, "db", "upgrade")[0] == 0
    assert cli(capsys, "ingest", "coverage-map", str(tmp_path / "cov.json"), "-p", "shop")[0] == 0
    (repo / MOD).write_text("X = 1\ndef a():\n    return 1\ndef b():\n    return 3\n")
    code, out, err = cli(capsys, "select", "-p", "shop", "--base", "HEAD", "--root", str(repo), "--max-tests", "1")
    assert code == 0, err
    assert out == "tests.test_mod::test_b\n"
    ids = tmp_path / "ids.txt"
    ids.write_text(out)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--argus-select={ids}"],
                          cwd=repo, capture_output=True, text=True, env={**cli_env, "PYTHONPATH": "src",
                                                                         "PATH": "/usr/bin:/bin"})
    assert "1 failed, 1 deselected" in proc.stdout, proc.stdout + proc.stderr
    assert "argus: selected 1 of 2 tests" in proc.stdout
    # in-process: the plugin asks the store itself
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--argus-select=base=HEAD,max-tests=1,project=shop"],
                          cwd=repo, capture_output=True, text=True, env={**cli_env, "PYTHONPATH": "src",
                                                                         "PATH": "/usr/bin:/bin"})
    assert "1 failed, 1 deselected" in proc.stdout, proc.stdout + proc.stderr


def test_gate_pr_report_lists_the_tests_this_change_needs(cli_env: dict[str, str], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / "src/pkg").mkdir(parents=True)
    (repo / MOD).write_text("X = 1\ndef a():\n    return 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    base = _git(repo, "rev-parse", "HEAD")
    (repo / MOD).write_text("X = 1\ndef a():\n    return 2\n")
    _git(repo, "commit", "-qam", "change")
    head = _git(repo, "rev-parse", "HEAD")
    report = {"files": {MOD: {"executed_lines": [1, 2, 3], "contexts": {
        "1": [""], "2": [""], "3": ["tests/test_mod.py::test_a|run"]}}}}
    (tmp_path / "cov.json").write_text(json.dumps(report))
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuite name="pytest" tests="2"><testcase classname="tests.test_mod" name="test_a" time="1"/>'
                     '<testcase classname="tests.test_other" name="test_z" time="1"/></testsuite>')
    assert cli(capsys, "db", "upgrade")[0] == 0
    assert cli(capsys, "ingest", "coverage-map", str(tmp_path / "cov.json"), "-p", "shop")[0] == 0
    code, _, err = cli(capsys, "ingest", "tests", str(junit), "-p", "shop", "--commit", head, "--branch", "feature")
    assert code == 0, err
    code, out, err = cli(capsys, "gate", "-p", "shop", "--commit", head, "--base", base, "--repo", str(repo),
                         "--json", "--no-record")
    doc = json.loads(out)
    needed = doc["tests_needed"]
    assert needed is not None, err
    # test_z is not in the map: safe mode runs it too (P 0.01 is above the 1 % it may miss)
    assert [t["test"] for t in needed["selected"]] == ["tests.test_mod::test_a", "tests.test_other::test_z"]
    assert needed["selected"][0]["reason"] == "covers changed line src/pkg/mod.py:3"
    assert needed["selected"][1]["reason"] == "not in the coverage map"
    assert needed["total"] == 2 and isinstance(needed["insight_id"], int)


def test_select_keeps_the_scan_cache_under_home_unless_turned_off(
        cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(capsys, "db", "upgrade")[0] == 0
    cov = tmp_path / "cov.json"
    cov.write_text(json.dumps(REPORT))
    assert cli(capsys, "ingest", "coverage-map", str(cov), "-p", "shop")[0] == 0
    repo = tmp_path / "repo"
    (repo / "src/pkg").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / MOD).write_text("def f():\n    x = 2\n    return x\n")
    (repo / "tests/test_mod.py").write_text("from pkg.mod import f\n\ndef test_a():\n    f()\n\ndef test_b():\n    f()\n")
    diff = tmp_path / "c.diff"
    diff.write_text(f"--- a/{MOD}\n+++ b/{MOD}\n@@ -2 +2 @@\n-    x = 1\n+    x = 2\n")
    cache = Path(cli_env["ARGUS_HOME"]) / "scan-cache"
    monkeypatch.setenv("ARGUS_SELECTION__SCAN_CACHE", "false")
    first = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "--root", str(repo), "--budget", "100%")
    assert first[0] == 0, first[2]
    assert not cache.exists()
    monkeypatch.delenv("ARGUS_SELECTION__SCAN_CACHE")
    cold = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "--root", str(repo), "--budget", "100%")
    assert len(list(cache.glob("*.sqlite3"))) == 1
    warm = cli(capsys, "select", "-p", "shop", "--diff", str(diff), "--root", str(repo), "--budget", "100%")
    assert first[:2] == cold[:2] == warm[:2]
