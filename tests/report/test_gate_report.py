"""Gate renderings: the Markdown PR comment (seed S4-20 layout), JSON, terminal, GitHub annotations and
job summary, CI metrics JSON / Prometheus text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from argus.analysis.gates.algo import evaluate
from argus.analysis.gates.readmodels import CiMetrics, GateOutcome, LowCoverage
from argus.analysis.gates.schemas import (
    BuildMetrics,
    ChangedLineCoverage,
    GateInput,
    GateParams,
    TestFailure,
    VulnItem,
)
from argus.report import ci_metrics, gate
from argus.report.github import gate_annotations, workflow_command, write_job_summary


def outcome(cov: float = 84.0, failures: tuple[TestFailure, ...] = (), n_new_high: int = 2) -> GateOutcome:
    base = tuple(BuildMetrics(f"m{i}", (i + 1,), commit_sha=f"m{i}", coverage_pct=90.0,
                              vuln_counts={"high": 1, "critical": 0}, vuln_identities=frozenset({"k"}))
                 for i in range(3))
    vulns = tuple(VulnItem(f"id{i}", f"CVE-2024-{i}", "flask", "high", "2.2.2", "2.2.5", "bad") for i in range(n_new_high))
    cur = BuildMetrics("abc123def4567", (9,), commit_sha="abc123def4567", branch="feature|x", coverage_pct=cov,
                       coverage_report_id=5, vuln_report_id=6, vuln_counts={"high": n_new_high, "critical": 0},
                       tests=120, test_duration_s=30.0)
    cc = ChangedLineCoverage(10, 4, (("tools/eviction_checker.py", 45, 67),))
    inp = GateInput(current=cur, baseline=base, current_vulns=vulns, failures=failures, retried_tests=("t::flappy",),
                    changed_lines=120, changed_coverage=cc)
    p = GateParams()
    return GateOutcome("demo", "main", cur, base, evaluate(inp, p), p, failures, ("t::flappy",), False, (), 120, cc,
                       (LowCoverage("tools/eviction_checker.py", ((45, 67),), True),))


def test_markdown_layout_and_content() -> None:
    fail = TestFailure(1, "tests/test_cache.py::test_evict|x", 77, "AssertionError: 3 != 4", 12, "AssertionError: <*> != <*>")
    md = gate.to_markdown(outcome(failures=(fail,)), details_url="https://ci/run/1")
    lines = md.splitlines()
    assert lines[0] == gate.MARKER and lines[1] == "## 🤖 CI Feedback"
    assert "**Build status:** ❌ **Failed**" in md
    assert "| Coverage | 84 % | 90 % | -6.00 pts | ❌ regression |" in md
    assert "2 (2 new)" in md and "2 new HIGH (within threshold)" in md
    assert "### Failing tests" in md and "AssertionError: &lt;\\*&gt; != &lt;\\*&gt;" in md  # not HTML, not italics
    assert "`tests/test_cache.py::test_evict\\|x`" in md  # pipes escaped inside table cells
    assert "`tools/eviction_checker.py:45-67` (changed lines not covered)" in md
    assert "Review vulnerable dependency `flask` 2.2.2 → 2.2.5" in md
    assert "### Flaky tests" in md and "t::flappy" in md
    assert "(flaky status unknown)" in md
    assert "[details](https://ci/run/1)" in md and "median of the last 3 green build(s)" in md


def test_markdown_passes_and_fits_github_limit() -> None:
    many = tuple(TestFailure(i, f"t::{'x' * 300}{i}", i, "m" * 2000) for i in range(500))
    md = gate.to_markdown(outcome(failures=many))
    assert len(md) <= 65536 and "… and 480 more" in md
    ok = gate.to_markdown(outcome(cov=89.0, n_new_high=0))
    assert "⚠️ **Passed with warnings**" in ok  # min_coverage floor and flaky warnings only


def test_json_and_terminal() -> None:
    doc = gate.to_json(outcome())
    json.dumps(doc)
    assert doc["schema"] == "argus.gate/v1" and doc["verdict"] == "fail"
    rules = {r["rule"]: r for r in doc["rules"]}
    assert rules["coverage_drop"]["status"] == "fail" and rules["coverage_drop"]["delta"] == -6.0
    assert doc["baseline"]["coverage_source"] == "history" and len(doc["baseline"]["builds"]) == 3
    console = Console(record=True, width=120)
    console.print(gate.to_terminal(outcome()))
    text = console.export_text()
    assert "Quality gate: FAIL" in text and "coverage_drop" in text


def test_annotations_are_escaped_workflow_commands(tmp_path: Path) -> None:
    lines = list(gate_annotations(outcome()))
    assert any(line.startswith("::error title=Argus gate%3A coverage_drop::coverage 84.00 %") for line in lines)
    assert "::warning file=tools/eviction_checker.py,line=45,endLine=67,title=Argus%3A uncovered change::" \
        "Changed lines not covered by tests" in lines
    assert workflow_command("error", "a\nb%") == "::error::a%0Ab%25"
    summary = tmp_path / "summary.md"
    assert write_job_summary("# one", {"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    write_job_summary("# two\n", {"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text() == "# one\n# two\n"
    assert write_job_summary("x", {}) is None


def metrics() -> CiMetrics:
    return CiMetrics(datetime(2026, 1, 2, tzinfo=UTC), "demo", "abc", "123", "abc", "feature/x", 87.5, 100, 2, 1,
                     True, 3, {"critical": 0, "high": 2, "medium": 1, "low": 0, "unknown": 0}, 12.5, 300.0,
                     job_statuses={"test": "failure", "coverage": "success", "gate": "fail"})


def test_ci_metrics_json_keeps_the_seed_shape_and_prometheus_text() -> None:
    doc = ci_metrics.to_json(metrics())
    assert set(doc) >= {"timestamp", "workflow_run_id", "metrics", "job_statuses"}
    assert doc["metrics"]["coverage_pct"] == 87.5 and doc["metrics"]["has_flaky_tests"] is True
    assert doc["metrics"]["rerun_count"] == 3 and doc["metrics"]["ai_fix_confidence"] is None
    text = ci_metrics.to_prometheus(metrics())
    assert "# TYPE argus_ci_coverage_pct gauge\nargus_ci_coverage_pct 87.5\n" in text
    assert "argus_ci_has_flaky_tests 1" in text and "queue_time_s" not in text
    assert 'argus_ci_job_success{job_name="test",status="failure"} 0' in text
    assert text.count("# TYPE argus_ci_job_success gauge") == 1


def test_push_to_gateway(pushgateway) -> None:
    url = ci_metrics.push_to_gateway(pushgateway.url, metrics())
    ((method, path, ctype, body),) = pushgateway.pushes
    assert method == "PUT" and url.endswith(path)
    # the branch has a '/', so it travels base64-encoded as the Pushgateway requires
    assert path == "/metrics/job/argus_ci/project/demo/branch@base64/ZmVhdHVyZS94"
    assert ctype.startswith("text/plain; version=0.0.4") and "argus_ci_rerun_count 3" in body


def test_markdown_helpers_escape_for_github() -> None:
    from argus.report.markdown import cell, code, truncate

    assert cell("a|b <*> & c\\d\nnext") == "a\\|b &lt;\\*&gt; &amp; c\\\\d next"
    assert code("x|y <*>") == "`x\\|y <*>`"
    assert code("has `tick`") == "`` has `tick` ``"
    assert cell("x" * 10, limit=5) == "xxxx…"
    text = "\n".join(f"line {i}" for i in range(100))
    cut = truncate(text, limit=100, footer="END")
    assert len(cut) <= 100 and cut.endswith("END") and "truncated" in cut


def test_markdown_known_flaky_failure_is_not_called_new() -> None:
    """A failure of a known-flaky test does not block; the table must not call it "new in this build"."""
    flaky = TestFailure(1, "tests/test_net.py::test_retry", 77, "TimeoutError", 12, "TimeoutError", known_flaky=True)
    real = TestFailure(2, "tests/test_cart.py::test_total", 78, "AssertionError", 13, "AssertionError", known_flaky=False)
    md = gate.to_markdown(outcome(failures=(flaky, real)))
    row = {ln.split("|")[1].strip(): ln for ln in md.splitlines() if ln.startswith("| `tests/")}
    assert "known flaky: not blocking" in row["`tests/test_net.py::test_retry`"]
    assert "new in this build" not in row["`tests/test_net.py::test_retry`"]
    assert "❌ new in this build" in row["`tests/test_cart.py::test_total`"]


def test_markdown_and_json_show_the_tests_this_change_needs() -> None:
    import dataclasses

    from argus.analysis.gates.readmodels import NeededTest, TestsNeeded

    tn = TestsNeeded((NeededTest("tests.test_x::test_a", 0.5, "covers changed line src/x.py:42"),), 120,
                     "confidence", 0.004, ("src/x.py:50",), 7)
    o = dataclasses.replace(outcome(), tests_needed=tn)
    md = gate.to_markdown(o)
    assert "### Tests this change needs" in md
    assert "1 of 120 tests (confidence)" in md and "covers changed line src/x.py:42" in md
    assert "Changed lines no test covers: src/x.py:50" in md
    doc = gate.to_json(o)["tests_needed"]
    assert doc["selected"][0]["test"] == "tests.test_x::test_a" and doc["insight_id"] == 7
    assert "Tests this change needs" not in gate.to_markdown(outcome())
