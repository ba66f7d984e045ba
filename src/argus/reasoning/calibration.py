"""Calibration of insight confidences from human feedback.

A sample is (raw confidence, accepted?). With enough feedback of both kinds, an isotonic map
(pool-adjacent-violators, monotone non-decreasing, linear between block centres) or histogram
binning turns raw scores into probabilities of acceptance; with scarce feedback the identity map is
used and the reason recorded. The reliability table and the expected calibration error
(ECE = Σ_b n_b/N · |accuracy_b − mean confidence_b|, equal-width bins) are reported either way.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class CalibrationMethod(StrEnum):
    IDENTITY = "identity"
    ISOTONIC = "isotonic"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class Sample:
    confidence: float
    accepted: bool


@dataclass(frozen=True)
class Calibrator:
    """A monotone map from raw confidence to calibrated probability (piecewise linear knots)."""

    method: CalibrationMethod
    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()
    n_samples: int = 0
    note: str = ""

    def apply(self, p: float) -> float:
        if self.method is CalibrationMethod.IDENTITY or not self.xs:
            return p
        if self.method is CalibrationMethod.HISTOGRAM:
            idx = min(len(self.ys) - 1, max(0, bisect.bisect_right(self.xs, p) - 1))
            return self.ys[idx]
        if p <= self.xs[0]:
            return self.ys[0]
        if p >= self.xs[-1]:
            return self.ys[-1]
        i = bisect.bisect_right(self.xs, p)
        x0, x1, y0, y1 = self.xs[i - 1], self.xs[i], self.ys[i - 1], self.ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)


IDENTITY = Calibrator(CalibrationMethod.IDENTITY, note="identity")


def isotonic_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators: non-decreasing least-squares fit; returns block centres and values."""
    tied: dict[float, list[float]] = {}
    for x, y in zip(xs, ys, strict=True):
        tied.setdefault(x, []).append(y)
    # blocks of [sum_y, weight, sum_x·weight]; tied x values start pooled
    blocks: list[list[float]] = []
    for x in sorted(tied):
        group = tied[x]
        blocks.append([sum(group), float(len(group)), x * len(group)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            y2, w2, x2 = blocks.pop()
            blocks[-1][0] += y2
            blocks[-1][1] += w2
            blocks[-1][2] += x2
    return [b[2] / b[1] for b in blocks], [b[0] / b[1] for b in blocks]


def fit_calibrator(
    samples: Sequence[Sample],
    method: CalibrationMethod = CalibrationMethod.ISOTONIC,
    *,
    min_samples: int = 30,
    min_per_class: int = 5,
    bins: int = 10,
) -> Calibrator:
    """Fit a calibrator, or fall back to identity when feedback is scarce or one-sided."""
    n = len(samples)
    pos = sum(1 for s in samples if s.accepted)
    if method is CalibrationMethod.IDENTITY:
        return IDENTITY
    if n < min_samples:
        return Calibrator(
            CalibrationMethod.IDENTITY, n_samples=n, note=f"identity: {n} feedback < {min_samples}"
        )
    if pos < min_per_class or n - pos < min_per_class:
        return Calibrator(
            CalibrationMethod.IDENTITY,
            n_samples=n,
            note=f"identity: one-sided feedback ({pos} accepted of {n})",
        )
    if method is CalibrationMethod.HISTOGRAM:
        edges = [i / bins for i in range(bins)]
        values = []
        for i, lo in enumerate(edges):
            hi = 1.0 if i == bins - 1 else edges[i + 1]
            inside = [
                s for s in samples if lo <= s.confidence < hi or (i == bins - 1 and s.confidence == 1.0)
            ]
            values.append(sum(s.accepted for s in inside) / len(inside) if inside else (lo + hi) / 2)
        return Calibrator(
            CalibrationMethod.HISTOGRAM, tuple(edges), tuple(values), n, f"histogram, {bins} bins"
        )
    cx, cy = isotonic_fit([s.confidence for s in samples], [1.0 if s.accepted else 0.0 for s in samples])
    return Calibrator(CalibrationMethod.ISOTONIC, tuple(cx), tuple(cy), n, f"isotonic, {len(cx)} blocks")


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None

    @property
    def gap(self) -> float | None:
        if self.mean_confidence is None or self.accuracy is None:
            return None
        return self.accuracy - self.mean_confidence


@dataclass(frozen=True)
class ReliabilityReport:
    bins: tuple[ReliabilityBin, ...]
    n: int
    ece: float
    mce: float
    brier: float | None


def reliability(samples: Sequence[Sample], bins: int = 10) -> ReliabilityReport:
    """Equal-width reliability table with ECE, MCE and the Brier score (None when no samples)."""
    if bins < 1:
        raise ValueError("bins must be >= 1")
    table: list[ReliabilityBin] = []
    n = len(samples)
    ece = mce = 0.0
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        inside = [s for s in samples if lo <= s.confidence < hi or (i == bins - 1 and s.confidence == hi)]
        if inside:
            conf = sum(s.confidence for s in inside) / len(inside)
            acc = sum(s.accepted for s in inside) / len(inside)
            ece += len(inside) / n * abs(acc - conf)
            mce = max(mce, abs(acc - conf))
            table.append(ReliabilityBin(lo, hi, len(inside), conf, acc))
        else:
            table.append(ReliabilityBin(lo, hi, 0, None, None))
    brier = sum((s.confidence - float(s.accepted)) ** 2 for s in samples) / n if n else None
    return ReliabilityReport(tuple(table), n, ece, mce, brier)
