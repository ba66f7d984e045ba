"""Auto-quarantine only on strong evidence (issue 10 §3), through ``argus ingest tests`` and ``argus flaky analyze``.

History (written as JUnit files by the test, ingested with the real CLI): 24 default-branch commits,
one CI run each, plus a rerun of commits 4, 12 and 20. Six tests; per run at most two fail (no outage).

* ``test_strong`` fails in the first run of commits 4, 12, 20 and passes in their reruns: intermittent
  on the same code, P(flaky) interval well above the threshold → quarantined automatically;
* ``test_weak`` fails 3 times on 3 different commits: P(flaky) 0.94 but interval 0.17–1.00 → only
  active (a person decides);
* ``test_unconfirmed`` fails 6 times, each on its own commit and never re-run: a tight interval, but
  nothing shows the failures are intermittent on the same code (each could be that commit's bug) →
  only active.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli.app import main

TESTS = ("test_strong", "test_weak", "test_unconfirmed", "test_ok1", "test_ok2", "test_ok3")
FAILS = {"test_strong": {4, 12, 20}, "test_weak": {2, 10, 18}, "test_unconfirmed": {1, 5, 9, 13, 17, 21}}


def junit(path: Path, failing: set[str], stamp: str) -> str:
    cases = "".join(
        f'<testcase classname="tests.test_q" name="{t}" time="0.1">'
        + ('<failure message="AssertionError: x">x</failure>' if t in failing else "") + "</testcase>"
        for t in TESTS
    )
    path.write_text(f'<testsuite name="tests.test_q" tests="{len(TESTS)}" failures="{len(failing)}" '
                    f'timestamp="{stamp}">{cases}</testsuite>')
    return str(path)


@pytest.fixture
def history(cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    for i in range(24):
        first = {t for t, commits in FAILS.items() if i in commits}
        runs = [(f"r{i}", first, f"2026-02-{1 + i:02d}T10:00:00")]
        if i in FAILS["test_strong"]:
            runs.append((f"r{i}b", set(), f"2026-02-{1 + i:02d}T11:00:00"))  # rerun of the same commit
        for run_id, failing, stamp in runs:
            f = junit(tmp_path / f"{run_id}.xml", failing, stamp)
            code = main(["ingest", "tests", f, "--commit", f"c0{i:02d}", "--branch", "main", "--run-id", run_id])
            assert code == 0
    capsys.readouterr()


def test_auto_quarantine_needs_interval_and_same_code_evidence(history: None, capsys) -> None:
    assert main(["flaky", "analyze", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    tests = {t["test"].rsplit(":", 1)[-1].rsplit(".", 1)[-1]: t for t in doc["tests"]}
    changes = {c["identity"].rsplit(":", 1)[-1].rsplit(".", 1)[-1]: c for c in doc["state_changes"]}
    for name in FAILS:  # every one is flaky with a quarantine recommendation: figures unchanged
        assert tests[name]["verdict"] == "flaky" and tests[name]["action"] == "quarantine", tests[name]
    assert changes["test_strong"]["after"] == "quarantined"
    assert changes["test_weak"]["after"] == "active"
    assert "lower bound" in changes["test_weak"]["reason"]
    assert changes["test_unconfirmed"]["after"] == "active"
    assert "same code" in changes["test_unconfirmed"]["reason"]
    assert main(["flaky", "quarantine", "--format", "text"]) == 0
    assert [x.rsplit(".", 1)[-1].rsplit(":", 1)[-1] for x in capsys.readouterr().out.split()] == ["test_strong"]


def test_auto_quarantine_off_keeps_everything_active(history: None, capsys, monkeypatch) -> None:
    monkeypatch.setenv("ARGUS_FLAKY__AUTO_QUARANTINE", "false")
    assert main(["flaky", "analyze", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {c["after"] for c in doc["state_changes"]} == {"active"}
