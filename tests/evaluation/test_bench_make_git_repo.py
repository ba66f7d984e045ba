"""bench/make_git_repo.py: the generator benchmarks (docs/benchmarks.md) run as documented."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "make_git_repo.py"


def test_relative_destination_is_generated_with_its_truth(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--commits", "30", "--style", "conventional", "repo"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    count = subprocess.run(["git", "-C", "repo", "rev-list", "--count", "main"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert count == "30"
    assert (tmp_path / "repo.truth.json").is_file()
    assert not (tmp_path / "repo" / ".git" / "argus-marks").exists()
