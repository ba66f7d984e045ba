"""Cheap filter for new ensemble members on NAB (issue 20, fourth follow-up).

Each candidate member (written here with numpy, causal) is added to the 3-member ensemble
(seasonal, likelihood, extreme; members' p computed once) with the same Bonferroni combination and
hold-off; printed: in-sample optimised standard score, threshold held out on the two category folds
(NAB's best threshold, and the plateau rule ±0.1), leave-one-category-out with the threshold only
(pooled / mean of the 4 categories with windows, then each), and the candidate's own speed. The
parameters are the defaults; the last column scores each candidate in-sample on one fold's tuning
categories only (``FOLDS``), so whether the candidate would have been chosen without seeing the other
fold can be read off; only a survivor goes through the full protocols
(``bench/anomaly_nab_variants.py --part shift``). ≈ 1 CPU min.

    .venv/bin/python bench/anomaly_nab_explore.py --data ../shared/datasets/nab
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from argus.analysis.anomaly.baselines import F64, previous_window_mean_std, running_range, trailing_mean
from argus.analysis.anomaly.detectors import self_calibrated_p
from argus.analysis.anomaly.ensemble import holdoff, member_p
from argus.analysis.anomaly.schemas import Detector
from argus.evaluation import anomaly_nab as an
from argus.evaluation.nab import STANDARD, ScoredSeries, optimise_threshold, row_weights

M3 = (Detector.SEASONAL, Detector.LIKELIHOOD, Detector.EXTREME)
P = an.DEFAULT_PARAMS


def _floor(v: F64) -> F64:
    lo, hi = running_range(v)
    return np.maximum(np.nan_to_num(hi - lo, nan=0.0) * 0.001, 1e-9)


def diff_p(v: F64, window: int = 100, short: int = 1) -> F64:
    """Robust-ish z of the first difference against the previous ``window`` differences, self-calibrated."""
    d = np.diff(v, prepend=v[:1])
    mean, std, count = previous_window_mean_std(d, window)
    raw = np.where(count >= 2, np.abs(d - mean) / np.maximum(std, _floor(v)), 0.0)
    return self_calibrated_p(np.minimum(raw, 50.0), short, 2880, 60)


def knn_p(v: F64, length: int = 10, lags: range = range(10, 110), kth: int = 3) -> F64:
    """KNN novelty (NAB's KNN-CAD idea): distance of the last ``length`` rows' shape to its ``kth``
    nearest among the shapes ending ``lag`` rows earlier (one cumulative sum per lag), self-calibrated."""
    n = v.shape[0]
    dist = np.full((len(lags), n), np.inf)
    i = np.arange(n)
    for j, lag in enumerate(lags):
        if lag >= n:
            continue
        sq = np.zeros(n)
        sq[lag:] = (v[lag:] - v[:-lag]) ** 2
        cs = np.concatenate(([0.0], np.cumsum(sq)))
        ok = i - length + 1 >= lag
        dist[j] = np.where(ok, cs[i + 1] - cs[np.maximum(i - length + 1, lag)], np.inf)
    d = np.partition(dist, min(kth, len(lags)) - 1, axis=0)[min(kth, len(lags)) - 1]
    raw = np.sqrt(np.where(np.isfinite(d), d, 0.0) / length)
    lo, hi = running_range(v)
    raw = raw / np.maximum(np.nan_to_num(hi - lo, nan=0.0), 1e-9) * 100
    p = self_calibrated_p(np.minimum(raw, 50.0), 1, 2880, 150)
    p[:max(lags) + length] = 1.0
    return p


def spectral_residual_p(v: F64, q: int = 64, avg: int = 3, chunk: int = 8192) -> F64:
    """Spectral residual (Ren et al. 2019): saliency of the last point of the ``q``-row window ending at
    each row (the window extended by 5 extrapolated points, as the paper does), against the mean
    saliency of the previous 21 rows, self-calibrated."""
    n = v.shape[0]
    sal_last = np.zeros(n)
    for a in range(q - 1, n, chunk):
        b = min(n, a + chunk)
        win = sliding_window_view(v[a - q + 1:b], q)
        slope = ((win[:, -1:] - win[:, -6:-1]) / np.arange(5, 0, -1)).mean(axis=1, keepdims=True)
        x = np.concatenate([win, np.repeat(win[:, -2:-1] + 5 * slope, 5, axis=1)], axis=1)
        f = np.fft.rfft(x - x.mean(axis=1, keepdims=True), axis=1)
        amp = np.abs(f) + 1e-8
        la = np.log(amp)
        pad = np.pad(la, ((0, 0), (avg // 2, avg // 2)), mode="edge")
        c = np.concatenate([np.zeros((pad.shape[0], 1)), np.cumsum(pad, axis=1)], axis=1)
        resid = la - (c[:, avg:] - c[:, :-avg]) / avg
        sal = np.abs(np.fft.irfft(np.exp(resid) * f / amp, n=x.shape[1], axis=1))
        sal_last[a:b] = sal[:, q - 1]
    m = np.concatenate(([0.0], trailing_mean(sal_last, 21)[:-1]))
    r = np.where(m > 0, (sal_last - m) / np.maximum(m, 1e-12), 0.0)
    p = self_calibrated_p(np.clip(r, 0.0, 50.0), 1, 2880, 150)
    p[:q + 21] = 1.0
    return p


def shift_p(v: F64, scales: tuple[int, ...] = (30, 100), window: int = 1000, weight: float = 10.0) -> F64:
    """The adopted member (``argus.analysis.anomaly.detectors.shift_p``) with other settings."""
    from argus.analysis.anomaly.detectors import shift_p as real
    from argus.analysis.anomaly.schemas import Series

    ts = np.arange(v.shape[0]).astype("datetime64[s]")
    return real(Series(ts, v), replace(P.shift, scales=scales, window=window, weight=weight))


def fisher(ps: list[F64]) -> F64:
    """Fisher's combination: upper tail of ``-2 Σ ln p`` under chi-square with ``2k`` degrees of freedom."""
    x = -np.sum([np.log(np.maximum(p, 1e-300)) for p in ps], axis=0)
    return np.asarray(np.exp(-x) * sum(x ** j / math.factorial(j) for j in range(len(ps))), dtype=np.float64)


def bonferroni(ps: list[F64]) -> F64:
    return np.asarray(np.minimum(1.0, len(ps) * np.minimum.reduce(ps)), dtype=np.float64)


def two_agree(ps: list[F64]) -> F64:
    """Bonferroni, or the two smallest p agreeing (their product, ×10 × the number of pairs)."""
    s = np.sort(np.vstack(ps), axis=0)
    k = len(ps)
    return np.asarray(np.minimum(1.0, np.minimum(k * s[0], (k * (k - 1) / 2) * s[1] ** 2 * 10)), dtype=np.float64)


class Harness:
    def __init__(self, data: Path) -> None:
        self.corpus = an.load_corpus(data)
        self.weights = [row_weights(len(ns.series), ns.windows) for ns in self.corpus]
        self.base = [[member_p(ns.series, d, P) for d in M3] for ns in self.corpus]
        self.rows = sum(len(ns.series) for ns in self.corpus)

    def member(self, f: Callable[[F64], F64]) -> tuple[list[F64], float]:
        t0 = time.process_time()
        out = [f(ns.series.values) for ns in self.corpus]
        return out, self.rows / max(time.process_time() - t0, 1e-9)

    def report(self, label: str, extra: list[F64] | None = None, weight: float = 1.0,
               fuse: Callable[[list[F64]], F64] = bonferroni) -> None:
        items = []
        for i, (ns, w) in enumerate(zip(self.corpus, self.weights, strict=True)):
            ps = list(self.base[i]) + ([np.minimum(1.0, extra[i] * weight)] if extra is not None else [])
            score = holdoff(1.0 - fuse(ps), P.ensemble)
            items.append(ScoredSeries(ns.name, w, np.clip(score, 0.0, 1.0)))
        ins = optimise_threshold(items, STANDARD)[1]
        nab_best, _ = an._held_out(items, STANDARD, None)
        plateau, _ = an._held_out(items, STANDARD, an.PLATEAU_WIDTH)
        tot, per = [0.0, 0.0, 0.0], []
        for c in sorted({it.category for it in items}):
            t, _ = an.tune_threshold([it for it in items if it.category != c], STANDARD, an.PLATEAU_WIDTH)
            r = an._fold_score([it for it in items if it.category == c], t, STANDARD)
            tot = [a + b for a, b in zip(tot, r, strict=True)]
            if r[2] != r[1]:
                per.append(100.0 * (r[0] - r[1]) / (r[2] - r[1]))
        loco = 100.0 * (tot[0] - tot[1]) / (tot[2] - tot[1])
        # The idea-choice check: each fold's tuning categories alone (in-sample on them, NAB's best
        # threshold) — had the exploration seen only one fold's tuning half, would it pick the same?
        folds = [optimise_threshold([it for it in items if it.category in tune], STANDARD)[1]
                 for tune in an.FOLDS]
        print(f"| {label} | {ins:.1f} / {nab_best:.1f} / {plateau:.1f} | {loco:.1f} / {sum(per) / len(per):.1f} "
              f"({' '.join(f'{x:.1f}' for x in per)}) | {folds[0]:.1f} / {folds[1]:.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/nab"))
    args = ap.parse_args()
    h = Harness(args.data)
    print("| candidate (added to the 3 members) | standard: in-sample / thr held out NAB best / plateau "
          "| leave-one-category-out, threshold only, plateau: pooled / mean (per category) "
          "| in-sample on fold 1's / fold 2's tuning categories only |")
    print("|---|---|---|---|")
    h.report("3 members (reference)")
    for short in (1, 5):
        c, speed = h.member(lambda v, s=short: diff_p(v, short=s))
        h.report(f"+ differences, short window {short} ({speed / 1e6:.1f} M rows/s)", c)
    for length, lags, kth in ((10, range(10, 110), 3), (20, range(20, 120), 1)):
        c, speed = h.member(lambda v, a=length, b=lags, k=kth: knn_p(v, a, b, k))
        for w in (1.0, 10.0, 100.0):
            h.report(f"+ KNN {length} rows, {kth}th of {len(lags)} ×{w:g} ({speed / 1e6:.2f} M rows/s)", c, w)
    for q in (32, 64):
        c, speed = h.member(lambda v, a=q: spectral_residual_p(v, a))
        for w in (1.0, 10.0, 100.0):
            h.report(f"+ spectral residual q {q} ×{w:g} ({speed / 1e6:.2f} M rows/s)", c, w)
    for sc, win, wt in (((20, 60), 500, 1.0), ((20, 60), 500, 10.0), ((60,), 500, 1.0), ((30, 100), 1000, 1.0),
                        ((30, 100), 1000, 10.0), ((30, 100), 2000, 1.0), ((50, 200), 2000, 1.0),
                        ((10, 30, 100), 1000, 10.0), ((100,), 1000, 1.0)):
        c, speed = h.member(lambda v, a=sc, b=win, d=wt: shift_p(v, a, b, d))
        h.report(f"+ shift {'/'.join(map(str, sc))} window {win} ×{wt:g} ({speed / 1e6:.1f} M rows/s)", c)
    shift, _ = h.member(shift_p)
    h.report("Fisher fusion, 3 members", None, fuse=fisher)
    h.report("Fisher fusion, + shift", shift, fuse=fisher)
    h.report("Bonferroni or two smallest agree, + shift", shift, fuse=two_agree)
    knn20, _ = h.member(lambda v: knn_p(v, 20, range(20, 120), 1))
    for w in (1.0, 10.0, 100.0):
        items_base = h.base
        h.base = [[*b, s] for b, s in zip(items_base, shift, strict=True)]
        h.report(f"+ shift + KNN 20 rows ×{w:g}", knn20, w)
        h.base = items_base


if __name__ == "__main__":
    main()
