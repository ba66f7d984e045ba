"""``--out`` handling: relative paths, output that appears only when complete, ``--force`` over a tree an
interrupted run left, and ``ingest git`` refusing incomplete repositories with one clear line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from argus.cli.app import main
from argus.sim import scale_config, simulate

ARGS = ["--scale", "small", "--days", "2", "--tests", "30", "--seed", "5"]


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True).stdout.decode()


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and ".git" not in p.parts}


def test_relative_out_and_ingest(cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # cli_env chdirs into tmp_path: "sim" is relative to it
    assert main(["simulate", "--out", "sim", *ARGS, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Path(data["out"]) == tmp_path / "sim"
    manifest = json.loads((tmp_path / "sim" / "manifest.json").read_text())
    project = manifest["projects"][0]
    repo = tmp_path / "sim" / project["repo"]
    assert int(_git(repo, "rev-list", "--count", "--all")) == project["commits"]
    assert Path(data["projects"][0]["path"]) == tmp_path / "sim" / project["name"]
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name or ".old-" in p.name] == []
    assert main(["db", "upgrade"]) == 0
    assert main(["ingest", "git", "--repo", str(Path("sim") / project["repo"]), "-p", "x", "--no-szz"]) == 0


def test_an_interrupted_run_leaves_out_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    cfg = scale_config("small", seed=5, days=2, tests=30)
    simulate(cfg, out)
    before = _tree(out)

    def interrupt(stage: str, done: int, total: int) -> None:
        if "writing runs" in stage:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(scale_config("small", seed=6, days=2, tests=30), out, force=True, progress=interrupt)
    assert _tree(out) == before
    with pytest.raises(KeyboardInterrupt):
        simulate(cfg, tmp_path / "fresh", progress=interrupt)
    assert not (tmp_path / "fresh").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim"]  # no partial sibling left behind


def test_force_replaces_a_half_written_tree_and_keeps_user_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), *ARGS, "--json"]) == 0
    name = json.loads(capsys.readouterr().out)["projects"][0]["name"]
    # what the old code left after crashing: the repository imported, nothing else of the project
    (out / "manifest.json").unlink()
    for child in (out / name).iterdir():
        if child.name != "repo":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    (out / "notes.txt").write_text("mine")
    assert main(["simulate", "--out", str(out), *ARGS]) == 6
    assert "not empty" in capsys.readouterr().err
    assert main(["simulate", "--out", str(out), *ARGS[:-1], "7", "--force", "--json"]) == 0  # another seed: other history
    data = json.loads(capsys.readouterr().out)
    project = next(p for p in data["projects"])
    repo = out / project["name"] / "repo"
    assert int(_git(repo, "rev-list", "--count", "--all")) == project["commits"]
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / project["name"] / "ground_truth.json").is_file() and (out / "manifest.json").is_file()


def test_ingest_git_refuses_incomplete_repositories(cli_env: dict[str, str], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    src = tmp_path / "src"
    src.mkdir()
    _git(src, "init", "-q", "-b", "main")
    for i in range(20):
        (src / f"f{i}.py").write_text(f"x = {i}\n")
        _git(src, "add", ".")
        _git(src, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", f"c{i}")
    stream = subprocess.run(["git", "-C", str(src), "fast-export", "main"], capture_output=True, check=True).stdout
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    _git(truncated, "init", "-q", "-b", "main")
    subprocess.run(["git", "-C", str(truncated), "fast-import", "--quiet", "--done"], input=stream[: len(stream) // 2],
                   capture_output=True, check=False)  # fails: the stream ends early
    unborn = tmp_path / "unborn"
    unborn.mkdir()
    _git(unborn, "init", "-q")
    missing = tmp_path / "missing"
    shutil.copytree(src, missing)  # objects of fresh commits are loose: one file each
    blob = _git(missing, "rev-parse", "HEAD~5:f3.py").strip()
    (missing / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    for repo, expected in ((truncated, "has no commits"), (unborn, "has no commits"), (missing, blob)):
        code = main(["ingest", "git", "--repo", str(repo), "-p", repo.name])
        err = capsys.readouterr().err
        assert code == 6 and expected in err and len(err.strip().splitlines()) == 1, (repo.name, err)
        assert "Traceback" not in err
