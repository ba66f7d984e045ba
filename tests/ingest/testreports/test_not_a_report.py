"""A glob or directory also matches files that are no test reports (coverage.xml, pom.xml): skip those."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from argus.cli.app import main

FIXTURES = Path(__file__).parent / "fixtures"
COBERTURA = '<?xml version="1.0"?>\n<coverage line-rate="0.8" version="7.4"><packages/></coverage>\n'
POM = '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion></project>\n'


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "build"
    (root / "surefire").mkdir(parents=True)
    shutil.copy(FIXTURES / "surefire_flaky.xml", root / "surefire" / "TEST-shop.xml")
    (root / "coverage.xml").write_text(COBERTURA)
    (root / "pom.xml").write_text(POM)
    return root


def test_glob_skips_files_that_are_no_test_report(cli_env: dict[str, str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    root = _tree(tmp_path)
    capsys.readouterr()
    assert main(["ingest", "tests", f"{root}/**/*.xml", "--commit", "a" * 40]) == 0
    out, err = capsys.readouterr()
    skipped = [ln for ln in (out + err).splitlines() if ln.startswith("skipped:")]
    assert len(skipped) == 1, out + err
    assert "coverage.xml" in skipped[0] and "pom.xml" in skipped[0] and "not test reports" in skipped[0]
    assert "1 ingested" in out and "0 rejected" in out
    # the directory form too
    assert main(["parse", "tests", str(root)]) == 0


def test_broken_report_in_a_glob_still_exits_6(cli_env: dict[str, str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    root = _tree(tmp_path)
    (root / "surefire" / "TEST-broken.xml").write_text("<testsuite name='x'><testcase name='a'>")
    assert main(["ingest", "tests", f"{root}/**/*.xml", "--commit", "a" * 40]) == 6
    assert main(["parse", "tests", f"{root}/**/*.xml"]) == 6


def test_named_file_that_is_no_report_is_rejected(cli_env: dict[str, str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    root = _tree(tmp_path)
    capsys.readouterr()
    assert main(["ingest", "tests", str(root / "coverage.xml"), "--commit", "a" * 40]) == 6
    assert "unsupported format (XML with root element <coverage>)" in capsys.readouterr().err


def test_parse_named_non_report_is_listed_as_rejected(cli_env: dict[str, str], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path)
    assert main(["parse", "tests", str(root / "pom.xml"), str(root / "surefire" / "TEST-shop.xml")]) == 6
    out, err = capsys.readouterr()
    assert "rejected:" in err and "pom.xml" in err.replace("\n", "") and "TEST-shop.xml" in out and "parsed, 4 tests" in out
