"""The main views read in an 80-column CI log (``COLUMNS=80``, not a terminal): no line is longer than 80
characters unless it is one unbreakable id alone, and every id a user must copy appears whole on a line.
And they tell the truth in the user's words (issue 12 §5): see the tests after the first."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from argus.cli.app import main

CLS = "tests.integration.payments.settlement.test_cross_border_settlement_reconciliation"
FLAKY = "test_reconciles_partial_refunds_across_currency_boundaries[eur-usd]"
BROKEN = "test_rejects_settlement_batches_with_mismatched_ledger_totals"
MESSAGE = "AssertionError: ledger total 1043.20 does not match settlement batch total 1043.21 for batch B-7"
ALWAYS = "test_never_passed_since_argus_first_saw_it"
DEEP = "build/test-results/integration/payments/settlement/cross-border/reconciliation"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def check(text: str, ids: list[str], *, table_ok: bool = False) -> None:
    """No line over 80 columns except one unbreakable word alone; every id whole on some line."""
    lines = text.splitlines()
    assert lines, "nothing printed"
    for ln in lines:
        assert len(ln) <= 80 or len(ln.split()) == 1, f"line of {len(ln)} columns: {ln!r}"
    for i in ids:
        assert any(i in ln for ln in lines), f"{i!r} not whole on one line in:\n{text}"
    assert table_ok or ("┏" not in text and "│" not in text)  # cards, not tables


def _report(path: Path, i: int) -> Path:
    flaky = ('<failure message="TimeoutError: settlement queue did not drain in 30 s" type="TimeoutError">'
             "Traceback</failure>") if i % 3 == 1 else ""
    broken = f"<failure message={quoteattr(MESSAGE)} type=\"AssertionError\">{MESSAGE}</failure>" if i >= 20 else ""
    rare = '<failure message="ValueError: bad row 17" type="ValueError"/>' if i in (5, 15) else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<?xml version="1.0"?>\n<testsuite name="{CLS}" tests="5" timestamp="2026-01-{1 + i // 24:02d}T{i % 24:02d}:00:00">'
        f'<testcase classname="{CLS}" name={quoteattr(FLAKY)} time="0.1">{flaky}</testcase>'
        f'<testcase classname="{CLS}" name="{BROKEN}" time="0.1">{broken}</testcase>'
        f'<testcase classname="{CLS}" name="test_ok" time="0.1"/>'
        f'<testcase classname="{CLS}" name="test_sometimes" time="0.1">{rare}</testcase>'
        f'<testcase classname="{CLS}" name="{ALWAYS}" time="0.1"><failure message="KeyError: currency"/></testcase>'
        "</testsuite>\n",
        encoding="utf-8",
    )
    return path


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
           "GIT_COMMITTER_EMAIL": "ada@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def built(module_cli_env: tuple[Path, dict[str, str]]) -> tuple[str, dict[str, str]]:
    """The history (24 CI runs, coverage, vulnerabilities, a small git repository) ingested once for the
    module: its database's URL and what each ingest printed. Each test works on a copy (``history``)."""
    tmp_path, env = module_cli_env

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
        return code, out.getvalue(), err.getvalue()

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("COLUMNS", "80")
        assert run("db", "upgrade")[0] == 0
        outs: dict[str, str] = {}
        for i in range(24):
            code, out, err = run("ingest", "tests", str(_report(tmp_path / DEEP / f"run{i}" / "TEST-x.xml", i)),
                                 "--commit", f"{i:02d}" + "a" * 38, "--branch", "main", "--run-id", f"1000{i:02d}")
            assert code == 0, err
            outs["ingest"] = out
        many = [str(_report(tmp_path / DEEP / "many" / f"TEST-{k}.xml", 30 + k)) for k in range(20)]
        outs["ingest_many"] = run("ingest", "tests", *many, "--run-id", "200001", "--commit", "b" * 40)[1]
        cov = tmp_path / DEEP / "coverage.info"
        cov.write_text("SF:src/app.py\n" + "".join(f"DA:{k},{int(k < 90)}\n" for k in range(1, 101)) + "end_of_record\n")
        vul = tmp_path / DEEP / "trivy.json"
        vul.write_text(json.dumps({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [
            {"VulnerabilityID": "CVE-2024-1", "PkgName": "p", "Severity": "HIGH"}]}]}))
        meta = ("--commit", "23" + "a" * 38, "--branch", "main", "--run-id", "100023")
        outs["coverage"] = run("ingest", "coverage", str(cov), *meta)[1]
        outs["vulns"] = run("ingest", "vulns", str(vul), *meta)[1]
        repo = tmp_path / "repo"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        long_file = repo / "src" / "payments" / "settlement" / "cross_border" / "reconciliation_of_partial_refunds.py"
        long_file.parent.mkdir(parents=True)
        for k in range(3):
            long_file.write_text("x = 1\n" * (k + 2))
            _git(repo, "add", "-A")
            _git(repo, "commit", "-q", "-m", ("fix: " if k == 2 else "") + f"change {k} of the settlement reconciliation "
                 "so that partial refunds across currency boundaries are rounded once, not twice")
        outs["git"] = run("ingest", "git", "--repo", str(repo))[1]
        outs["head"] = _git(repo, "rev-parse", "HEAD").strip()
    return env["ARGUS_DATABASE_URL"], outs


