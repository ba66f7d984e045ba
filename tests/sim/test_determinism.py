"""Same seed → byte-identical artifacts and commit ids; another seed → another world."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from argus.sim import scale_config, simulate


def _tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every artifact file (the git object store is compared through its refs instead)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).parts[1:2] != ("repo",)}


def _refs(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "for-each-ref", "--format=%(refname) %(objectname)"],
                          capture_output=True, text=True, check=True).stdout


def test_same_seed_gives_identical_bytes(tmp_path: Path, small_out: Path, sim_seed: int) -> None:
    again = tmp_path / "again"
    simulate(scale_config("small", seed=sim_seed), again, scale="small")
    first, second = _tree_digest(small_out), _tree_digest(again)
    assert first.keys() == second.keys()
    assert len(first) > 100
    assert first == second
    assert _refs(small_out / "acme-billing" / "repo") == _refs(again / "acme-billing" / "repo")


def test_other_seed_gives_other_world(tmp_path: Path, small_project: Path) -> None:
    simulate(scale_config("small", seed=1234), tmp_path, scale="small")
    a = json.loads((small_project / "ground_truth.json").read_text())
    b = json.loads((tmp_path / "acme-billing" / "ground_truth.json").read_text())
    assert a["commits"][0]["sha"] != b["commits"][0]["sha"]
    assert {f["test"] for f in a["flaky_tests"]} != {f["test"] for f in b["flaky_tests"]}


def test_base_date_moves_the_whole_history(tmp_path: Path) -> None:
    simulate(scale_config("small", base_date=datetime(2031, 3, 3, tzinfo=UTC), days=2), tmp_path)
    truth = json.loads((tmp_path / "acme-billing" / "ground_truth.json").read_text())
    assert truth["window"]["start"].startswith("2031-03-03")
    assert all(r["started_at"].startswith("2031-03-0") for r in truth["runs"])
    log = subprocess.run(["git", "-C", str(tmp_path / "acme-billing" / "repo"), "log", "--format=%cI", "main"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert all(d.startswith("2031-03-0") for d in log)
