"""Probes for test identity and repeated names: invocations are never merged into "retries".

Each writes its own reports (no shared data), ingests them with the real CLI into a fresh database and
checks what was stored and what ``flaky analyze`` concludes.
"""

from __future__ import annotations

import json

from reliability_probes.common import ProbeEnv

_EACH = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="0.4">
  <testsuite name="src/price.test.js" errors="0" failures="1" skipped="0" time="0.{run}" tests="3">
    <testcase classname="" name="rounds price" time="0.01"><failure>Error: expected 1.25, got 1.2</failure></testcase>
    <testcase classname="" name="rounds price" time="0.01"></testcase>
    <testcase classname="" name="formats price" time="0.01"></testcase>
  </testsuite>
</testsuites>
"""

_TWO_FILES = """<testsuites name="jest tests" tests="2">
  <testsuite name="src/a.test.js" tests="1"><testcase classname="utils" name="works" time="0.01"/></testsuite>
  <testsuite name="src/b.test.js" tests="1"><testcase classname="utils" name="works" time="0.01"/></testsuite>
</testsuites>
"""


def probe_repeated_failing_row_is_broken_not_flaky(env: ProbeEnv) -> None:
    """Six runs of a test.each report (failing row, passing row): broken, never quarantined."""
    assert env.run("db", "upgrade").code == 0
    for run in range(6):
        path = env.workdir / f"run{run}.xml"
        path.write_text(_EACH.format(run=run + 1))
        r = env.run("ingest", "tests", str(path), "--project", "shop", "--commit", f"{run:040x}",
                    "--branch", "main", "--run-id", str(run + 1))
        assert r.code == 0, r.explain()
    stored = env.scalar("SELECT COUNT(*) FROM test_case")
    assert stored == 3, f"expected 3 tests (two invocations + one), stored {stored}"
    retries = env.scalar("SELECT COUNT(*) FROM test_result WHERE attempt > 0 OR is_flaky_rerun")
    assert retries == 0, f"{retries} results stored as retries"
    r = env.run("flaky", "analyze", "--project", "shop", "--json")
    assert r.code == 0, r.explain()
    data = json.loads(r.stdout)
    verdicts = {t["test"]: t["verdict"] for t in data["tests"]}
    assert verdicts.get("src/price.test.js::rounds price") == "broken", verdicts
    assert data["flaky"] == 0 and not any(c["after"] == "quarantined" for c in data["state_changes"]), data


def probe_same_name_in_two_files_stays_two_tests(env: ProbeEnv) -> None:
    """A describe title and test name shared by two files are two tests, with no header warning."""
    assert env.run("db", "upgrade").code == 0
    path = env.workdir / "jest.xml"
    path.write_text(_TWO_FILES)
    r = env.run("ingest", "tests", str(path), "--project", "web", "--run-id", "1", "--commit", "a" * 40,
                "--branch", "main")
    assert r.code == 0 and "warning" not in r.stdout, r.explain()
    names = env.scalar("SELECT COUNT(DISTINCT identity) FROM test_case")
    assert names == 2, f"expected 2 identities, got {names}"


def probe_header_disagreement_is_reported_on_ingest(env: ProbeEnv) -> None:
    """A file whose header claims more tests than it holds is ingested with a warning (text and --json)."""
    assert env.run("db", "upgrade").code == 0
    path = env.workdir / "short.xml"
    path.write_text('<testsuite name="s" tests="3"><testcase classname="k" name="a"/></testsuite>')
    r = env.run("ingest", "tests", str(path), "--project", "p", "--run-id", "1", "--commit", "b" * 40,
                "--branch", "main", "--json")
    assert r.code == 0, r.explain()
    warnings = json.loads(r.stdout)[0]["warnings"]
    assert any("header tests=3" in w for w in warnings), warnings
