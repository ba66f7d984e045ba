"""Variants of the anomaly ensemble tried for issue 20's NAB goal (> 75 standard held out).

Each variant is scored with the same two protocols as ``argus anomalies evaluate-nab``:
- threshold held out: the ensemble's parameters fixed, NAB's optimised threshold chosen on one fold of
  categories and applied to the other (both ways, summed);
- parameters held out: the configuration (``anomaly_nab.GRID``, optionally widened) and the threshold
  chosen on one fold, applied to the other.
Folds: ``anomaly_nab.FOLDS`` (artificialNoAnomaly + artificialWithAnomaly + realAdExchange vs
realTraffic + realTweets). ≈ 5 minutes on one core. Also prints two other protocols (below).

    .venv/bin/python bench/anomaly_nab_variants.py --data ../shared/datasets/nab
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from argus.analysis.anomaly.schemas import AnomalyParams, Detector
from argus.evaluation import anomaly_nab as an
from argus.evaluation.nab import PROFILES, optimise_threshold

M4 = (Detector.SEASONAL, Detector.LIKELIHOOD, Detector.EXTREME, Detector.ENTROPY)


def _grid(base: AnomalyParams, entropy_short: tuple[int | None, ...] = (0,)) -> list[an.GridPoint]:
    """``anomaly_nab.GRID`` on top of ``base``; ``entropy_short`` widens it (None = 3 members, k = the
    entropy member's short window; 0 = keep ``base`` as it is)."""

    def point(g: an.GridPoint, esw: int | None) -> an.GridPoint:
        class P(an.GridPoint):
            def params(self, b: AnomalyParams = base) -> AnomalyParams:
                p = an.GridPoint.params(self, b)
                if esw == 0:
                    return p
                if esw is None:
                    return replace(p, ensemble=replace(p.ensemble, members=an.DEFAULT_PARAMS.ensemble.members))
                return replace(p, ensemble=replace(p.ensemble, members=M4),
                               entropy=replace(p.entropy, short_window=esw))

            @property
            def label(self) -> str:
                return an.GridPoint.label.fget(self) + ("" if esw == 0 else f", entropy {esw}")  # type: ignore[attr-defined]

        return P(g.extreme_window, g.likelihood_window, g.seasonal_short_window)

    return [point(g, e) for g in an.GRID for e in entropy_short]


def run(corpus: list[an.NabSeries], label: str, base: AnomalyParams,
        entropy_short: tuple[int | None, ...] = (0,)) -> None:
    t0 = time.process_time()
    held = an.held_out_parameters(corpus, _grid(base, entropy_short))
    items, _ = an.scored(corpus, Detector.ENSEMBLE, base)
    res = an.evaluate(items, base.ensemble.threshold)
    cells = " | ".join(f"{r.optimised_score:.1f} / {r.held_out_score:.1f} / {h.score:.1f}" for r, h in zip(res, held, strict=True))
    print(f"| {label} | {cells} | {time.process_time() - t0:.0f} s |", flush=True)


def _norm(raw: float, null: float, perfect: float) -> float:
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else math.nan


def other_protocols(corpus: list[an.NabSeries], label: str, grid: list[an.GridPoint]) -> None:
    """Leave-one-category-out (configuration and threshold chosen on the other 4 categories; pooled and
    mean over the categories that have windows) and a nested choice inside the two folds (each grid
    point judged by its leave-one-category-out score *within* the tuning fold)."""
    scored_by = [an.scored(corpus, Detector.ENSEMBLE, g.params())[0] for g in grid]
    cats = sorted({ns.name.split("/")[0] for ns in corpus})
    for prof in PROFILES:
        tot = [0.0, 0.0, 0.0]
        per = []
        for c in cats:
            best = max(((optimise_threshold([i for i in items if i.category != c], prof), gi)
                        for gi, items in enumerate(scored_by)), key=lambda x: (x[0][1], -x[1]))
            (t, _), gi = best
            r = an._fold_score([i for i in scored_by[gi] if i.category == c], t, prof)
            tot = [a + b for a, b in zip(tot, r, strict=True)]
            if r[2] != r[1]:
                per.append(_norm(*r))
        nested = [0.0, 0.0, 0.0]
        for tune, test in (an.FOLDS, an.FOLDS[::-1]):
            inner = []
            for gi, items in enumerate(scored_by):
                acc = [0.0, 0.0, 0.0]
                for c in tune:
                    t, _ = optimise_threshold([i for i in items if i.category in tune and i.category != c], prof)
                    acc = [a + b for a, b in zip(acc, an._fold_score([i for i in items if i.category == c], t, prof),
                                                 strict=True)]
                inner.append((_norm(*acc), -gi))
            gi = -max(inner)[1]
            t, _ = optimise_threshold([i for i in scored_by[gi] if i.category in tune], prof)
            nested = [a + b for a, b in zip(nested, an._fold_score([i for i in scored_by[gi] if i.category in test],
                                                                   t, prof), strict=True)]
        ins = max(optimise_threshold(items, prof)[1] for items in scored_by)
        print(f"| {label} | {prof.name} | {ins:.1f} | {_norm(*tot):.1f} / {sum(per) / len(per):.1f} "
              f"| {_norm(*nested):.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/nab"))
    args = ap.parse_args()
    corpus = an.load_corpus(args.data)
    b = an.DEFAULT_PARAMS
    print("| variant | standard: in-sample opt / thr held out / params held out | low FP | low FN | cpu |")
    print("|---|---|---|---|---|")
    run(corpus, "defaults (3 members, hold-off 2 %)", b)
    variants: list[tuple[str, dict[str, Any]]] = [
        ("hold-off 5 %", {"holdoff_fraction": 0.05}),
        ("hold-off 5 %, max 1,000", {"holdoff_fraction": 0.05, "holdoff_max": 1000}),
        ("hold-off 10 %", {"holdoff_fraction": 0.1}),
    ]
    for label, kw in variants:
        run(corpus, label, replace(b, ensemble=replace(b.ensemble, **kw)))
    for label, ekw in (("+ entropy (defaults)", {}), ("+ entropy short 5", {"short_window": 5}),
                       ("+ entropy short 10", {"short_window": 10}),
                       ("+ entropy window 100, reference 2,000", {"window": 100, "reference_window": 2000}),
                       ("+ entropy 5 bins", {"bins": 5})):
        run(corpus, label, replace(b, ensemble=replace(b.ensemble, members=M4), entropy=replace(b.entropy, **ekw)))
    run(corpus, "+ entropy, its short window {1, 5, 10} in the held-out grid", b, (1, 5, 10))
    run(corpus, "entropy member on/off (short 5) in the held-out grid", b, (None, 5))
    print()
    print("| grid | profile | in-sample (best of grid) | leave-one-category-out pooled / mean | nested 2 folds |")
    print("|---|---|---|---|---|")
    other_protocols(corpus, "GRID (18)", list(an.GRID))
    other_protocols(corpus, "GRID x entropy member {off, short 5} (36)", _grid(b, (None, 5)))


if __name__ == "__main__":
    main()
