"""Evaluation harness: score analyses against the simulator's ground truth.

Pure functions on typed inputs (:mod:`metrics`), typed loaders of the ground truth (:mod:`truth`),
and glue that scores common predictions against a :class:`GroundTruth` (:mod:`scoring`).
"""

from argus.evaluation.metrics import (
    BinaryCounts,
    ClusteringScore,
    ConfusionMatrix,
    SelectionScore,
    average_precision,
    binary_counts,
    clustering_agreement,
    confusion_matrix,
    roc_auc,
    selection_recall,
)
from argus.evaluation.truth import (
    FailureLabel,
    GroundTruth,
    TestLabel,
    load_failure_labels,
    load_ground_truth,
)

__all__ = [
    "BinaryCounts", "ClusteringScore", "ConfusionMatrix", "FailureLabel", "GroundTruth", "SelectionScore", "TestLabel",
    "average_precision", "binary_counts", "clustering_agreement", "confusion_matrix", "load_failure_labels",
    "load_ground_truth", "roc_auc", "selection_recall",
]
