"""Settings of change risk and its model lifecycle (``[risk]``, ``ARGUS_RISK__*``); see docs/analysis/risk.md.

Defaults marked "seed" come from the seed documents (X-12, X-19, X-08): GO ≤ 0.4 < WARN ≤ 0.7 < BLOCK;
retrain when accuracy < 0.8, drift > 0.3, > 7 days since training (S3-56) or ≥ 50 new labelled changes
(S1-25, the rework model); isolation forest with contamination 0.05, 100 trees, 256 samples (S1-37).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class RiskLabel(StrEnum):
    """What counts as a change that broke something."""

    SZZ = "szz"  # a later fix blamed its lines (bug-inducing)
    CI = "ci"  # a CI run on the default branch at this commit failed
    EITHER = "either"  # either of the two


class RiskSettings(BaseModel):
    """Change risk: labels, thresholds, training, champion/challenger, drift and retraining triggers."""

    label: RiskLabel = Field(RiskLabel.SZZ, description="Label of a breaking change: szz, ci or either.")
    warn_threshold: float = Field(0.4, ge=0.0, le=1.0, description="Above this probability: WARN (seed 0.4).")
    block_threshold: float = Field(0.7, ge=0.0, le=1.0, description="Above this probability: BLOCK (seed 0.7).")
    model_name: str = Field("change-risk", description="Registry name of the change-risk model.")
    holdout_fraction: float = Field(0.2, gt=0.0, lt=1.0, description="Newest share of the labelled changes "
                                    "kept as the time-ordered holdout that models are judged (and compared) on.")
    calibration: str = Field("isotonic", pattern="^(isotonic|platt)$", description="Calibration: isotonic or platt.")
    min_train_rows: int = Field(30, ge=10, description="Fewest labelled changes a model is trained on.")
    label_maturity_days: float = Field(
        0.0, ge=0.0, description="Changes younger than this are not used as negatives in training (a bug may "
        "not have been found yet); 0 keeps all.")
    promote_min_gain: float = Field(0.0, ge=0.0, description="A challenger becomes active only if its holdout AUC "
                                    "exceeds the champion's by more than this (S3-60 uses 0.02).")
    promote_max_brier_loss: float = Field(0.01, ge=0.0, description="... and its Brier score is not worse by more.")
    ci_history_window: int = Field(20, ge=1, description="Earlier changes per author (and per file) whose CI "
                                   "outcome makes the author's (file's) failure rate.")
    complexity: bool = Field(True, description="Compute the radon complexity of the changed Python functions "
                             "when the project's repository is there (a git read per change).")
    complexity_max_commits: int = Field(5000, ge=1, description="Complexity of the newest this many changes only "
                                        "(older ones: missing).")
    tests_to_run: int = Field(20, ge=0, description="Tests to run shown per assessment (from test selection, "
                              "safe mode, when a coverage map is stored).")
    top_factors: int = Field(5, ge=1, description="Contributing factors shown per change.")
    similar_changes: int = Field(3, ge=0, description="Similar past breaking changes shown per change.")
    retrain_new_labels: int = Field(50, ge=1, description="Retrain after this many new labelled changes (seed 50).")
    retrain_days: float = Field(7.0, gt=0.0, description="Retrain when the active model is older (seed 7 days).")
    retrain_drift_psi: float = Field(0.3, gt=0.0, description="Retrain when a feature's or the score's PSI "
                                     "exceeds this (seed drift > 0.3).")
    retrain_min_accuracy: float = Field(0.8, ge=0.0, le=1.0, description="Retrain when the accuracy of backfilled "
                                        "predictions falls below this (seed 0.8).")
    min_outcomes: int = Field(20, ge=1, description="Backfilled outcomes needed before accuracy can trigger.")
    anomaly_contamination: float = Field(0.05, gt=0.0, le=0.5, description="Isolation forest contamination (seed).")
    anomaly_trees: int = Field(100, ge=10, description="Isolation forest trees (seed 100).")
    anomaly_max_samples: int = Field(256, ge=16, description="Isolation forest samples per tree (seed 256).")
    anomaly_min_predictions: int = Field(20, ge=5, description="Predictions needed before anomalies are scored.")

    @model_validator(mode="after")
    def _ordered(self) -> RiskSettings:
        if self.warn_threshold > self.block_threshold:
            raise ValueError("risk.warn_threshold must not exceed risk.block_threshold")
        return self
