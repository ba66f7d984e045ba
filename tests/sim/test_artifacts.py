"""Generated reports are well-formed in their real formats and agree with their own summaries."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from argus.sim import scale_config, simulate


def _runs(project: Path) -> list[Path]:
    return sorted(p.parent for p in (project / "runs").glob("*/run.json"))


def test_manifest_lists_every_run_in_time_order(small_out: Path) -> None:
    manifest = json.loads((small_out / "manifest.json").read_text())
    assert manifest["schema"] == "argus-sim/1"
    starts = [r["started_at"] for r in manifest["runs"]]
    assert starts == sorted(starts)
    for r in manifest["runs"]:
        meta = json.loads((small_out / r["path"] / "run.json").read_text())
        assert meta["commit"] == r["commit"] and meta["attempt"] == r["attempt"]
        for rel in meta["reports"]["junit"]:
            assert (small_out / r["path"] / rel).is_file()
    assert {p["name"] for p in manifest["projects"]} == {"acme-billing"}


def test_pytest_junit_is_well_formed_and_counts_match(small_project: Path) -> None:
    for run in _runs(small_project):
        root = ET.parse(run / "junit-pytest.xml").getroot()
        assert root.tag == "testsuites"
        suite = root.find("testsuite")
        assert suite is not None
        cases = suite.findall("testcase")
        assert int(suite.get("tests", -1)) == len(cases)
        assert int(suite.get("failures", -1)) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors", -1)) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped", -1)) == sum(c.find("skipped") is not None for c in cases)
        for c in cases:
            assert c.get("classname", "").startswith("tests.") and c.get("name", "").startswith("test_")
            failure = c.find("failure")
            if failure is not None:
                assert ": " in failure.get("message", "") and failure.text


def test_surefire_files_are_one_per_class_with_rerun_elements(small_project: Path) -> None:
    seen_rerun = False
    for run in _runs(small_project):
        for f in sorted((run / "surefire-reports").glob("TEST-*.xml")):
            suite = ET.parse(f).getroot()
            assert suite.tag == "testsuite" and f.name == f"TEST-{suite.get('name')}.xml"
            cases = suite.findall("testcase")
            assert int(suite.get("tests", -1)) == len(cases)
            assert int(suite.get("failures", -1)) == sum(c.find("failure") is not None for c in cases)
            assert int(suite.get("errors", -1)) == sum(c.find("error") is not None for c in cases)
            for c in cases:
                assert c.get("classname") == suite.get("name")
                tags = [child.tag for child in c]
                if "rerunFailure" in tags or "rerunError" in tags:
                    seen_rerun = True
                    assert tags[0] in ("failure", "error")
                    for child in c:
                        if child.tag.startswith("rerun"):
                            assert child.find("stackTrace") is not None and child.get("type")
                if any(t.startswith("flaky") for t in tags):
                    assert not {"failure", "error"} & set(tags)
    assert seen_rerun  # the planted outage alone makes Surefire tests fail every rerun


def test_flaky_tests_produce_flaky_failure_elements(tmp_path: Path) -> None:
    cfg = scale_config("small", flaky_share=0.5, flaky_rate_min=0.3, flaky_rate_max=0.5, days=2)
    simulate(cfg, tmp_path)
    tags: set[str] = set()
    for f in (tmp_path / "acme-billing" / "runs").glob("*/surefire-reports/*.xml"):
        tags |= {el.tag for el in ET.parse(f).getroot().iter()}
    assert tags & {"flakyFailure", "flakyError"}
    assert tags & {"rerunFailure", "rerunError"}


def test_cobertura_totals_are_consistent(small_project: Path) -> None:
    runs_with_cov = 0
    for run in _runs(small_project):
        meta = json.loads((run / "run.json").read_text())
        if meta["reports"]["coverage"] is None:
            continue
        runs_with_cov += 1
        root = ET.parse(run / "coverage.xml").getroot()
        assert root.tag == "coverage"
        lines = root.findall(".//class/lines/line")
        assert int(root.get("lines-valid", -1)) == len(lines)
        assert int(root.get("lines-covered", -1)) == sum(int(ln.get("hits", 0)) > 0 for ln in lines)
        assert 0.3 < float(root.get("line-rate", 0)) <= 1.0
        files = {c.get("filename") for c in root.iter("class")}
        assert any(f.endswith(".py") for f in files) and any(f.endswith(".java") for f in files)
    assert runs_with_cov > 0


def test_trivy_reports_match_the_ground_truth(small_project: Path, truth: dict) -> None:
    known = {v["id"]: v for v in truth["vulnerabilities"]}
    reported: dict[str, int] = {}
    for run in _runs(small_project):
        meta = json.loads((run / "run.json").read_text())
        if meta["reports"]["vulnerabilities"] is None:
            assert meta["attempt"] > 1
            continue
        doc = json.loads((run / "trivy.json").read_text())
        assert doc["SchemaVersion"] == 2 and {r["Target"] for r in doc["Results"]} == {"requirements.txt", "java/pom.xml"}
        for result in doc["Results"]:
            for v in result.get("Vulnerabilities", []):
                assert v["VulnerabilityID"] in known and v["InstalledVersion"] == known[v["VulnerabilityID"]]["installed"]
                reported[v["VulnerabilityID"]] = reported.get(v["VulnerabilityID"], 0) + 1
    assert reported == {k: v["reported_in_runs"] for k, v in known.items() if v["reported_in_runs"]}
    assert len(known) >= 2


def test_merged_surefire_layout_reports_the_same_outcomes(tmp_path: Path, small_out: Path, sim_seed: int,
                                                          sim_scale: str,
                                                          run_parser: Callable[[Path], dict[str, str]]) -> None:
    simulate(scale_config(sim_scale, seed=sim_seed, projects=1, surefire_merged=True), tmp_path)
    runs = _runs(tmp_path / "acme-billing")
    assert runs and all(not (r / "surefire-reports").exists() for r in runs)
    for run in runs:
        root = ET.parse(run / "junit-surefire.xml").getroot()
        assert root.tag == "testsuites" and root.findall("testsuite")
        assert run_parser(run) == run_parser(small_out / "acme-billing" / "runs" / run.name)
