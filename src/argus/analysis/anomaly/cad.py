"""Contextual Anomaly Detector, open-source edition (CAD OSE; M. Smirnov, 2016), written from its
published algorithm (the ``contextOSE`` entry of NAB's scoreboard, standard 69.9 on all 58 series).

The value of each row is quantised to ``value_bits`` bits; each bit position gives one "fact"
(``2 * position + bit``). A *context* is a pair of semi-contexts: a left one (the facts of the previous
row plus the contexts that were active then, as "neuron" facts) and a right one (the facts of the
current row). Each row:

1. the zero-level context (previous left facts -> current facts) is looked up, created if new;
2. the right semi-contexts fully matched by the current facts activate every context whose left
   semi-context was fully matched by the previous row: ``a0`` = active / selected contexts
   (selected = those whose left half was fully matched), the share of predictions that came true;
3. partially matched pairs of a context that was new at zero level become *potential* new contexts;
4. the left facts become the current facts plus the ``max_active_neurons`` most recent active
   contexts; the potential contexts are stored; ``a1`` = contexts actually added / unique potential
   ones (0 when the zero-level context was already known).

Score ``(1 - a0 + a1) / 2``; a score is reported as 0 when any of the previous ``rest_period`` scores
reached ``base_threshold`` (one detection per burst).

Differences from NAB's run of it, all for causality: NAB quantises with the *whole file's* min and max
(known only at its end) and rests ``probation / 5`` rows (a share of the file's length); here the range
is the running min/max of rows ``<= t`` and the rest period a fixed number of rows (150 = NAB's value on
files of 5,000 rows or more). Pure Python (a dict/list per semi-context), so it is slow next to the
vectorised members: it is a selectable detector, and an ensemble member only when asked for.
"""

from __future__ import annotations

import numpy as np

from argus.analysis.anomaly.baselines import F64
from argus.analysis.anomaly.schemas import CadParams, Series

_NEURON = 1 << 31


class _Semi:
    """A semi-context: its facts' count, the facts matched in the current crossing, and (left half only)
    the contexts it starts: right semi-context id -> context id."""

    __slots__ = ("idx", "matched", "n_facts", "rights")

    def __init__(self, idx: int, n_facts: int) -> None:
        self.idx = idx
        self.n_facts = n_facts
        self.matched: list[int] = []
        self.rights: dict[int, int] = {}


class _Half:
    __slots__ = ("by_fact", "crossed", "ids", "semis")

    def __init__(self) -> None:
        self.by_fact: dict[int, list[_Semi]] = {}
        self.ids: dict[tuple[int, ...], int] = {}
        self.semis: list[_Semi] = []
        self.crossed: list[_Semi] = []

    def get(self, facts: tuple[int, ...]) -> int:
        sid = self.ids.get(facts)
        if sid is None:
            sid = len(self.semis)
            self.ids[facts] = sid
            semi = _Semi(sid, len(facts))
            self.semis.append(semi)
            for f in facts:
                self.by_fact.setdefault(f, []).append(semi)
        return sid

    def cross(self, facts: tuple[int, ...]) -> None:
        """Match ``facts`` against every semi-context; ``crossed`` = those with at least one fact matched
        (in creation order). Only semi-contexts sharing a fact are visited."""
        for semi in self.crossed:
            semi.matched = []
        touched: dict[int, _Semi] = {}
        for f in facts:
            for semi in self.by_fact.get(f, ()):
                semi.matched.append(f)
                touched[semi.idx] = semi
        self.crossed = [touched[k] for k in sorted(touched)]


