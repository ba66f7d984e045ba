"""``merge_base_diff``: the diff of a change as a pull request shows it (what the quality gate measures)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from argus.analysis.gates.diff import parse_unified_diff
from argus.core.errors import InputError
from argus.ingest.git.gitcmd import merge_base_diff


def test_merge_base_diff_of_a_real_repository(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "app.py").write_text("a = 1\nb = 2\n")
    git("add", "app.py")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "feature")
    (tmp_path / "app.py").write_text("a = 1\nx = 9\nb = 2\ny = 8\n")
    git("commit", "-q", "-am", "change")
    (f,) = parse_unified_diff(merge_base_diff(tmp_path, "main", "HEAD"))
    assert f.path == "app.py" and f.added_lines == {2, 4} and (f.added, f.deleted) == (2, 0)
    with pytest.raises(InputError, match="no-such-ref"):
        merge_base_diff(tmp_path, "no-such-ref", None)
