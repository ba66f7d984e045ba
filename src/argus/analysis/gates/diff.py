"""Changed lines of a unified diff and their coverage (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from argus.analysis.gates.schemas import ChangedLineCoverage, FileChange, LowCoverage
from argus.ingest.coverage import ranges_of

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_unified_diff(text: str) -> list[FileChange]:
    """Files and added line numbers (new side) of ``git diff`` output; works with any ``-U`` context.

    Deleted files contribute their deleted count only; binary files are ignored.
    """
    files: list[FileChange] = []
    path: str | None = None
    added_lines: set[int] = set()
    added = deleted = 0
    new_line = 0
    in_hunk = False

    def flush() -> None:
        if path is not None and (added or deleted):
            files.append(FileChange(path, frozenset(added_lines), added, deleted))

    for line in text.splitlines():
        if line.startswith("diff --git "):
            flush()
            path, added_lines, added, deleted, in_hunk = None, set(), 0, 0, False
            parts = line.split(" b/", 1)
            path = parts[1] if len(parts) == 2 else None
        elif line.startswith("+++ ") and not in_hunk:
            target = line[4:].strip()
            if target != "/dev/null":
                path = target[2:] if target.startswith("b/") else target
        elif line.startswith("--- ") and not in_hunk:
            continue
        elif (m := _HUNK.match(line)) is not None:
            in_hunk = True
            new_line = int(m.group(3))
        elif in_hunk and line.startswith("+"):
            added_lines.add(new_line)
            added += 1
            new_line += 1
        elif in_hunk and line.startswith("-"):
            deleted += 1
        elif in_hunk and line.startswith(" "):
            new_line += 1
    flush()
    return files


def _match(path: str, candidates: Iterable[str]) -> str | None:
    """The coverage path naming the same file as diff ``path`` (exact, or one is a suffix of the other
    at a ``/`` boundary — coverage tools write absolute or source-root-relative paths)."""
    best: str | None = None
    for cand in candidates:
        if cand == path:
            return cand
        suffix = cand.endswith("/" + path) or path.endswith("/" + cand)
        if suffix and (best is None or len(cand) > len(best)):
            best = cand
    return best


def changed_line_coverage(
    changes: Sequence[FileChange], coverage: Mapping[str, tuple[frozenset[int], frozenset[int]]]
) -> ChangedLineCoverage:
    """Covered / executable added lines; ``coverage`` maps a path to (covered lines, missing lines).

    Added lines the report does not list (comments, blank lines, files not measured) are not executable.
    """
    executable = covered = 0
    uncovered: list[tuple[str, int, int]] = []
    for ch in changes:
        key = _match(ch.path, coverage)
        if key is None:
            continue
        cov, miss = coverage[key]
        hit = ch.added_lines & cov
        missed = ch.added_lines & miss
        executable += len(hit) + len(missed)
        covered += len(hit)
        uncovered.extend((ch.path, a, b) for a, b in ranges_of(missed))
    return ChangedLineCoverage(executable, covered, tuple(uncovered))


def low_coverage(
    cov: Mapping[str, tuple[frozenset[int], frozenset[int]]], changed: ChangedLineCoverage | None, limit: int = 5
) -> tuple[LowCoverage, ...]:
    """The report's action items: uncovered ranges of the changed lines, else each of the ``limit``
    least covered files' three largest uncovered ranges."""
    if changed is not None and changed.uncovered:
        by_file: dict[str, list[tuple[int, int]]] = {}
        for path, a, b in changed.uncovered:
            by_file.setdefault(path, []).append((a, b))
        return tuple(LowCoverage(p, tuple(r), True) for p, r in list(by_file.items())[:limit])
    worst = sorted(cov.items(), key=lambda kv: (-len(kv[1][1]), kv[0]))
    out = []
    for path, (_, missing) in worst[:limit]:
        if not missing:
            break
        runs = sorted(ranges_of(missing), key=lambda r: (r[0] - r[1], r[0]))[:3]
        out.append(LowCoverage(path, tuple(sorted(runs)), False))
    return tuple(out)
