"""PR rework: the label, the features known when a pull request opens, and the classifier (pure).

Label (seed 001): a merged PR is *rework* when its review cycles exceed ``max_cycles`` (2) or its
rework commits exceed ``max_rework_commits`` (3). From the stored comments and commits:

* a *review* is a comment or review by someone other than the PR author (as DevLake's first-review rule);
* *rework commits* are the PR's commits authored after its first review;
* *review cycles* count the reviews that open a round: the first review, and each later review with
  at least one commit authored between it and the previous review (review → fix → review again).

Features (all known when the PR is opened, so a prediction can be made before any review):
``commits_at_open`` (commits authored up to the PR's creation), ``coding_hours`` (first commit →
creation), ``title_len``, ``title_fix`` / ``title_refactor`` / ``title_wip`` (words in the title),
``hour`` and ``weekday`` of creation (UTC), ``repo_prior_rate`` (share of rework among the repo's PRs
merged before this one opened, smoothed towards the global prior with weight ``prior_weight``) and
``repo_prior_n`` (how many there were). No feature looks past the PR's creation time.

Classifier: LightGBM (binary) on the first 80 % of the training rows by creation time, Platt scaling
fitted on the last 20 % (out of time, so the probabilities are calibrated, not in-sample confident);
the artefact is JSON (the booster's own text format + the Platt coefficients), never a pickle.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from argus.analysis.delivery.schemas import PrComment, PrCommit, PullRequest

FEATURES = ("commits_at_open", "coding_hours", "title_len", "title_fix", "title_refactor", "title_wip", "hour",
            "weekday", "repo_prior_rate", "repo_prior_n")
FORMAT = "argus.pr-rework/v1"
ALGORITHM = "lightgbm-gbdt+platt"
PARAMS: dict[str, Any] = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 20,
                          "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
                          "verbose": -1, "seed": 7, "deterministic": True, "num_threads": 1}
ROUNDS = 200
_FIX = re.compile(r"(?i)\b(fix|bug|hotfix|patch)")
_REFACTOR = re.compile(r"(?i)\b(refactor|rewrite|migrat|redesign)")
_WIP = re.compile(r"(?i)\b(wip|draft|rfc)\b")


@dataclass(frozen=True)
class ReworkCounts:
    cycles: int
    rework_commits: int
    reviews: int


@dataclass(frozen=True)
class ReworkRow:
    pr_id: str
    repo: str | None
    created_at: datetime
    merged: bool
    counts: ReworkCounts | None  # None: not merged (no label yet)
    features: dict[str, float]

    def label(self, max_cycles: int = 2, max_rework_commits: int = 3) -> int | None:
        if self.counts is None:
            return None
        return int(self.counts.cycles > max_cycles or self.counts.rework_commits > max_rework_commits)


def counts(commits: Sequence[PrCommit], comments: Sequence[PrComment]) -> ReworkCounts:
    """Review cycles and rework commits of one PR (see the module docstring)."""
    reviews = sorted(c.created_at for c in comments if c.created_at is not None and c.by_pr_author is not True)
    times = sorted(c.authored_at for c in commits if c.authored_at is not None)
    if not reviews:
        return ReworkCounts(0, 0, 0)
    rework = sum(1 for t in times if t > reviews[0])
    cycles, previous = 1, reviews[0]
    for r in reviews[1:]:
        if any(previous < t <= r for t in times):
            cycles += 1
        previous = r
    return ReworkCounts(cycles, rework, len(reviews))


def rows(prs: Iterable[PullRequest], commits: Iterable[PrCommit], comments: Iterable[PrComment], *,
         max_cycles: int = 2, max_rework_commits: int = 3, prior_weight: float = 5.0) -> list[ReworkRow]:
    """One row per PR with a creation time, in creation order; labels of merged PRs, features for all."""
    by_commit: dict[str, list[PrCommit]] = defaultdict(list)
    for c in commits:
        by_commit[c.pr_id].append(c)
    by_comment: dict[str, list[PrComment]] = defaultdict(list)
    for m in comments:
        by_comment[m.pr_id].append(m)
    ordered = sorted((p for p in prs if p.created_at is not None), key=lambda p: (p.created_at, p.id))
    merged = sorted((p for p in ordered if p.merged_at is not None), key=lambda p: (p.merged_at, p.id))
    labels: dict[str, tuple[ReworkCounts, int]] = {}
    for p in merged:
        got = counts(by_commit[p.id], by_comment[p.id])
        labels[p.id] = (got, int(got.cycles > max_cycles or got.rework_commits > max_rework_commits))
    global_rate = (sum(v[1] for v in labels.values()) + 1) / (len(labels) + 2)
    out = []
    seen: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])  # repo → [merged before, rework among them]
    i = 0
    for p in ordered:
        assert p.created_at is not None
        while i < len(merged) and merged[i].merged_at is not None and merged[i].merged_at < p.created_at:  # type: ignore[operator]
            s = seen[merged[i].repo]
            s[0] += 1
            s[1] += labels[merged[i].id][1]
            i += 1
        n, reworked = seen[p.repo]
        times = sorted(c.authored_at for c in by_commit[p.id] if c.authored_at is not None)
        at_open = [t for t in times if t <= p.created_at]
        title = p.title or ""
        feats = {
            "commits_at_open": float(len(at_open)),
            "coding_hours": (p.created_at - times[0]).total_seconds() / 3600 if times and times[0] <= p.created_at
            else math.nan,
            "title_len": float(len(title)), "title_fix": float(bool(_FIX.search(title))),
            "title_refactor": float(bool(_REFACTOR.search(title))), "title_wip": float(bool(_WIP.search(title))),
            "hour": float(p.created_at.hour), "weekday": float(p.created_at.weekday()),
            "repo_prior_rate": (reworked + prior_weight * global_rate) / (n + prior_weight), "repo_prior_n": float(n)}
        lab = labels.get(p.id)
        out.append(ReworkRow(p.id, p.repo, p.created_at, p.merged_at is not None, lab[0] if lab else None, feats))
    return out


def matrix(items: Sequence[ReworkRow]) -> np.ndarray:
    return np.array([[r.features[f] for f in FEATURES] for r in items], dtype=float).reshape(len(items), len(FEATURES))


# --------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ReworkModel:
    booster_text: str
    platt_a: float
    platt_b: float
    threshold: float

    def raw(self, X: np.ndarray) -> np.ndarray:
        import lightgbm

        booster = lightgbm.Booster(model_str=self.booster_text)
        return np.asarray(booster.predict(X, raw_score=True), dtype=float)

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = self.platt_a * self.raw(X) + self.platt_b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        import lightgbm

        booster = lightgbm.Booster(model_str=self.booster_text)
        return np.asarray(booster.predict(X, pred_contrib=True), dtype=float)[:, :-1]

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "features": list(FEATURES), "booster": self.booster_text,
                           "platt": [self.platt_a, self.platt_b], "threshold": self.threshold})

    @classmethod
    def from_json(cls, text: str) -> ReworkModel:
        d = json.loads(text)
        if d.get("format") != FORMAT or tuple(d.get("features", ())) != FEATURES:
            raise ValueError(f"not a {FORMAT} artefact with the features {FEATURES}")
        return cls(d["booster"], float(d["platt"][0]), float(d["platt"][1]), float(d["threshold"]))


def fit(X: np.ndarray, y: np.ndarray, *, calibration_fraction: float = 0.2, rounds: int = ROUNDS,
        params: Mapping[str, Any] | None = None) -> ReworkModel:
    """LightGBM on the earlier rows, Platt scaling on the later ``calibration_fraction`` (rows in time order)."""
    import lightgbm
    from sklearn.linear_model import LogisticRegression

    k = max(1, int(len(y) * (1 - calibration_fraction)))
    if k >= len(y) or len(np.unique(y[:k])) < 2:
        raise ValueError("too few rows (or one class only) to fit and calibrate")
    booster = lightgbm.train({**PARAMS, **(params or {})}, lightgbm.Dataset(X[:k], y[:k]), num_boost_round=rounds)
    text = booster.model_to_string()
    raw = np.asarray(booster.predict(X[k:], raw_score=True), dtype=float)
    if len(np.unique(y[k:])) < 2:
        a, b = 1.0, 0.0
    else:
        lr = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y[k:])
        a, b = max(float(lr.coef_[0, 0]), 1e-3), float(lr.intercept_[0])
    model = ReworkModel(text, a, b, 0.5)
    return ReworkModel(text, a, b, best_threshold(y, model.predict(X)))


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut with the best F1 on ``(y, p)`` (0.5 when there is no positive)."""
    if y.sum() == 0:
        return 0.5
    best, cut = -1.0, 0.5
    for t in np.unique(np.round(p, 3)):
        pred = p >= t
        tp = float((pred & (y == 1)).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0
        if f1 > best:
            best, cut = f1, float(t)
    return cut


def scores(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float | int | None]:
    """AUC and PR-AUC (None with one class), Brier, F1 at ``threshold``, expected calibration error (10 bins)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    two = len(np.unique(y)) == 2
    pred = p >= threshold
    tp = float((pred & (y == 1)).sum())
    f1 = 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(abs(float(p[bins == b].mean()) - float(y[bins == b].mean())) * float((bins == b).mean())
              for b in range(10) if (bins == b).any())
    return {"rows": len(y), "positives": int(y.sum()), "auc": float(roc_auc_score(y, p)) if two else None,
            "pr_auc": float(average_precision_score(y, p)) if two else None,
            "brier": float(brier_score_loss(y, p)), "f1": round(f1, 4), "ece": round(ece, 4)}


def logistic_baseline(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised logistic regression (missing values → training medians): (train, test) probabilities."""
    from sklearn.linear_model import LogisticRegression

    med = np.nanmedian(np.where(np.isfinite(Xtr), Xtr, np.nan), axis=0)
    med = np.where(np.isfinite(med), med, 0.0)

    def fill(X: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(X), X, med)

    a, b = fill(Xtr), fill(Xte)
    mean, sd = a.mean(axis=0), a.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    lr = LogisticRegression(max_iter=1000).fit((a - mean) / sd, ytr)
    return lr.predict_proba((a - mean) / sd)[:, 1], lr.predict_proba((b - mean) / sd)[:, 1]
