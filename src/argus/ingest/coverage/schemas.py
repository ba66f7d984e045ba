"""Typed coverage DTOs shared by every coverage parser, and the parse error they raise."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from argus.core.errors import RejectedInputError


class CoverageParseError(RejectedInputError):
    """A coverage report is malformed, hostile or too large; ``source`` names it, ``reason`` says why."""


@dataclass(frozen=True)
class FileCoverage:
    """Coverage of one source file.

    ``covered_lines`` and ``missing_lines`` are 1-based line numbers of executable lines with and
    without hits (together: every executable line the tool knows). Branch counts are 0 when the tool
    did not measure branches. ``declared_valid``/``declared_covered`` are counts the report states
    without line detail (Cobertura ``lines-valid``/``lines-covered`` on a ``<class>`` with no
    ``<line>``); they are used only when there are no line numbers.
    """

    path: str
    covered_lines: frozenset[int] = frozenset()
    missing_lines: frozenset[int] = frozenset()
    branches_valid: int = 0
    branches_covered: int = 0
    declared_valid: int = 0
    declared_covered: int = 0

    @property
    def lines_valid(self) -> int:
        return len(self.covered_lines) + len(self.missing_lines) or self.declared_valid

    @property
    def lines_covered(self) -> int:
        if self.covered_lines or self.missing_lines:
            return len(self.covered_lines)
        return self.declared_covered

    @property
    def line_pct(self) -> float | None:
        """Line coverage in percent (0–100); ``None`` for a file without executable lines."""
        return 100.0 * self.lines_covered / self.lines_valid if self.lines_valid else None


@dataclass(frozen=True)
class DeclaredTotals:
    """Totals a report states in attributes instead of line detail (see :class:`CoverageReportData`)."""

    lines_valid: int = 0
    lines_covered: int = 0
    branches_valid: int = 0
    branches_covered: int = 0
    line_rate: float | None = None


@dataclass(frozen=True)
class CoverageReportData:
    """One parsed coverage report: its format and per-file coverage; totals are derived sums.

    ``line_pct`` is covered executable lines / executable lines × 100 across all files, computed the
    same way for every format (so coverage.py's combined statement+branch figure is *not* used).

    ``declared`` holds the report's own totals when it has no line detail at all (a Cobertura file
    without ``<line>`` elements): ``lines_valid``, ``lines_covered``, ``branches_valid``,
    ``branches_covered`` and the line rate (0–1, or ``None``) of the root element. They replace the
    sums over files, and the rate gives ``line_pct`` when the counts are absent.
    """

    format: str
    files: tuple[FileCoverage, ...] = field(default_factory=tuple)
    declared: DeclaredTotals | None = None

    @property
    def lines_valid(self) -> int:
        if self.declared is not None:
            return self.declared.lines_valid
        return sum(f.lines_valid for f in self.files)

    @property
    def lines_covered(self) -> int:
        if self.declared is not None:
            return self.declared.lines_covered
        return sum(f.lines_covered for f in self.files)

    @property
    def branches_valid(self) -> int:
        if self.declared is not None:
            return self.declared.branches_valid
        return sum(f.branches_valid for f in self.files)

    @property
    def branches_covered(self) -> int:
        if self.declared is not None:
            return self.declared.branches_covered
        return sum(f.branches_covered for f in self.files)

    @property
    def line_pct(self) -> float | None:
        if self.lines_valid:
            return 100.0 * self.lines_covered / self.lines_valid
        if self.declared is not None and self.declared.line_rate is not None:
            return 100.0 * self.declared.line_rate
        return None

    @property
    def branch_pct(self) -> float | None:
        return 100.0 * self.branches_covered / self.branches_valid if self.branches_valid else None


def merge_files(files: Iterable[FileCoverage]) -> tuple[FileCoverage, ...]:
    """Merge entries naming the same path (a line covered anywhere counts as covered), sorted by path.

    Cobertura lists a file once per class and LCOV may repeat a file per test name.
    """
    merged: dict[str, tuple[set[int], set[int], int, int, int, int]] = {}
    for f in files:
        cov, miss, bv, bc, dv, dc = merged.setdefault(f.path, (set(), set(), 0, 0, 0, 0))
        cov |= f.covered_lines
        miss |= f.missing_lines
        merged[f.path] = (cov, miss, bv + f.branches_valid, bc + f.branches_covered,
                          dv + f.declared_valid, dc + f.declared_covered)
    return tuple(
        FileCoverage(path, frozenset(cov), frozenset(miss - cov), bv, bc, dv, dc)
        for path, (cov, miss, bv, bc, dv, dc) in sorted(merged.items())
    )


def encode_ranges(lines: Iterable[int]) -> str:
    """Encode line numbers compactly: ``{1,2,3,7,9,10}`` → ``"1-3,7,9-10"``."""
    out: list[str] = []
    start = prev = None
    for n in sorted(set(lines)):
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)


def decode_ranges(text: str | None) -> frozenset[int]:
    """Inverse of :func:`encode_ranges` (empty or ``None`` gives an empty set)."""
    result: set[int] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        result.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(result)


def ranges_of(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of ``lines`` as (first, last) pairs, in order."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(lines)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
