"""Score analysis outputs against a project's ground truth (thin glue over :mod:`argus.evaluation.metrics`).

Predictions are plain values keyed by the ids reports show (test ids, commit shas, run keys), so any
analysis can be scored without this package knowing its internals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from argus.evaluation.metrics import (
    BinaryCounts,
    ClusteringScore,
    ConfusionMatrix,
    average_precision,
    binary_counts,
    clustering_agreement,
    confusion_matrix,
    roc_auc,
)
from argus.evaluation.truth import FailureLabel, GroundTruth, TestLabel


def score_flaky_detection(gt: GroundTruth, predicted_flaky: Iterable[str]) -> BinaryCounts:
    """Flaky tests found vs planted, over every test id that appeared (tn counts the rest)."""
    return binary_counts(gt.flaky_ids(), predicted_flaky, gt.test_labels())


def score_test_classification(gt: GroundTruth, predicted: Mapping[str, str]) -> ConfusionMatrix:
    """healthy / flaky / broken per test; tests without a prediction count as healthy."""
    labels = [lab.value for lab in TestLabel]
    truth = {k: v.value for k, v in gt.test_labels().items()}
    return confusion_matrix(truth, predicted, labels, default=TestLabel.HEALTHY.value)


def score_outage_detection(gt: GroundTruth, predicted_runs: Iterable[str]) -> BinaryCounts:
    return binary_counts(gt.outage_runs(), predicted_runs, (r.key for r in gt.runs))


def score_bug_inducing(gt: GroundTruth, predicted_commits: Iterable[str]) -> BinaryCounts:
    """Bug-inducing commits identified (e.g. by SZZ) vs planted, over non-merge commits."""
    universe = [c.sha for c in gt.commits if c.kind not in ("merge", "initial")]
    return binary_counts({b.commit for b in gt.bug_inducing_commits}, predicted_commits, universe)


@dataclass(frozen=True)
class RiskScore:
    commits: int
    positives: int
    auc: float | None  # None when only one class is present among the scored commits
    average_precision: float


def score_change_risk(gt: GroundTruth, scores: Mapping[str, float]) -> RiskScore:
    """ROC AUC and average precision of per-commit risk scores against bug-inducing labels (scored commits only)."""
    labelled = [(scores[c.sha], c.bug_inducing) for c in gt.commits if c.sha in scores]
    s = [x for x, _ in labelled]
    y = [b for _, b in labelled]
    pos = sum(y)
    auc = roc_auc(s, y) if 0 < pos < len(y) else None
    return RiskScore(len(y), pos, auc, average_precision(s, y))


def score_failure_clusters(labels: Iterable[FailureLabel], predicted: Mapping[tuple[str, str], object],
                           causes: set[str] | None = None) -> ClusteringScore:
    """Agreement of predicted clusters (keyed by (run key, test id)) with the true root-cause groups."""
    truth = {(lab.run, lab.test): lab.group for lab in labels if causes is None or lab.cause in causes}
    return clustering_agreement(truth, predicted)