class ContextualAnomalyDetector:
    """Streaming CAD OSE: :meth:`score` one value at a time (row ``t`` uses rows ``<= t``)."""

    def __init__(self, params: CadParams) -> None:
        self.p = params
        self.left = _Half()
        self.right = _Half()
        self.count: list[int] = []
        self.zero_level: list[bool] = []
        self.new_context = 0
        # NAB's implementation keeps ``False`` here and compares it with context ids, so context 0 is
        # skipped whenever no zero-level context was just created; 0 reproduces that.
        self.left_facts: tuple[int, ...] = ()
        self.history: list[float] = [1.0]
        self.lo = float("inf")
        self.hi = float("-inf")
        self.seen = 0

    # -- the context memory --------------------------------------------------------------------------
    def _add(self, pairs: list[tuple[tuple[int, ...], tuple[int, ...]]], zero_level: bool) -> int:
        added = 0
        for lf, rf in pairs:
            lid = self.left.get(lf)
            rid = self.right.get(rf)
            rights = self.left.semis[lid].rights
            cid = rights.get(rid)
            if cid is None:
                cid = len(self.count)
                rights[rid] = cid
                self.count.append(0)
                self.zero_level.append(zero_level)
                added += 1
                if zero_level:
                    self.new_context = cid
                    return 1
            elif zero_level:
                self.zero_level[cid] = True
                return 0
        return added

    def _active(self, new_flag: bool) -> tuple[list[int], int, list[tuple[tuple[int, ...], tuple[int, ...]]]]:
        active: list[int] = []
        selected = 0
        potential: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        rsemis = self.right.semis
        max_left = self.p.max_left_semi_contexts
        for ls in self.left.crossed:
            n_l = len(ls.matched)
            full_left = ls.n_facts == n_l
            for rid, cid in ls.rights.items():
                if cid == self.new_context:
                    continue
                rs = rsemis[rid]
                n_r = len(rs.matched)
                if full_left:
                    selected += 1
                    if n_r > 0:
                        if rs.n_facts == n_r:
                            self.count[cid] += 1
                            active.append(cid)
                        elif self.zero_level[cid] and new_flag and n_l <= max_left:
                            potential.append((tuple(ls.matched), tuple(rs.matched)))
                elif self.zero_level[cid] and new_flag and n_r > 0 and n_l <= max_left:
                    potential.append((tuple(ls.matched), tuple(rs.matched)))
        self.new_context = 0
        return active, selected, potential

    def _step(self, facts: tuple[int, ...]) -> tuple[float, float]:
        if self.left_facts and facts:
            zero = (self.left_facts, facts)
            new_flag = bool(self._add([zero], True))
        else:
            zero = None
            new_flag = False
        self.right.cross(facts)
        active, selected, potential = self._active(new_flag)
        uniq = set(potential)
        if zero is not None:
            uniq.add(zero)
        a0 = len(active) / selected if selected else 0.0
        neurons = sorted(active)[-self.p.max_active_neurons:]
        self.left_facts = tuple(sorted(set(facts).union(_NEURON + c for c in neurons)))
        added = self._add(potential, False) if potential else 0
        self.left.cross(self.left_facts)
        added += 1 if new_flag else 0
        a1 = added / len(uniq) if new_flag and uniq else 0.0
        return a0, a1

    # -- one value -------------------------------------------------------------------------------------
    def score(self, x: float) -> float:
        p = self.p
        self.seen += 1
        self.lo = min(self.lo, x)
        self.hi = max(self.hi, x)
        top = (1 << p.value_bits) - 1
        span = self.hi - self.lo
        step = (span if span > 0 else float(top)) / top
        q = int((x - self.lo) / step)
        facts = tuple(sorted(2 * b + ((q >> b) & 1) for b in range(max(p.value_bits, q.bit_length()))))
        a0, a1 = self._step(facts)
        s = (1.0 - a0 + a1) / 2.0
        rest = self.history[-p.rest_period:] if p.rest_period > 0 else self.history
        out = s if max(rest) < p.base_threshold else 0.0
        self.history.append(s)
        if len(self.history) > p.rest_period + 1:
            del self.history[0]
        return out if self.seen > p.min_history else 0.0


def cad_score(series: Series, params: CadParams) -> F64:
    """CAD OSE's per-row score in [0, 1] (0 until ``min_history`` rows)."""
    det = ContextualAnomalyDetector(params)
    return np.fromiter((det.score(float(x)) for x in series.values), dtype=np.float64,
                       count=series.values.shape[0])


def cad_p(series: Series, params: CadParams) -> F64:
    """CAD OSE's score as a tail probability for the ensemble: ``10^(-decades · score)``."""
    return np.power(10.0, -params.decades * cad_score(series, params))
