"""Scoring functions: binary and multi-class confusion, ROC AUC, selection recall, clustering agreement.

Pure functions on plain inputs (sets, mappings, sequences); every ratio with an empty denominator
is defined as documented on the property (no NaN reaches a report).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
L = TypeVar("L", bound=Hashable)


@dataclass(frozen=True)
class BinaryCounts:
    """Counts of a yes/no prediction against truth. Empty denominators give 0.0 (precision: 1.0 if nothing predicted and nothing true)."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        if self.tp + self.fp == 0:
            return 1.0 if self.fn == 0 else 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        return 1.0 if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    @property
    def accuracy(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        return 1.0 if n == 0 else (self.tp + self.tn) / n

    def as_dict(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1, "accuracy": self.accuracy}


def binary_counts(truth: Iterable[K], predicted: Iterable[K], universe: Iterable[K] | None = None) -> BinaryCounts:
    """Compare the set of truly positive items with the predicted ones; ``universe`` (all items) gives tn."""
    t, p = set(truth), set(predicted)
    tp = len(t & p)
    tn = 0 if universe is None else len(set(universe) - t - p)
    return BinaryCounts(tp, len(p - t), len(t - p), tn)


@dataclass(frozen=True)
class ConfusionMatrix:
    """``counts[i][j]``: items whose true label is ``labels[i]`` and predicted label ``labels[j]``."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def recall(self, label: str) -> float:
        i = self.labels.index(label)
        row = sum(self.counts[i])
        return 1.0 if row == 0 else self.counts[i][i] / row

    def precision(self, label: str) -> float:
        j = self.labels.index(label)
        col = sum(r[j] for r in self.counts)
        return 1.0 if col == 0 else self.counts[j][j] / col

    @property
    def accuracy(self) -> float:
        n = sum(map(sum, self.counts))
        return 1.0 if n == 0 else sum(self.counts[i][i] for i in range(len(self.labels))) / n

    def as_dict(self) -> dict[str, object]:
        return {"labels": list(self.labels), "counts": [list(r) for r in self.counts], "accuracy": self.accuracy}


def confusion_matrix(truth: Mapping[K, str], predicted: Mapping[K, str], labels: Sequence[str],
                     default: str | None = None) -> ConfusionMatrix:
    """Multi-class confusion over the items of ``truth``; an item missing from ``predicted`` gets ``default``.

    Raises ValueError when a label is outside ``labels`` (or an item is unpredicted and no default is given).
    """
    idx = {lab: i for i, lab in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for item, true_label in truth.items():
        pred = predicted.get(item, default)
        if pred is None:
            raise ValueError(f"no prediction for {item!r} and no default label")
        if true_label not in idx or pred not in idx:
            raise ValueError(f"label {true_label!r} or {pred!r} is not one of {list(labels)}")
        grid[idx[true_label]][idx[pred]] += 1
    return ConfusionMatrix(tuple(labels), tuple(tuple(r) for r in grid))


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve = P(score of a random positive > a random negative), ties count ½.

    Computed from average ranks (Mann–Whitney U). Raises ValueError when either class is empty.
    """
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    n_pos = sum(1 for b in labels if b)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs at least one positive and one negative")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    rank_sum = sum(r for r, b in zip(ranks, labels, strict=True) if b)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def average_precision(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Mean of precision at each true positive when ranking by descending score (ties broken by input order)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits = 0
    total = 0.0
    for rank, i in enumerate(order, start=1):
        if labels[i]:
            hits += 1
            total += hits / rank
    n_pos = sum(1 for b in labels if b)
    return 0.0 if n_pos == 0 else total / n_pos


@dataclass(frozen=True)
class SelectionScore:
    """Test-selection quality over several changes.

    ``mean_recall``: mean share of a change's truly failing tests that were selected (changes with no
    failing test are left out); ``safe_share``: share of those changes where every failing test was
    selected; ``mean_selected_share``: mean selected / total tests over all changes (the cost).
    """

    changes: int
    changes_with_failures: int
    mean_recall: float
    safe_share: float
    mean_selected_share: float


def selection_recall(cases: Iterable[tuple[set[str], set[str], int]]) -> SelectionScore:
    """Score ``(selected tests, failing tests, total tests)`` per change."""
    n = with_fail = safe = 0
    recalls: list[float] = []
    shares: list[float] = []
    for selected, failing, total in cases:
        n += 1
        shares.append(len(selected) / total if total else 0.0)
        if failing:
            with_fail += 1
            r = len(failing & selected) / len(failing)
            recalls.append(r)
            safe += r == 1.0
    return SelectionScore(n, with_fail, sum(recalls) / len(recalls) if recalls else 1.0,
                          safe / with_fail if with_fail else 1.0, sum(shares) / n if n else 0.0)


@dataclass(frozen=True)
class ClusteringScore:
    """B-cubed precision/recall/F1 (Bagga & Baldwin 1998) and the adjusted Rand index (Hubert & Arabie 1985)."""

    items: int
    precision: float
    recall: float
    f1: float
    adjusted_rand: float


def clustering_agreement(truth: Mapping[K, L], predicted: Mapping[K, Hashable]) -> ClusteringScore:
    """Compare a predicted clustering with the true groups over the items of ``truth`` (unpredicted items are singletons)."""
    pairs = [(truth[k], predicted.get(k, ("__singleton__", k))) for k in truth]
    n = len(pairs)
    if n == 0:
        return ClusteringScore(0, 1.0, 1.0, 1.0, 1.0)
    cells = Counter(pairs)
    t_sizes = Counter(t for t, _ in pairs)
    p_sizes = Counter(p for _, p in pairs)
    prec = sum(c * c / p_sizes[p] for (_, p), c in cells.items()) / n
    rec = sum(c * c / t_sizes[t] for (t, _), c in cells.items()) / n
    f1 = 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)

    def comb2(x: int) -> float:
        return x * (x - 1) / 2

    index = sum(comb2(c) for c in cells.values())
    a = sum(comb2(c) for c in t_sizes.values())
    b = sum(comb2(c) for c in p_sizes.values())
    expected = a * b / comb2(n) if n > 1 else 0.0
    max_index = (a + b) / 2
    ari = 1.0 if math.isclose(max_index, expected) else (index - expected) / (max_index - expected)
    return ClusteringScore(n, prec, rec, f1, ari)


@dataclass(frozen=True)
class PairwiseScore:
    """Pairwise precision/recall of a grouping: over all pairs of items, ``precision`` = pairs grouped
    together that truly belong together / pairs grouped together; ``recall`` = / pairs that truly
    belong together (1.0 when there are no such pairs)."""

    items: int
    precision: float
    recall: float
    f1: float


def pairwise_agreement(truth: Mapping[K, L], predicted: Mapping[K, Hashable]) -> PairwiseScore:
    """Pairwise precision/recall of ``predicted`` against ``truth`` over the items of ``truth``
    (unpredicted items are singletons). Counted from the contingency table, O(n)."""
    pairs = [(truth[k], predicted.get(k, ("__singleton__", k))) for k in truth]

    def comb2(x: int) -> int:
        return x * (x - 1) // 2

    both = sum(comb2(c) for c in Counter(pairs).values())
    same_pred = sum(comb2(c) for c in Counter(p for _, p in pairs).values())
    same_true = sum(comb2(c) for c in Counter(t for t, _ in pairs).values())
    prec = 1.0 if same_pred == 0 else both / same_pred
    rec = 1.0 if same_true == 0 else both / same_true
    f1 = 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)
    return PairwiseScore(len(pairs), prec, rec, f1)
