"""Golden values and brute-force cross-checks of the scoring functions."""

from __future__ import annotations

import itertools
import random

import pytest

from argus.evaluation.metrics import (
    average_precision,
    binary_counts,
    clustering_agreement,
    confusion_matrix,
    roc_auc,
    selection_recall,
)


def test_binary_counts_precision_recall_f1() -> None:
    c = binary_counts({"a", "b", "c", "d"}, {"a", "b", "x"}, universe="abcdxyz")
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 1, 2, 2)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(0.5)
    assert c.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert c.accuracy == pytest.approx(4 / 7)


def test_binary_counts_empty_cases() -> None:
    assert binary_counts(set(), set()).precision == 1.0 and binary_counts(set(), set()).recall == 1.0
    missed = binary_counts({"a"}, set())
    assert missed.precision == 0.0 and missed.recall == 0.0 and missed.f1 == 0.0


def test_confusion_matrix() -> None:
    truth = {"t1": "flaky", "t2": "flaky", "t3": "broken", "t4": "healthy"}
    pred = {"t1": "flaky", "t2": "broken", "t3": "broken"}
    m = confusion_matrix(truth, pred, ["healthy", "flaky", "broken"], default="healthy")
    assert m.counts == ((1, 0, 0), (0, 1, 1), (0, 0, 1))
    assert m.recall("flaky") == 0.5 and m.precision("broken") == 0.5 and m.accuracy == 0.75
    with pytest.raises(ValueError):
        confusion_matrix(truth, pred, ["healthy", "flaky", "broken"])


def _auc_bruteforce(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, b in zip(scores, labels, strict=True) if b]
    neg = [s for s, b in zip(scores, labels, strict=True) if not b]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_golden_and_against_pairwise_definition() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert roc_auc([1, 2, 3], [False, True, True]) == 1.0
    rng = random.Random(5)
    for _ in range(20):
        n = rng.randint(2, 40)
        scores = [float(rng.randint(0, 6)) for _ in range(n)]  # many ties
        labels = [rng.random() < 0.4 for _ in range(n)]
        labels[0], labels[1] = True, False
        assert roc_auc(scores, labels) == pytest.approx(_auc_bruteforce(scores, labels))
    with pytest.raises(ValueError):
        roc_auc([0.5, 0.6], [True, True])


def test_average_precision() -> None:
    assert average_precision([0.9, 0.8, 0.7, 0.6], [True, False, True, False]) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision([0.1], [False]) == 0.0


def test_selection_recall() -> None:
    s = selection_recall([({"a", "b"}, {"a"}, 10), ({"a"}, {"a", "c"}, 10), (set(), set(), 10)])
    assert s.changes == 3 and s.changes_with_failures == 2
    assert s.mean_recall == pytest.approx(0.75) and s.safe_share == 0.5
    assert s.mean_selected_share == pytest.approx((0.2 + 0.1 + 0) / 3)


def _bcubed_bruteforce(truth: dict[str, str], pred: dict[str, int]) -> tuple[float, float]:
    items = list(truth)
    p = sum(sum(1 for j in items if pred[j] == pred[i] and truth[j] == truth[i])
            / sum(1 for j in items if pred[j] == pred[i]) for i in items) / len(items)
    r = sum(sum(1 for j in items if pred[j] == pred[i] and truth[j] == truth[i])
            / sum(1 for j in items if truth[j] == truth[i]) for i in items) / len(items)
    return p, r


def test_clustering_agreement() -> None:
    # adjusted Rand index golden value from the scikit-learn documentation: ([0, 0, 1, 1], [0, 0, 1, 2]) → 0.57
    s = clustering_agreement({"a": 0, "b": 0, "c": 1, "d": 1}, {"a": 0, "b": 0, "c": 1, "d": 2})
    assert s.adjusted_rand == pytest.approx(0.5714, abs=1e-4)
    perfect = clustering_agreement({"a": "x", "b": "y"}, {"a": 1, "b": 2})
    assert (perfect.precision, perfect.recall, perfect.adjusted_rand) == (1.0, 1.0, 1.0)
    rng = random.Random(9)
    truth = {f"i{k}": rng.choice("abc") for k in range(30)}
    pred = {k: rng.randint(0, 4) for k in truth}
    got = clustering_agreement(truth, pred)
    assert (got.precision, got.recall) == pytest.approx(_bcubed_bruteforce(truth, pred))
    lone = clustering_agreement({"a": "x", "b": "x"}, {})
    assert lone.precision == 1.0 and lone.recall == 0.5
