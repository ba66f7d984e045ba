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

from argus.analysis.anomaly.schemas import AnomalyParams, Detector, LikelihoodCombine, PostProcess
from argus.evaluation import anomaly_nab as an
from argus.evaluation.nab import PROFILES, optimise_threshold

M3 = (Detector.SEASONAL, Detector.LIKELIHOOD, Detector.EXTREME)
M4 = (*M3, Detector.ENTROPY)
B3 = replace(an.DEFAULT_PARAMS, ensemble=replace(an.DEFAULT_PARAMS.ensemble, members=M3))
"""The ensemble before the fourth follow-up (3 members): the base of the earlier follow-ups' figures."""
G3: list[an.GridPoint] = []
"""``anomaly_nab.GRID`` on top of ``B3`` (filled in ``main``)."""


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
                    return replace(p, ensemble=replace(p.ensemble, members=M3))
                return replace(p, ensemble=replace(p.ensemble, members=M4),
                               entropy=replace(p.entropy, short_window=esw))

            @property
            def label(self) -> str:
                return an.GridPoint.label.fget(self) + ("" if esw == 0 else f", entropy {esw}")  # type: ignore[attr-defined]

        return P(g.extreme_window, g.likelihood_window, g.seasonal_short_window)

    return [point(g, e) for g in an.GRID for e in entropy_short]


def _grid_of(variants: list[tuple[str, AnomalyParams]]) -> list[an.GridPoint]:
    """``anomaly_nab.GRID`` on top of each base configuration in ``variants`` (label suffix, base)."""

    def point(g: an.GridPoint, suffix: str, base: AnomalyParams) -> an.GridPoint:
        class P(an.GridPoint):
            def params(self, b: AnomalyParams = base) -> AnomalyParams:
                return an.GridPoint.params(self, b)

            @property
            def label(self) -> str:
                return an.GridPoint.label.fget(self) + suffix  # type: ignore[attr-defined]

        return P(g.extreme_window, g.likelihood_window, g.seasonal_short_window)

    return [point(g, suffix, base) for g in an.GRID for suffix, base in variants]


def _al(base: AnomalyParams, how: LikelihoodCombine, **kw: Any) -> AnomalyParams:
    """``base`` with Numenta's anomaly likelihood post-processor (NAB's parameters unless ``kw``)."""
    e = base.ensemble
    return replace(base, ensemble=replace(e, post=PostProcess.LIKELIHOOD,
                                          post_likelihood=replace(e.post_likelihood, combine=how, **kw)))


def run_grid(corpus: list[an.NabSeries], label: str, grid: list[an.GridPoint], plateau: float | None) -> None:
    """Only the parameters-held-out column (the grid chooses among several bases)."""
    t0 = time.process_time()
    held = an.held_out_parameters(corpus, grid, plateau)
    cells = " | ".join(f"— / — / {h.score:.1f}" for h in held)
    print(f"| {label} | {cells} | {time.process_time() - t0:.0f} s |", flush=True)
    for fc in held[0].folds:
        print(f"    standard, tuned on fold {fc.tuned_on} ({fc.tune_score:.1f}): {fc.config}, "
              f"threshold {fc.threshold:.7f} -> {fc.test_score:.1f}", flush=True)


def run(corpus: list[an.NabSeries], label: str, base: AnomalyParams,
        entropy_short: tuple[int | None, ...] = (0,), plateau: float | None = None) -> None:
    t0 = time.process_time()
    held = an.held_out_parameters(corpus, _grid(base, entropy_short), plateau)
    items, _ = an.scored(corpus, Detector.ENSEMBLE, base)
    res = an.evaluate(items, base.ensemble.threshold)
    cells = " | ".join(f"{r.optimised_score:.1f} / "
                       f"{r.held_out_score if plateau is None else r.plateau_held_out_score:.1f} / {h.score:.1f}"
                       for r, h in zip(res, held, strict=True))
    print(f"| {label} | {cells} | {time.process_time() - t0:.0f} s |", flush=True)


def _norm(raw: float, null: float, perfect: float) -> float:
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else math.nan


