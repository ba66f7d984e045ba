"""``SimConfig.realistic_bugs``: line-level bug truth, message styles, a tracker; off = unchanged output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from argus.sim import scale_config, simulate

# HEAD of acme-billing for scale "small", seed 5, as main generated it before the option existed.
DEFAULT_HEAD_SEED5 = "c68b452f875f3b83928026a64fddffcab9161f66"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_default_output_is_unchanged(tmp_path: Path) -> None:
    simulate(scale_config("small", seed=5), tmp_path, scale="small")
    assert _git(tmp_path / "acme-billing" / "repo", "rev-parse", "HEAD").strip() == DEFAULT_HEAD_SEED5
    truth = json.loads((tmp_path / "acme-billing" / "ground_truth.json").read_text())
    assert "tracker" not in truth and "bug_lines" not in truth["bug_inducing_commits"][0]
    assert "realistic_bugs" not in (tmp_path / "manifest.json").read_text()


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim-real")
    simulate(scale_config("small", seed=3, days=45, projects=3, realistic_bugs=True), out, scale="small")
    return out


def test_styles_and_tracker(realistic: Path) -> None:
    styles = set()
    for pdir in sorted(p for p in realistic.iterdir() if (p / "ground_truth.json").exists()):
        truth = json.loads((pdir / "ground_truth.json").read_text())
        styles.add(truth["message_style"])
        keys = {i["key"] for i in truth["tracker"]}
        assert all(i["type"] in ("Bug", "Improvement", "New Feature", "Task") for i in truth["tracker"])
        for b in truth["bug_inducing_commits"]:
            if b["fix_commit"] and b["issue"] is not None:
                key = f"#{b['issue']}" if truth["message_style"] != "apache" else None
                assert key is None or key in keys
    assert styles == {"apache", "github", "conventional"}


def test_fixes_change_the_lines_the_inducing_commit_wrote(realistic: Path) -> None:
    changed = add_only = 0
    for pdir in sorted(p for p in realistic.iterdir() if (p / "ground_truth.json").exists()):
        truth = json.loads((pdir / "ground_truth.json").read_text())
        repo = pdir / "repo"
        for b in truth["bug_inducing_commits"]:
            if not b["fix_commit"] or not b["bug_lines"]:
                continue
            wrote = _git(repo, "show", "--format=", b["commit"], "--", b["source"]).splitlines()
            assert all(f"+{ln}" in wrote for ln in b["bug_lines"])
            fix = _git(repo, "show", "--format=", b["fix_commit"], "--", b["source"]).splitlines()
            removed = {ln[1:] for ln in fix if ln.startswith("-") and not ln.startswith("---")}
            if b["fix_kind"] == "change":
                changed += 1
                assert removed & set(b["bug_lines"])
            else:
                add_only += 1
                assert not removed & set(b["bug_lines"])
    assert changed >= 3
