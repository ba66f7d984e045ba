"""The ground truth says what the artifacts show: regressions, flakiness, outages, renames, git history."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

FAILING = {"failed", "error"}


def _runs_by_key(truth: dict) -> dict[str, dict]:
    return {r["key"]: r for r in truth["runs"]}


def test_broken_tests_fail_from_inducing_commit_until_fix(truth: dict, parsed_runs: dict, ancestry: dict) -> None:
    assert truth["regressions"], "the small scale plants at least one regression"
    checked = 0
    for reg in truth["regressions"]:
        for run in truth["runs"]:
            anc = ancestry[run["commit"]]
            active = reg["inducing_commit"] in anc and (reg["fix_commit"] is None or reg["fix_commit"] not in anc)
            outcomes = parsed_runs[run["key"]]
            if active:
                checked += 1
                for test in reg["tests"]:
                    assert outcomes[test] in FAILING, (reg["id"], run["key"], test)
                assert reg["id"] in run["regressions"]
            else:
                assert reg["id"] not in run["regressions"]
        assert reg["failing_runs"]
    assert checked > 0


def test_regressions_fail_on_main_before_their_fix(truth: dict) -> None:
    by_key = _runs_by_key(truth)
    for reg in truth["regressions"]:
        main_runs = [by_key[k] for k in reg["failing_runs"] if by_key[k]["branch"] == "main"
                     and by_key[k]["attempt"] == 1]  # a rerun repeats an older commit, possibly after the fix
        assert main_runs, f"{reg['id']} never failed on main"
        if reg["fixed_at"] is not None:
            assert all(r["started_at"] < reg["fixed_at"] for r in main_runs)
        assert all(r["started_at"] >= reg["introduced_at"] for r in main_runs)


def test_flaky_tests_both_pass_and_fail(truth: dict, parsed_runs: dict) -> None:
    by_key = _runs_by_key(truth)
    mixed = 0
    for f in truth["flaky_tests"]:
        outcomes = [(k, o[f["test"]]) for k, o in parsed_runs.items() if f["test"] in o]
        fails = [k for k, o in outcomes if o in FAILING or o == "flaky"]
        passes = [k for k, o in outcomes if o == "passed"]
        assert passes, f["test"]
        if fails:
            mixed += 1
        if f["environment"]:
            for k in fails:
                run = by_key[k]
                if not run["outage"]:
                    assert all(run["environment"][ek] == ev for ek, ev in f["environment"].items())
    assert mixed >= 1


def test_outages_fail_most_of_a_run(truth: dict, parsed_runs: dict) -> None:
    assert truth["outages"]
    outage_keys = {o["run"] for o in truth["outages"]}
    for key, outcomes in parsed_runs.items():
        ran = [o for o in outcomes.values() if o != "skipped"]
        share = sum(o in FAILING for o in ran) / len(ran)
        if key in outage_keys:
            assert share >= 0.4, key
        else:
            assert share < 0.4, key


def test_failure_labels_match_reports(small_project: Path, parsed_runs: dict) -> None:
    lines = (small_project / "ground_truth_failures.jsonl").read_text().splitlines()
    assert len(lines) == len(parsed_runs)
    for line in lines:
        doc = json.loads(line)
        outcomes = parsed_runs[doc["run"]]
        labelled = {f["test"]: f for f in doc["failures"]}
        not_passing = {t for t, o in outcomes.items() if o in FAILING or o == "flaky"}
        assert set(labelled) == not_passing
        for test, f in labelled.items():
            expected = {"failed": "failed", "error": "error", "passed_on_rerun": "flaky"}[f["outcome"]]
            assert outcomes[test] == expected


def test_renamed_and_removed_tests_follow_the_commits(truth: dict, parsed_runs: dict, ancestry: dict) -> None:
    assert truth["renamed_tests"] and truth["removed_tests"]
    for run in truth["runs"]:
        anc, present = ancestry[run["commit"]], parsed_runs[run["key"]]
        for r in truth["renamed_tests"]:
            has = r["commit"] in anc
            assert (r["new"] in present) == has and (r["old"] in present) != has, (run["key"], r)
        for r in truth["removed_tests"]:
            assert (r["test"] in present) != (r["commit"] in anc)


def test_reruns_repeat_the_commit_and_environment(truth: dict) -> None:
    by_id: dict[str, list[dict]] = {}
    for r in truth["runs"]:
        by_id.setdefault(r["run_id"], []).append(r)
    reruns = [rs for rs in by_id.values() if len(rs) > 1]
    assert reruns
    for rs in reruns:
        assert [r["attempt"] for r in rs] == list(range(1, len(rs) + 1))
        assert len({r["commit"] for r in rs}) == 1 and len({json.dumps(r["environment"]) for r in rs}) == 1


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_git_repository_has_the_planted_commits(small_project: Path, truth: dict) -> None:
    repo = small_project / "repo"
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    for bug in truth["bug_inducing_commits"]:
        assert _git(repo, "cat-file", "-t", bug["commit"]).strip() == "commit"
        if bug["fix_commit"]:
            message = _git(repo, "log", "-1", "--format=%B", bug["fix_commit"])
            assert f"#{bug['issue']}" in message
    for reg in truth["regressions"]:
        changed = _git(repo, "show", "--name-only", "--format=", reg["inducing_commit"]).split()
        assert reg["source"] in changed
    merges = _git(repo, "rev-list", "--merges", "main").split()
    assert merges and len(merges) == sum(c["kind"] == "merge" for c in truth["commits"])
    authors = set(_git(repo, "log", "--format=%ae", "main").split())
    assert len(authors) >= 3
    assert len(_git(repo, "rev-list", "--all").split()) == len(truth["commits"])
    for r in truth["renamed_tests"]:
        assert "Rename" in _git(repo, "log", "-1", "--format=%s", r["commit"])


def test_fixed_vulnerabilities_disappear_after_the_bump(truth: dict, ancestry: dict, small_project: Path) -> None:
    fixed = [v for v in truth["vulnerabilities"] if v["fix_commit"]]
    for v in fixed:
        for run in truth["runs"]:
            if run["attempt"] != 1 or v["fix_commit"] not in ancestry[run["commit"]]:
                continue
            doc = json.loads((small_project / run["path"] / "trivy.json").read_text())
            ids = {x["VulnerabilityID"] for res in doc["Results"] for x in res.get("Vulnerabilities", [])}
            assert v["id"] not in ids
