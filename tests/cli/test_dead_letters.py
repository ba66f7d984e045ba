"""``argus dead-letters list|show|retry`` end to end (issue 12 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli.app import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    return cli_env


def test_list_show_and_retry_after_the_file_was_fixed(db: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text('<testsuite><testcase classname="c" name="t"')  # truncated
    lcov = tmp_path / "cov.info"
    lcov.write_text("SF:a.py\nDA:x,1\nend_of_record\n")
    assert run(capsys, "ingest", "tests", str(report))[0] == 6
    assert run(capsys, "ingest", "tests", str(report))[0] == 6  # the same file again: counted, not duplicated
    assert run(capsys, "ingest", "coverage", str(lcov))[0] == 6
    code, out, _ = run(capsys, "dead-letters", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["source"], r["count"]) for r in rows] == [("coverage", 1), ("test_report", 2)]
    test_id, cov_id = rows[1]["id"], rows[0]["id"]
    code, out, _ = run(capsys, "dead-letters", "list", "--source", "coverage")
    assert code == 0 and "cov.info" in out and "r.xml" not in out
    code, out, _ = run(capsys, "dead-letters", "show", str(test_id))
    assert code == 0 and "corrupt or truncated XML" in out and "excerpt" in out

    code, _, err = run(capsys, "dead-letters", "retry", str(test_id))  # still broken
    assert code == 6 and "rejected again" in err
    report.write_text('<testsuite><testcase classname="c" name="t"/></testsuite>')
    code, out, _ = run(capsys, "dead-letters", "retry", str(test_id), "--json")
    assert code == 0 and json.loads(out)["status"] == "ingested"
    lcov.write_text("SF:a.py\nDA:1,1\nend_of_record\n")
    code, out, _ = run(capsys, "dead-letters", "retry", str(cov_id))
    assert code == 0 and out.startswith("ingested")
    code, out, _ = run(capsys, "dead-letters", "list")
    assert code == 0 and "no dead letters" in out


def test_retry_errors_are_one_line(db: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    gone = tmp_path / "gone.xml"
    gone.write_text("not xml")
    assert run(capsys, "ingest", "tests", str(gone))[0] == 6
    gone.unlink()
    code, _, err = run(capsys, "dead-letters", "retry", "1")
    assert code == 6 and "no longer exists" in err and err.count("\n") == 1
    code, _, err = run(capsys, "dead-letters", "show", "999")
    assert code == 5 and "not found" in err and err.count("\n") == 1
    code, _, err = run(capsys, "dead-letters", "list", "--source", "bogus")
    assert code == 6 and "use one of" in err
