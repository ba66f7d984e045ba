"""Grouping accuracy on the public Loghub-2k sets (skipped when ../shared/datasets is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from argus.analysis.failures.evaluate import LOGHUB_SYSTEMS, grouping_accuracy, load_loghub
from argus.analysis.failures.miner import TemplateMiner

DATA = Path(
    os.environ.get("ARGUS_LOGHUB_DIR", Path(__file__).resolve().parents[4] / "shared/datasets/loghub-2k")
)


def test_grouping_accuracy_metric() -> None:
    truth = ["a", "a", "b", "c", "c"]
    assert grouping_accuracy(truth, [1, 1, 2, 3, 3]) == 1.0
    assert grouping_accuracy(truth, [1, 1, 1, 3, 3]) == pytest.approx(2 / 5)  # a and b merged: 3 wrong
    assert grouping_accuracy(truth, [1, 2, 3, 4, 4]) == pytest.approx(3 / 5)  # a split: 2 wrong
    with pytest.raises(ValueError):
        grouping_accuracy(truth, [1])


@pytest.mark.skipif(not DATA.is_dir(), reason=f"Loghub-2k not found at {DATA} (set ARGUS_LOGHUB_DIR)")
def test_mean_grouping_accuracy_on_loghub_with_one_configuration() -> None:
    scores = {}
    for system in LOGHUB_SYSTEMS:
        lines, truth = load_loghub(DATA, system)
        scores[system] = grouping_accuracy(truth, TemplateMiner().add_messages(lines))
    assert sum(scores.values()) / len(scores) >= 0.95, scores
    assert min(scores.values()) >= 0.9, scores
