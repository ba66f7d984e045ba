"""Line sets as compact ranges (pure): ``{1, 2, 3, 7, 9, 10}`` ↔ ``"1-3,7,9-10"``.

The coverage map stores, per test and file, the lines the test executed in this text form: a run of
consecutive lines costs one token however long it is, so a map of a million covered lines stays a
few megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable


def encode(lines: Iterable[int]) -> str:
    """``"1-3,7"`` for ``{1, 2, 3, 7}`` (sorted, deduplicated; ``""`` for no line)."""
    out: list[str] = []
    start = prev = None
    for n in sorted(set(lines)):
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(out)


def decode(text: str) -> list[tuple[int, int]]:
    """The ``(first, last)`` pairs of ``text`` (raises ``ValueError`` on a malformed token)."""
    out: list[tuple[int, int]] = []
    for tok in text.split(","):
        if not tok:
            continue
        a, sep, b = tok.partition("-")
        lo = int(a)
        hi = int(b) if sep else lo
        if hi < lo or lo < 0:
            raise ValueError(f"bad line range {tok!r}")
        out.append((lo, hi))
    return out


def lines_of(text: str) -> set[int]:
    """Every line of ``text``."""
    return {n for lo, hi in decode(text) for n in range(lo, hi + 1)}


def count(text: str) -> int:
    """How many lines ``text`` holds (without expanding it)."""
    return sum(hi - lo + 1 for lo, hi in decode(text))


def hits(text: str, lines: Iterable[int]) -> list[int]:
    """Which of ``lines`` fall inside the ranges of ``text`` (sorted)."""
    spans = decode(text)
    if not spans:
        return []
    out = []
    for n in sorted(set(lines)):
        for lo, hi in spans:
            if lo <= n <= hi:
                out.append(n)
                break
    return out
