"""Labelling refinements of SZZ applied to the blamed candidates of each fix (issue 23, fourth round).

These rules change which candidates of a fix become links; they never change how lines are blamed,
so the replay and per-file ``git blame`` keep giving the same links (both feed the same rules).

- ``context_per_file`` (``git.szz_context_per_file``): the add-only rule of Sahal & Tosun (2018)
  applied file by file — a file where the fix inserts code but deletes or changes no blameable line
  has the code around its insertions blamed even when the fix also changes lines of other files (a
  guard added to the buggy file plus a tidy-up elsewhere). Applied while the patch is parsed
  (:func:`argus.ingest.git.szz.parse_fix_patches`).
- ``pick`` (``git.szz_pick``): which of a fix's plausible candidates (after the report-date and
  large-commit filters) are kept — all of them (classic SZZ), the ones owning most of its lines
  (L-SZZ), the most recent (R-SZZ), or the most recent of those owning most lines
  (:func:`pick_candidates`; applied by :func:`argus.ingest.git.labels.label_fixes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argus.core.settings import GitSettings


@dataclass(frozen=True)
class LinkRules:
    """Which labelling refinements are on (all off: the third round's SZZ)."""

    context_per_file: bool = False

    @classmethod
    def from_settings(cls, settings: GitSettings) -> LinkRules:
        return cls(context_per_file=settings.szz_context_per_file)


#: ``git.szz_pick`` values: which of a fix's plausible candidates become links.
PICKS = ("all", "max-lines", "latest", "max-lines-latest")


def pick_candidates(rows: Iterable[tuple[int, int, int, int, Any]], mode: str) -> set[int]:
    """Ids of the links to drop when each fix keeps only some of its candidates.

    ``rows`` are ``(link id, fix id, inducing id, lines, inducing author time)``, one per (fix,
    inducing commit, file). Modes, after Davies, Roper and Wood (2014): ``all`` keeps every candidate
    (classic SZZ); ``max-lines`` (L-SZZ) keeps the candidates owning the most blamed lines of the fix,
    over all its files (ties kept); ``latest`` (R-SZZ) keeps the most recent candidate;
    ``max-lines-latest`` keeps the most recent of the ``max-lines`` candidates.
    """
    if mode == "all":
        return set()
    if mode not in PICKS:
        raise ValueError(f"git.szz_pick must be one of {', '.join(PICKS)}, not {mode!r}")
    by_fix: dict[int, dict[int, list[Any]]] = {}  # fix → inducing → [lines, time, link ids]
    for link_id, fix_id, inducing_id, lines, when in rows:
        entry = by_fix.setdefault(fix_id, {}).setdefault(inducing_id, [0, _naive(when), []])
        entry[0] += lines
        entry[2].append(link_id)
    drop: set[int] = set()
    for cands in by_fix.values():
        keep = set(cands)
        if mode in ("max-lines", "max-lines-latest"):
            most = max(c[0] for c in cands.values())
            keep = {i for i, c in cands.items() if c[0] == most}
        if mode in ("latest", "max-lines-latest"):
            keep = {max(keep, key=lambda i: (cands[i][1], i))}
        for i, c in cands.items():
            if i not in keep:
                drop.update(c[2])
    return drop


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) is not None else value
