"""Features of a change computed from the commit stream before it, for the dataset evaluation only
(`bench/risk_variants.py --round3`; issue 17, round 3 of the risk model: none was adopted by the product model).

Every function here takes time-ordered rows (oldest first) and gives row ``i`` a value computed only from
rows ``< i`` (and from row ``i`` itself), never from a later row: a test recomputes each feature on every
prefix of the stream and checks it is unchanged. The label-based feature reads labels of training rows only
(the test part's labels are never an input).

- ``hour``, ``weekday``: the change's time (UTC when only an epoch is known).
- ``log_gap``: log1p of the seconds since the previous change of the stream (commit rate).
- ``day_commits``, ``week_commits``: changes in the 24 h / 7 days before it (strictly earlier times).
- ``rexp_share``, ``sexp_share``: developer experience ratios rexp / exp and sexp / exp.
- ``<f>_rank``: the change's rank of Kamei feature ``f`` among the previous ``window`` changes (0–1, ties
  count half): a size or experience measured against the project's recent habits (the raw values drift,
  e.g. ``exp``, ``nuc`` and ``age`` grow with history).
- :func:`recent_defect_rate`: the defect rate of the last ``window`` labelled training rows before the
  row (test rows all see the last ``window`` training rows): concept drift of the base rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

TIME = ("hour", "weekday", "log_gap", "day_commits", "week_commits")
RATIOS = ("rexp_share", "sexp_share")
#: Kamei features whose rank among recent changes is a stream feature.
RANKED = ("la", "ld", "lt", "nf", "entropy", "ndev", "age", "nuc", "exp", "rexp", "sexp")
DAY = 86400.0


def time_features(times: np.ndarray) -> dict[str, np.ndarray]:
    """Hour, weekday, gap to the previous change, changes in the previous day and week."""
    t = np.asarray(times, dtype=float)
    if len(t) and np.any(np.diff(t) < 0):
        raise ValueError("rows must be in time order")
    gap = np.empty(len(t))
    if len(t):
        gap[0] = np.nan
        gap[1:] = np.diff(t)
    before = np.searchsorted(t, t, side="left")  # rows strictly earlier in time
    day = before - np.searchsorted(t, t - DAY, side="left")
    week = before - np.searchsorted(t, t - 7 * DAY, side="left")
    return {"hour": np.floor((t % DAY) / 3600.0), "weekday": np.floor(t / DAY + 3) % 7,  # 1970-01-01: Thursday
            "log_gap": np.log1p(gap), "day_commits": day.astype(float), "week_commits": week.astype(float)}


def ratio_features(exp: np.ndarray, rexp: np.ndarray, sexp: np.ndarray) -> dict[str, np.ndarray]:
    e = np.maximum(np.asarray(exp, dtype=float), 1.0)
    return {"rexp_share": np.asarray(rexp, dtype=float) / e, "sexp_share": np.asarray(sexp, dtype=float) / e}


def rolling_rank(values: np.ndarray, window: int) -> np.ndarray:
    """Rank of each value among the ``window`` values before it (fewer at the start; NaN for the first)."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    out = np.full(n, np.nan)
    if n < 2:
        return out
    # the first ``window`` rows: expanding windows
    for i in range(1, min(window, n)):
        prev = v[:i]
        out[i] = (np.sum(prev < v[i]) + 0.5 * np.sum(prev == v[i])) / i
    if n > window:
        step = 2048
        for s in range(window, n, step):
            e = min(n, s + step)
            win = sliding_window_view(v[s - window:e - 1], window)  # win[j] = v[s+j-window : s+j]
            cur = v[s:e, None]
            out[s:e] = ((win < cur).sum(axis=1) + 0.5 * (win == cur).sum(axis=1)) / window
    return out


def stream_features(times: np.ndarray, columns: dict[str, np.ndarray], window: int = 1000) -> dict[str, np.ndarray]:
    """Every label-free stream feature of time-ordered rows (``columns``: the Kamei features by name)."""
    out = time_features(times)
    out.update(ratio_features(columns["exp"], columns["rexp"], columns["sexp"]))
    for f in RANKED:
        out[f"{f}_rank"] = rolling_rank(columns[f], window)
    return out


def stream_names() -> tuple[str, ...]:
    return (*TIME, *RATIOS, *(f"{f}_rank" for f in RANKED))


def recent_defect_rate(train_labels: Sequence[int] | np.ndarray, n_test: int, window: int) -> np.ndarray:
    """Defect rate of the last ``window`` training rows before each row (NaN for the first training row);
    the ``n_test`` rows after the training part all get the rate of the last ``window`` training rows."""
    y = np.asarray(train_labels, dtype=float)
    n = len(y)
    c = np.concatenate([[0.0], np.cumsum(y)])
    idx = np.arange(n)
    lo = np.maximum(0, idx - window)
    cnt = idx - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        train = np.where(cnt > 0, (c[idx] - c[lo]) / np.maximum(cnt, 1), np.nan)
    last = (c[n] - c[max(0, n - window)]) / max(1, n - max(0, n - window)) if n else np.nan
    return np.concatenate([train, np.full(n_test, last)])
