"""Batch template mining: partition equal-length token sequences into events (see :mod:`miner`).

Pure functions over already normalised token sequences; :class:`miner.TemplateMiner` keeps the
templates and assigns later messages incrementally.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argus.analysis.failures.normalise import WILDCARD

Tokens = tuple[str, ...]

ENUM_WORD = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
_PUNCT = re.compile(r"[=:,;()\[\]{}|]")
_DIGITS = re.compile(r"\d+")


def _lead_may_vary(rows: Sequence[Tokens], min_words: int) -> bool:
    """True when the rows share at least ``min_words`` constant words after their first token."""
    if min_words <= 0:
        return False
    first = rows[0]
    words = sum(
        1
        for i in range(1, len(first))
        if first[i] != WILDCARD and first[i][:1].isalnum() and all(r[i] == first[i] for r in rows)
    )
    return words >= min_words


def same_shape(values: set[str]) -> bool:
    """True when the words differ only in their digit runs (``eth0``, ``eth1``)."""
    shapes = {_DIGITS.sub("0", v) for v in values}
    return len(shapes) == 1 and any(c.isdigit() for c in next(iter(shapes)))


@dataclass(frozen=True)
class MinerConfig:
    """Parameters of :class:`TemplateMiner` (one configuration for every log/test source).

    ``variable_min_distinct``: a column with at least this many distinct words is a variable.
    ``variable_distinct_ratio``: a column whose distinct words / rows reach this is a variable (most
    values one-offs: user names, keys). Columns below both split the group into separate events.
    ``max_chars``: only the head of a message is mined (the root cause is at its start).
    ``digit_shapes``: a column whose words differ only in their digits (``eth0``/``eth1``,
    ``Type2``/``Type3``) is a variable, however few its values.
    ``lead_min_words``: the first column may be a variable (a program or component name) only when the
    rest of the group keeps at least this many constant words (0: never); otherwise it names the
    event (``boot (command <*>)``, ``key=<*>``; for test failures, the exception type).
    ``merge_skeletons``: templates equal once each run of variables is one ``<*>`` are one event
    (a value spanning a varying number of tokens).
    ``enum_constants``: a column of upper-case identifiers (``RUNNING``, ``FAIL_TASK_CLEANUP``) is
    never a variable: states and event types name events (of the shared Loghub sets, only Hadoop
    depends on it: 0.993 with, 0.970 without).
    ``mask_off``: masking rules (:data:`normalise.KINDS`) left out (for evaluation; all on by default).
    """

    variable_min_distinct: int = 5
    variable_distinct_ratio: float = 0.5
    max_chars: int = 2000
    digit_shapes: bool = True
    lead_min_words: int = 3
    merge_skeletons: bool = True
    enum_constants: bool = True
    mask_off: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "variable_min_distinct": self.variable_min_distinct,
            "variable_distinct_ratio": self.variable_distinct_ratio,
            "max_chars": self.max_chars,
            "digit_shapes": self.digit_shapes,
            "lead_min_words": self.lead_min_words,
            "merge_skeletons": self.merge_skeletons,
            "enum_constants": self.enum_constants,
            "mask_off": list(self.mask_off),
        }


def template_of(rows: Sequence[Tokens]) -> Tokens:
    """Column-wise template of equal-length rows: the shared token, else ``<*>``."""
    first = rows[0]
    return tuple(tok if all(r[i] == tok for r in rows) else WILDCARD for i, tok in enumerate(first))


def mine(rows: Sequence[Tokens], config: MinerConfig) -> list[list[int]]:
    """Partition ``rows`` (indices) into events; see the module docstring for the algorithm.

    Identical rows are mined once, weighted by how often they occur (same result, less work).
    """
    weight: dict[Tokens, int] = {}
    where: dict[Tokens, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        weight[r] = weight.get(r, 0) + 1
        where[r].append(i)
    by_len: dict[int, list[Tokens]] = defaultdict(list)
    for r in weight:
        by_len[len(r)].append(r)
    groups: list[list[int]] = []
    for uniq in by_len.values():
        freq: Counter[tuple[int, str]] = Counter()
        for r in uniq:
            w = weight[r]
            for pt in enumerate(r):
                freq[pt] += w
        initial: dict[tuple[int, tuple[str | None, ...]], list[Tokens]] = defaultdict(list)
        for r in uniq:
            fs = [freq[pt] for pt in enumerate(r)]
            counts = Counter(fs)
            f_star = max(counts, key=lambda f: (counts[f], f)) if fs else 0
            anchor = tuple(t if f == f_star else None for t, f in zip(r, fs, strict=True))
            initial[(f_star, anchor)].append(r)
        for key, members in initial.items():
            for grp in _split(members, weight, freq, key[0], config):
                groups.append([i for r in grp for i in where[r]])
    return groups


def _split(
    members: list[Tokens],
    weight: dict[Tokens, int],
    freq: Counter[tuple[int, str]],
    f_star: int,
    config: MinerConfig,
) -> list[list[Tokens]]:
    """Split one initial group into events by its constant and low-cardinality columns."""
    work = [members]
    for col in range(len(members[0])):
        nxt: list[list[Tokens]] = []
        for grp in work:
            values = {r[col] for r in grp}
            if len(values) == 1:
                nxt.append(grp)
                continue
            size = sum(weight[r] for r in grp)
            above = all(freq[(col, v)] > f_star for v in values)
            variable = WILDCARD in values or (config.digit_shapes and same_shape(values))
            variable = variable or (
                not above
                and (col > 0 or _lead_may_vary(grp, config.lead_min_words))
                and not (config.enum_constants and all(ENUM_WORD.fullmatch(v) for v in values))
                and (
                    len(values) >= config.variable_min_distinct
                    or (len(values) >= 3 and len(values) / size >= config.variable_distinct_ratio)
                )
            )
            if variable:
                nxt.append(grp)
                continue
            parts: dict[str, list[Tokens]] = defaultdict(list)
            for r in grp:
                parts[r[col]].append(r)
            nxt.extend(parts.values())
        work = nxt
    return work