def other_protocols(corpus: list[an.NabSeries], label: str, grid: list[an.GridPoint],
                    plateau: float | None = None, scored_by: list[list[Any]] | None = None) -> None:
    """Leave-one-category-out (configuration and threshold chosen on the other 4 categories; pooled and
    mean over the categories that have windows) and a nested choice inside the two folds (each grid
    point judged by its leave-one-category-out score *within* the tuning fold)."""
    if scored_by is None:
        scored_by = [an.scored(corpus, Detector.ENSEMBLE, g.params())[0] for g in grid]
    cats = sorted({ns.name.split("/")[0] for ns in corpus})
    for prof in PROFILES:
        tot = [0.0, 0.0, 0.0]
        per = []
        for c in cats:
            best = max(((an.tune_threshold([i for i in items if i.category != c], prof, plateau), gi)
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
                    t, _ = an.tune_threshold([i for i in items if i.category in tune and i.category != c], prof,
                                             plateau)
                    acc = [a + b for a, b in zip(acc, an._fold_score([i for i in items if i.category == c], t, prof),
                                                 strict=True)]
                inner.append((_norm(*acc), -gi))
            gi = -max(inner)[1]
            t, _ = an.tune_threshold([i for i in scored_by[gi] if i.category in tune], prof, plateau)
            nested = [a + b for a, b in zip(nested, an._fold_score([i for i in scored_by[gi] if i.category in test],
                                                                   t, prof), strict=True)]
        ins = max(optimise_threshold(items, prof)[1] for items in scored_by)
        print(f"| {label} | {prof.name} | {ins:.1f} | {_norm(*tot):.1f} / {sum(per) / len(per):.1f} "
              f"| {_norm(*nested):.1f} |", flush=True)


def likelihood_and_plateau(corpus: list[an.NabSeries]) -> None:
    """The second follow-up: Numenta's anomaly likelihood as a post-processor, and the plateau rule."""
    b = B3
    for plateau in (None, an.PLATEAU_WIDTH):
        rule = "NAB's best threshold" if plateau is None else f"plateau rule ±{plateau} decade"
        print(f"\n#### thresholds (and configurations) chosen on the tuning fold by: {rule}\n")
        print("| variant | standard: in-sample opt / thr held out / params held out | low FP | low FN | cpu |")
        print("|---|---|---|---|---|")
        run(corpus, "defaults (3 members, no post-processor)", b, plateau=plateau)
        for how in LikelihoodCombine:
            run(corpus, f"anomaly likelihood ({how.value}), log evidence", _al(b, how), plateau=plateau)
        for how in (LikelihoodCombine.REPLACE, LikelihoodCombine.OR, LikelihoodCombine.EXTREME_OR):
            run(corpus, f"anomaly likelihood ({how.value}), raw = ensemble score",
                _al(b, how, evidence_decades=0.0), plateau=plateau)
        run_grid(corpus, "grid × anomaly likelihood {off, replace} chosen per fold",
                 _grid_of([("", b), (", likelihood replace", _al(b, LikelihoodCombine.REPLACE))]), plateau)
        run_grid(corpus, "grid × anomaly likelihood {off, extreme_or} chosen per fold",
                 _grid_of([("", b), (", likelihood extreme_or", _al(b, LikelihoodCombine.EXTREME_OR))]), plateau)
    print()
    print("| grid | profile | in-sample (best of grid) | leave-one-category-out pooled / mean | nested 2 folds |")
    print("|---|---|---|---|---|")
    other_protocols(corpus, f"GRID (18), plateau rule ±{an.PLATEAU_WIDTH}", G3, an.PLATEAU_WIDTH)
    for w in (0.05, 0.2):
        other_protocols(corpus, f"GRID (18), plateau rule ±{w}", G3, w)


def plateau_widths(corpus: list[an.NabSeries], widths: tuple[float | None, ...] = (None, 0.05, 0.1, 0.2)) -> None:
    """The plateau rule's width: each width fixed (threshold held out / parameters held out, 2 folds),
    and the width chosen with the configuration inside each tuning fold by leave-one-category-out
    within that fold (nested; the scored fold plays no part in choosing the width)."""
    scored_by = an.score_grid(corpus, G3)
    items = an.scored(corpus, Detector.ENSEMBLE, B3)[0]
    for w in widths:
        held = an.held_out_parameters(corpus, G3, plateau=w, scored_by=scored_by)
        thr = [an._held_out(items, prof, w)[0] for prof in PROFILES]
        cells = " | ".join(f"{a:.1f} / {h.score:.1f}" for a, h in zip(thr, held, strict=True))
        print(f"| {'NAB best (0)' if w is None else f'±{w}'} | {cells} |", flush=True)
    for prof in PROFILES:
        tot = [0.0, 0.0, 0.0]
        picks = []
        for tune, test in (an.FOLDS, an.FOLDS[::-1]):
            inner = []
            for w in widths:
                for gi, its in enumerate(scored_by):
                    acc = [0.0, 0.0, 0.0]
                    for c in tune:
                        t, _ = an.tune_threshold([i for i in its if i.category in tune and i.category != c], prof, w)
                        acc = [a + b for a, b in zip(acc, an._fold_score([i for i in its if i.category == c], t, prof),
                                                     strict=True)]
                    inner.append((_norm(*acc), -(0.0 if w is None else w), -gi, w))
            _, _, neg_gi, w = max(inner)
            gi = -neg_gi
            t, _ = an.tune_threshold([i for i in scored_by[gi] if i.category in tune], prof, w)
            r = an._fold_score([i for i in scored_by[gi] if i.category in test], t, prof)
            tot = [a + b for a, b in zip(tot, r, strict=True)]
            picks.append(f"width {w}, {an.GRID[gi].label} -> {_norm(*r):.1f}")
        print(f"| width and configuration chosen by inner leave-one-category-out | {prof.name} "
              f"| {_norm(*tot):.1f} | {'; '.join(picks)} |", flush=True)


def _cached_cad(cache: Path) -> None:
    """CAD OSE is pure Python and slow (it does not depend on the grid): keep its scores per series in
    ``cache`` (keyed by the values' SHA-1 and the CAD parameters other than ``decades``)."""
    import hashlib

    import numpy as np

    from argus.analysis.anomaly import cad, ensemble

    cache.mkdir(parents=True, exist_ok=True)

    def cached_p(series: Any, params: Any) -> Any:
        key = hashlib.sha1(series.values.tobytes()).hexdigest()
        if replace(params, decades=an.DEFAULT_PARAMS.cad.decades) != an.DEFAULT_PARAMS.cad:
            key += hashlib.sha1(repr(replace(params, decades=0.0)).encode()).hexdigest()[:8]
        f = cache / f"{key}.npy"
        if f.exists():
            sc = np.load(f)
        else:
            sc = cad.cad_score(series, params)
            np.save(f, sc)
        return np.power(10.0, -params.decades * sc)

    ensemble.cad_p = cached_p  # type: ignore[assignment]


def _with_cad(b: AnomalyParams, decades: float) -> AnomalyParams:
    return replace(b, ensemble=replace(b.ensemble, members=(*b.ensemble.members, Detector.CAD_OSE)),
                   cad=replace(b.cad, decades=decades))


def cad_member(corpus: list[an.NabSeries]) -> None:
    """Third follow-up: CAD OSE (contextOSE in NAB's scoreboard) as a fourth member."""
    b = B3
    items, _ = an.scored(corpus, Detector.CAD_OSE, b)
    res = an.evaluate(items, b.ensemble.threshold)
    print("CAD OSE alone (optimised / threshold held out / plateau held out): "
          + "; ".join(f"{r.profile} {r.optimised_score:.1f} / {r.held_out_score:.1f} / {r.plateau_held_out_score:.1f}"
                      for r in res), flush=True)
    for plateau in (None, an.PLATEAU_WIDTH):
        rule = "NAB's best threshold" if plateau is None else f"plateau rule ±{plateau} decade"
        print(f"\n#### thresholds (and configurations) chosen on the tuning fold by: {rule}\n")
        print("| variant | standard: in-sample opt / thr held out / params held out | low FP | low FN | cpu |")
        print("|---|---|---|---|---|")
        run(corpus, "defaults (3 members)", b, plateau=plateau)
        for d in (4.0, 6.0, 8.0):
            run(corpus, f"+ cad_ose member, p = 10^(-{d:g} score)", _with_cad(b, d), plateau=plateau)
        grid = _grid_of([("", b)] + [(f", cad_ose {d:g}", _with_cad(b, d)) for d in (4.0, 6.0, 8.0)])
        run_grid(corpus, "grid × cad_ose member {off, 4, 6, 8} chosen per fold (72 points)", grid, plateau)
        print()
        print("| grid | profile | in-sample (best of grid) | leave-one-category-out pooled / mean | nested 2 folds |")
        print("|---|---|---|---|---|")
        other_protocols(corpus, f"GRID × cad_ose {{off, 4, 6, 8}} (72), {rule}", grid, plateau)


SHIFT_VARIANTS: tuple[tuple[tuple[int, ...], int, float], ...] = (
    ((20, 60), 500, 10.0), ((30, 100), 1000, 1.0), ((30, 100), 1000, 10.0), ((50, 200), 2000, 1.0),
    ((50, 200), 2000, 10.0))
"""(scales, window, weight) of the *shift* member tried in the fourth follow-up."""


def _with_shift(b: AnomalyParams, scales: tuple[int, ...], window: int, weight: float) -> AnomalyParams:
    members = (*(m for m in b.ensemble.members if m is not Detector.SHIFT), Detector.SHIFT)
    return replace(b, ensemble=replace(b.ensemble, members=members),
                   shift=replace(b.shift, scales=scales, window=window, weight=weight))


def _shift_label(sc: tuple[int, ...], w: int, wt: float) -> str:
    return f", shift {'/'.join(map(str, sc))} w{w} x{wt:g}"


def category_losses(corpus: list[an.NabSeries], label: str, base: AnomalyParams) -> None:
    """Where the standard points go, per held-out category: thresholds by the plateau rule on the other
    fold (parameters fixed); a missed window costs ``fn`` plus the detection it did not get."""
    import numpy as np

    from argus.evaluation.nab import MAX_TP, STANDARD, score_detections

    items, _ = an.scored(corpus, Detector.ENSEMBLE, base)
    for tune, test in (an.FOLDS, an.FOLDS[::-1]):
        t, _ = an.tune_threshold([i for i in items if i.category in tune], STANDARD, an.PLATEAU_WIDTH)
        for c in test:
            win = fn = fp = 0
            fpc = late = 0.0
            for it in items:
                if it.category != c:
                    continue
                w = it.weights
                d = (it.scores >= t) & w.scored
                cnt = score_detections(w, d, STANDARD)
                win, fn, fp = win + w.n_windows, fn + cnt.fn, fp + cnt.fp
                fpc -= float(np.sum(w.fp_unweighted[d & (w.window < 0)])) * STANDARD.fp
                for k in range(int(w.window.max()) + 1):
                    m = d & (w.window == k)
                    if m.any():
                        late += 1.0 - float(w.tp_unweighted[m].max()) / MAX_TP
            print(f"| {label} | {c} | 1 - 10^-{-math.log10(1 - t):.2f} | {win} | {fn} | {fp} | {fpc:.2f} "
                  f"| {late:.2f} |", flush=True)


def shift_member(corpus: list[an.NabSeries]) -> None:
    """Fourth follow-up: the multi-scale level-shift member (``shift``), fixed variants and chosen per fold."""
    b = B3
    variants = [("", b)] + [(_shift_label(sc, w, wt), _with_shift(b, sc, w, wt)) for sc, w, wt in SHIFT_VARIANTS]
    grid = _grid_of(variants)
    t0 = time.process_time()
    scored_by = [an.scored(corpus, Detector.ENSEMBLE, g.params())[0] for g in grid]
    print(f"{len(grid)} configurations scored in {time.process_time() - t0:.0f} s CPU", flush=True)
    nv = len(variants)
    subsets = [[scored_by[i] for i in range(j, len(grid), nv)] for j in range(nv)]  # per variant, GRID order
    print("| ensemble | held-out category | threshold | windows | missed | FP rows | FP cost | lateness |")
    print("|---|---|---|---|---|---|---|---|")
    category_losses(corpus, "3 members", b)
    category_losses(corpus, "+ shift (new default)", an.DEFAULT_PARAMS)
    for plateau in (None, an.PLATEAU_WIDTH):
        rule = "NAB's best threshold" if plateau is None else f"plateau rule ±{plateau} decade"
        print(f"\n#### thresholds (and configurations) chosen on the tuning fold by: {rule}\n")
        print("| variant | standard: in-sample opt / thr held out / params held out | low FP | low FN | cpu |")
        print("|---|---|---|---|---|")
        for (suffix, base), sub in zip(variants, subsets, strict=True):
            held = an.held_out_parameters(corpus, list(an.GRID), plateau, scored_by=sub)
            res = an.evaluate(an.scored(corpus, Detector.ENSEMBLE, base)[0], base.ensemble.threshold)
            cells = " | ".join(f"{r.optimised_score:.1f} / "
                               f"{r.held_out_score if plateau is None else r.plateau_held_out_score:.1f} / {h.score:.1f}"
                               for r, h in zip(res, held, strict=True))
            print(f"| {'3 members (no shift)' if not suffix else '+' + suffix[2:]} | {cells} | |", flush=True)
        held = an.held_out_parameters(corpus, grid, plateau, scored_by=scored_by)
        names = ", ".join(s[2:] for s, _ in variants[1:])
        cells = " | ".join(f"— / — / {h.score:.1f}" for h in held)
        print(f"| grid × shift {{off, {names}}} chosen per fold ({len(grid)} points) | {cells} | |", flush=True)
        for h in held:
            for fc in h.folds:
                print(f"    {h.profile}, tuned on fold {fc.tuned_on} ({fc.tune_score:.1f}): {fc.config}, "
                      f"threshold {fc.threshold:.7f} -> {fc.test_score:.1f}", flush=True)
        print()
        print("| grid | profile | in-sample (best of grid) | leave-one-category-out pooled / mean | nested 2 folds |")
        print("|---|---|---|---|---|")
        other_protocols(corpus, f"GRID (18), {rule}", list(an.GRID), plateau, subsets[0])
        other_protocols(corpus, f"GRID × shift (off + {len(variants) - 1}) ({len(grid)}), {rule}", grid, plateau,
                        scored_by)
        k = next(j for j, (sc, w, wt) in enumerate(SHIFT_VARIANTS, 1)
                 if (sc, w, wt) == (an.DEFAULT_PARAMS.shift.scales, an.DEFAULT_PARAMS.shift.window,
                                    an.DEFAULT_PARAMS.shift.weight))
        other_protocols(corpus, f"GRID (18) on the new defaults (+{variants[k][0][2:]}), {rule}", list(an.GRID),
                        plateau, subsets[k])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/nab"))
    ap.add_argument("--cad-cache", type=Path, default=Path("/tmp/argus_cad_cache"),
                    help="where CAD OSE's per-series scores are kept between runs (--part cad)")
    ap.add_argument("--part", choices=("all", "first", "likelihood", "widths", "cad", "shift"), default="all",
                    help="first: the first follow-up's variants; likelihood: the anomaly-likelihood "
                         "post-processor and the plateau rule (≈ 3 min); shift: the level-shift member "
                         "(fourth follow-up, ≈ 3 CPU min)")
    ap.add_argument("--skip-category", action="append", default=[],
                    help="leave a category out of the corpus (repeat); the folds keep the others")
    args = ap.parse_args()
    G3.extend(_grid_of([("", B3)]))
    corpus = [ns for ns in an.load_corpus(args.data) if ns.name.split("/")[0] not in args.skip_category]
    if args.skip_category:
        print(f"corpus without {', '.join(args.skip_category)}: {len(corpus)} series, "
              f"{sum(len(ns.windows) for ns in corpus)} windows", flush=True)
    if args.part == "shift":
        shift_member(corpus)
        return
    if args.part == "cad":
        _cached_cad(args.cad_cache)
        cad_member(corpus)
        return
    if args.part in ("all", "widths"):
        print("| plateau half-width | standard: threshold held out / parameters held out | low FP | low FN |")
        print("|---|---|---|---|")
        plateau_widths(corpus)
    if args.part == "widths":
        return
    if args.part in ("all", "likelihood"):
        likelihood_and_plateau(corpus)
    if args.part == "likelihood":
        return
    b = B3
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
    other_protocols(corpus, "GRID (18)", G3)
    other_protocols(corpus, "GRID x entropy member {off, short 5} (36)", _grid(b, (None, 5)))


if __name__ == "__main__":
    main()