@pytest.fixture
def history(built: tuple[str, dict[str, str]], copy_database: Callable[[str], str], cli_env: dict[str, str],
            monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This test's own copy of the module's history (it may write), with the CLI at 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    copy_database(built[0])
    assert main(["db", "upgrade"]) == 0  # the copy at head (PostgreSQL: the job queue's tables added)
    return dict(built[1])


def test_main_views_read_at_80_columns(history: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    flaky_id, broken_id = f"{CLS}::{FLAKY}", f"{CLS}::{BROKEN}"
    check(history["ingest"], [str(Path(DEEP) / "run23" / "TEST-x.xml")])
    assert len(history["ingest_many"].splitlines()) <= 20 + 2  # the folder once, then a line per file
    check(history["ingest_many"], ["TEST-19.xml"])
    check(history["coverage"], ["coverage.info"])
    check(history["vulns"], ["trivy.json"])
    code, out, _ = cli(capsys, "flaky", "analyze")
    assert code == 0
    check(out, [flaky_id, broken_id])
    check(cli(capsys, "flaky", "list")[1], [flaky_id, broken_id])
    check(cli(capsys, "flaky", "show", flaky_id)[1], [flaky_id, "CI run 1000"])
    check(cli(capsys, "flaky", "show", broken_id)[1], [broken_id])
    assert cli(capsys, "failures", "analyze")[0] == 0
    code, out, _ = cli(capsys, "failures", "list")
    check(out, ["cluster "])
    first = json.loads(cli(capsys, "failures", "list", "--json")[1])[0]["id"]
    check(cli(capsys, "failures", "show", str(first))[1], [f"cluster {first}"])
    check(cli(capsys, "insights", "list")[1], [flaky_id, broken_id])
    iid = json.loads(cli(capsys, "insights", "list", "--json")[1])[0]["id"]
    check(cli(capsys, "insights", "show", str(iid))[1], [f"#{iid}"])
    code, out, _ = cli(capsys, "gate", "--commit", "23" + "a" * 38, "--no-github", "--no-record")
    check(out, ["23aaaaaaaaaa"], table_ok=True)  # the gate's few short columns fit (report/gate.py)
    check(cli(capsys, "baseline")[1], [])
    check(cli(capsys, "changes", "list")[1], [history["head"][:12]])
    check(cli(capsys, "changes", "show", history["head"])[1],
          [history["head"], "src/payments/settlement/cross_border/reconciliation_of_partial_refunds.py"])


def test_figures_are_consistent_plain_and_never_certain(history: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    flaky_id, broken_id = f"{CLS}::{FLAKY}", f"{CLS}::{BROKEN}"
    analyzed = cli(capsys, "flaky", "analyze")[1]
    listed = cli(capsys, "flaky", "list")[1]
    for out in (analyzed, listed):
        assert "100" not in out and "P(flaky) > 99 %" in out  # a probability from finite runs is never 1
        # the broken test shows the confidence that it is broken, the same figure in both views
        assert "broken, confidence > 99 %" in out and "P(flaky) 0.05" not in out
        assert "async_review" not in out and "fix_regression" not in out
    assert "needs review within a day" in listed
    shown = cli(capsys, "flaky", "show", broken_id)[1]
    assert "since commit 20aaaaaaaa" in shown and "at least" not in shown  # it passed before commit 20
    assert "TimeoutError" not in shown and MESSAGE[:60] in " ".join(shown.split())  # the failure message
    # category: unknown, and why (the message was read, matched no known cause)
    assert "category: unknown — no known cause in" in shown
    # failing from the first run Argus has: the regression may be older than its history
    assert "since at least commit 00aaaaaaaa" in cli(capsys, "flaky", "show", ALWAYS)[1]
    monkeypatch.setenv("ARGUS_RUN_URL", "https://ci.example.com/builds/{ci_run_id}")
    shown = cli(capsys, "flaky", "show", flaky_id)[1]
    assert "\n      https://ci.example.com/builds/1000" in shown  # the run's link, from the settings template
    assert "settlement queue did not drain in 30 s" in shown
    assert "seed score" not in shown and "0.3·TV" not in shown
    # evidence names the CI run and the commit, never a database row
    assert "CI run 1000" in shown and "commit " in shown
    assert "test_run " not in shown and "result " not in shown


def test_list_agrees_with_the_verdicts_of_analyze(history: dict[str, str], capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_FLAKY__INVESTIGATE_THRESHOLD", "0.99999999")  # P(flaky) below: a "monitor" insight
    data = json.loads(cli(capsys, "flaky", "analyze", "--json")[1])
    called = {t["test"] for t in data["tests"]}
    listed = {t["test"] for t in json.loads(cli(capsys, "flaky", "list", "--json")[1])}
    assert f"{CLS}::{FLAKY}" not in called and listed == called
    assert json.loads(cli(capsys, "flaky", "list", "--kind", "flaky", "--json")[1]) == []


def test_empty_results_say_why_and_bad_filters_are_rejected(history: dict[str, str],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "failures", "list")
    assert code == 0 and "no failure clusters yet (run `argus failures analyze`" in out
    assert cli(capsys, "failures", "analyze")[0] == 0
    code, out, _ = cli(capsys, "failures", "list", "--min-count", "100000")
    assert code == 0 and out.strip() == "no failure cluster matches these filters"
    late = Path.cwd() / "green.xml"  # the latest run is green: nothing of it to cluster
    late.write_text(f'<testsuite name="x" tests="1" timestamp="2026-06-01T00:00:00"><testcase classname="{CLS}" '
                    'name="test_ok" time="0.1"/></testsuite>', encoding="utf-8")
    assert cli(capsys, "ingest", "tests", str(late), "--run-id", "500001")[0] == 0
    code, out, _ = cli(capsys, "failures", "list", "--latest")
    assert code == 0 and out.strip() == "no failure in the latest run belongs to a cluster"
    code, out, _ = cli(capsys, "insights", "list")
    assert code == 0 and "no insights yet" not in out  # clusters were analysed
    for args in (("failures", "list", "--days", "-3"), ("insights", "list", "--kind", "bogus"),
                 ("insights", "list", "--min-confidence", "7"), ("flaky", "list", "--kind", "bogus"),
                 ("flaky", "list", "--state", "bogus"), ("flaky", "list", "--min-probability", "5"),
                 ("flaky", "list", "--limit", "0"), ("failures", "list", "--limit", "0")):
        code, out, err = cli(capsys, *args)
        assert code == 6 and out == "" and len(err.strip().splitlines()) == 1 and args[-2] in err, (args, err)
    code, out, _ = cli(capsys, "insights", "list", "--kind", "change_risk")
    assert code == 0 and out.strip() == "no insight matches these filters"


def test_runs_are_named_by_their_ci_id_everywhere(history: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    report = str(_report(Path.cwd() / "late" / "TEST-x.xml", 28))
    stored = json.loads(cli(capsys, "ingest", "tests", report, "--run-id", "300001", "--json")[1])
    assert cli(capsys, "failures", "analyze")[0] == 0
    code, out, err = cli(capsys, "failures", "list", "--run", "300001", "--json")
    assert code == 0, err
    by_ci = json.loads(out)
    assert by_ci
    assert json.loads(cli(capsys, "failures", "list", "--run", f"#{stored[0]['run_id']}", "--json")[1]) == by_ci
    code, _, err = cli(capsys, "failures", "list", "--run", "999999")
    assert code == 5, err  # NotFoundError
    assert "CI run id '999999'" in err and len(err.strip().splitlines()) == 1
    first = by_ci[0]["id"]
    shown = cli(capsys, "failures", "show", str(first))[1]
    assert "CI run 1000" in shown and "(run " not in shown
    assert "stored as CI run 100023" in history["ingest"]


def test_trend_on_old_failures_says_the_windows_were_empty(history: dict[str, str],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    late = Path.cwd() / "late.xml"  # a green run months after every failure: both windows end there
    late.write_text(f'<testsuite name="x" tests="1" timestamp="2026-06-01T00:00:00"><testcase classname="{CLS}" '
                    'name="test_ok" time="0.1"/></testsuite>', encoding="utf-8")
    assert cli(capsys, "ingest", "tests", str(late), "--run-id", "400001")[0] == 0
    assert cli(capsys, "failures", "analyze")[0] == 0
    first = json.loads(cli(capsys, "failures", "list", "--json")[1])[0]["id"]
    shown = " ".join(cli(capsys, "failures", "show", str(first))[1].split())
    assert "(0 recent vs 0 before)" not in shown
    assert "trend: no failures in the recent or the previous window (windows end at the latest run)" in shown
