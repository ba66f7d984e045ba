"""A database error no rule foresaw is one line (no SQL, no parameters) and rolls the command back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from argus.cli.app import main


def test_unexpected_database_error_is_one_line_and_stores_nothing(
    cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = cli_env["ARGUS_DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("the injected failure uses a SQLite trigger")
    assert main(["db", "upgrade"]) == 0
    eng = create_engine(url)
    with eng.begin() as conn:  # every counter update of a run fails, after the reports were written
        conn.execute(text("CREATE TRIGGER boom BEFORE UPDATE ON test_run "
                          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"))
    report = tmp_path / "r.xml"
    report.write_text('<testsuite name="s"><testcase classname="c" name="secret-value-xyz"/></testsuite>')
    capsys.readouterr()
    code = main(["ingest", "tests", str(report), "-p", "p", "--run-id", "1"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and "injected failure" in err
    assert "UPDATE" not in err and "secret-value-xyz" not in err and "Traceback" not in err
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM test_report")).scalar() == 0
    eng.dispose()
