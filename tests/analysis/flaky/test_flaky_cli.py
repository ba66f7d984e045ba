"""``argus flaky analyze|list|show|quarantine|set-state`` end to end on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from argus.cli.app import main
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import History

FLAKY = "tests/test_api.py::test_fetch"
BROKEN = "tests/test_calc.py::test_total"


@pytest.fixture
def stored(session_factory: sessionmaker[Session], cli_env: dict[str, str]) -> None:
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        b = History(s)
        for i in range(25):
            b.run(
                f"c{i:02d}",
                {FLAKY: "FP" if i % 4 == 1 else "P", BROKEN: "F" if i >= 20 else "P", "tests/test_ok.py::test_ok": "P"},
                messages={FLAKY: "TimeoutError: timed out waiting for the queue"},
            )
        s.commit()


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_analyze_list_show_quarantine(stored: None, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = cli(["flaky", "analyze", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert (data["flaky"], data["broken"]) == (1, 1)
    verdicts = {t["test"]: t["verdict"] for t in data["tests"]}
    assert verdicts == {FLAKY: "flaky", BROKEN: "broken"}
    assert any(c["after"] == "quarantined" for c in data["state_changes"])

    code, out = cli(["flaky", "list", "--json"], capsys)
    rows = json.loads(out)
    assert {r["test"]: r["kind"] for r in rows} == {FLAKY: "flaky_test", BROKEN: "broken_test"}
    code, out = cli(["flaky", "list", "--kind", "broken", "--json"], capsys)
    assert code == 0 and [r["test"] for r in json.loads(out)] == [BROKEN]
    code, out = cli(["flaky", "list"], capsys)
    assert code == 0 and f"{FLAKY}\n  P(flaky) > 99 %" in out and f"{BROKEN}\n  broken, confidence" in out

    code, out = cli(["flaky", "show", "test_fetch", "--json"], capsys)
    detail = json.loads(out)
    assert detail["state"] == "quarantined"
    assert detail["insights"][0]["data"]["category"]["name"] == "async_wait"
    code, out = cli(["flaky", "show", BROKEN], capsys)
    assert "Broken test" in out and "c20" in out

    code, out = cli(["flaky", "quarantine", "--format", "text"], capsys)
    assert out == f"{FLAKY}\n"
    code, out = cli(["flaky", "quarantine", "--json"], capsys)
    assert [t["id"] for t in json.loads(out)["tests"]] == [FLAKY]
    target = tmp_path / "q.args"
    code, _ = cli(["flaky", "quarantine", "--format", "pytest", "-o", str(target)], capsys)
    assert target.read_text() == f"--deselect\n{FLAKY}\n"


def test_set_state_and_errors(stored: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(["flaky", "set-state", BROKEN, "quarantined", "--json"], capsys)
    assert code == 0 and json.loads(out) == {"test": BROKEN, "state": "quarantined"}
    code = main(["flaky", "set-state", BROKEN, "gone"])
    err = capsys.readouterr().err
    assert code != 0 and "unknown state" in err
    code = main(["flaky", "show", "no_such_test"])
    err = capsys.readouterr().err
    assert code != 0 and "no_such_test" in err and "Traceback" not in err


def test_quarantine_export_keeps_a_users_conftest_and_says_what_it_left_out(
    stored: None, session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    java = "com.acme.billing.CartTest::addsItem"
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        History(s).run("c99", {java: "F"})
        s.commit()
    assert main(["flaky", "analyze"]) == 0
    assert main(["flaky", "set-state", java, "quarantined"]) == 0
    conftest = tmp_path / "conftest.py"
    conftest.write_text("import pytest\n\n\n@pytest.fixture\ndef db():\n    return 'mine'\n")
    capsys.readouterr()
    assert main(["flaky", "quarantine", "-f", "conftest", "-o", str(conftest)]) == 0
    err = capsys.readouterr().err
    text = conftest.read_text()
    assert text.startswith("import pytest\n\n\n@pytest.fixture\ndef db():\n    return 'mine'\n") and FLAKY in text
    assert "left out 1 test(s) the conftest form cannot express" in err and java in err and "not a pytest test" in err
    assert main(["flaky", "quarantine", "-f", "text", "-o", str(conftest)]) == 6
    assert conftest.read_text() == text
    assert "exists: pass --force" in capsys.readouterr().err


def test_a_broken_test_is_categorised_from_its_failure_messages(
    session_factory: sessionmaker[Session], cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Its failures all lie in the regression: they were once left out, giving "unknown — no failure text"."""
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        b = History(s)
        for i in range(12):
            b.run(f"c{i:02d}", {BROKEN: "F" if i >= 6 else "P", "tests/test_ok.py::test_ok": "P"},
                  messages={BROKEN: "ConnectionRefusedError: [Errno 111] Connection refused"})
        s.commit()
    code, out = cli(["flaky", "analyze", "--json"], capsys)
    assert code == 0
    test = next(t for t in json.loads(out)["tests"] if t["test"] == BROKEN)
    assert test["verdict"] == "broken"
    assert test["category"]["name"] == "network", test["category"]
