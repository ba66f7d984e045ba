"""Labelling refinements of SZZ applied to the blamed candidates of each fix (issue 23, fourth round).

These rules change which candidates of a fix become links; they never change how lines are blamed,
so the replay and per-file ``git blame`` keep giving the same links (both feed the same rules).

- ``context_per_file`` (``git.szz_context_per_file``): the add-only rule of Sahal & Tosun (2018)
  applied file by file — a file where the fix inserts code but deletes or changes no blameable line
  has the code around its insertions blamed even when the fix also changes lines of other files (a
  guard added to the buggy file plus a tidy-up elsewhere). Applied while the patch is parsed
  (:func:`argus.ingest.git.szz.parse_fix_patches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argus.core.settings import GitSettings


@dataclass(frozen=True)
class LinkRules:
    """Which labelling refinements are on (all off: the third round's SZZ)."""

    context_per_file: bool = False

    @classmethod
    def from_settings(cls, settings: GitSettings) -> LinkRules:
        return cls(context_per_file=settings.szz_context_per_file)
