"""Complexity of a change's Python code (radon's cyclomatic complexity), read from the repository.

For each commit: its first-parent diff of ``*.py`` files; the functions and methods of the new file
whose lines the commit added or changed, and those of the old file whose lines it removed or changed.
``complexity`` is the summed complexity of the changed functions after the commit; ``complexity_delta``
that sum after minus the same sum before (a new branchy function: positive; a simplification: negative).
A commit with no Python change has complexity 0; a file radon cannot parse is left out.
Needs radon (the ``ml`` extra) and the repository; without either the features are missing (NaN).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from argus.analysis.selection.service import changed_files
from argus.core.errors import InputError

#: Per-process cache: (repository, sha) → (complexity, delta). A commit's code never changes.
_CACHE: dict[tuple[str, str], tuple[float, float]] = {}


def radon_available() -> bool:
    try:
        import radon.complexity  # noqa: F401
    except ImportError:
        return False
    return True


def _blocks(source: str) -> Iterator[Any]:
    from radon.complexity import cc_visit

    for b in cc_visit(source):
        if hasattr(b, "methods"):  # a class: its methods carry the complexity
            yield from b.methods
        else:
            yield b


def changed_complexity(source: str | None, lines: Iterable[int]) -> float:
    """Summed cyclomatic complexity of the functions of ``source`` that contain any of ``lines``."""
    wanted = set(lines)
    if not source or not wanted:
        return 0.0
    try:
        blocks = list(_blocks(source))
    except (SyntaxError, ValueError):  # not parseable Python (of another version, or broken)
        return 0.0
    return float(sum(b.complexity for b in blocks if any(b.lineno <= n <= (b.endline or b.lineno) for n in wanted)))


def _text(cat: Any, rev: str) -> str | None:
    data = cat.read(rev)
    return None if data is None else data.decode("utf-8", "replace")


def commit_complexity(repo: Path, shas: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``{sha: (complexity, complexity_delta)}`` of the commits found in ``repo`` (others are left out)."""
    from argus.ingest.git.gitcmd import CatFile, Git

    key = str(repo.resolve())
    out = {s: _CACHE[(key, s)] for s in shas if (key, s) in _CACHE}
    todo = [s for s in shas if s not in out]
    if not todo:
        return out
    git = Git(repo)
    cat = CatFile(git)
    try:
        for sha in todo:
            raw = git.run(["show", "--format=", "--no-color", "--no-ext-diff", "-M", "-U0", "--first-parent",
                           sha, "--", "*.py"], check=False)
            diff = raw.decode("utf-8", "replace")
            after = before = 0.0
            if diff.strip():
                try:
                    files = changed_files(diff)
                except InputError:  # an unparseable diff leaves the commit without the feature
                    continue
                for f in files:
                    if f.binary or not f.path.endswith(".py"):
                        continue
                    if f.new_lines and f.status.value != "deleted":
                        after += changed_complexity(_text(cat, f"{sha}:{f.path}"), f.new_lines)
                    if f.old_lines and f.status.value != "added":
                        before += changed_complexity(_text(cat, f"{sha}^:{f.base_path}"), f.old_lines)
            _CACHE[(key, sha)] = out[sha] = (after, after - before)
    finally:
        cat.close()
    return out
