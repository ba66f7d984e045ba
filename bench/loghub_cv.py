"""Leave-sets-out validation of the template miner on Loghub-2k, and the synthetic sets (eval_loghub).

Candidates: the miner's thresholds and switches (grid below) with every masking rule on, plus the
default thresholds with each masking rule switched off in turn. A fold picks the candidate with the
best mean GA on its training systems (ties: the earlier candidate; the code's default is first) and
reports GA on its held-out systems with that candidate. Nothing of a held-out system is seen before
it is scored. The masking rules and the miner's algorithm themselves were designed on all 8 shared
systems: the validation checks the choices, and the synthetic sets check the design.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import Any

from argus.analysis.failures.evaluate import grouping_accuracy
from argus.analysis.failures.miner import MinerConfig, TemplateMiner
from argus.analysis.failures.normalise import KINDS

Data = dict[str, tuple[list[str], list[str]]]


def candidates() -> list[tuple[str, MinerConfig]]:
    """The code's default first, then the grid, then the default with one masking rule off."""
    default = MinerConfig()
    out: list[tuple[str, MinerConfig]] = [("default", default)]
    for md, ratio, shapes, lead, merge, enum in itertools.product(
        (3, 5, 8), (0.3, 0.5, 0.7), (True, False), (0, 3), (True, False), (True, False)
    ):
        cfg = replace(
            default,
            variable_min_distinct=md,
            variable_distinct_ratio=ratio,
            digit_shapes=shapes,
            lead_min_words=lead,
            merge_skeletons=merge,
            enum_constants=enum,
        )
        if cfg != default:
            name = f"md={md},ratio={ratio},shapes={int(shapes)},lead={lead},merge={int(merge)},enum={int(enum)}"
            out.append((name, cfg))
    out += [(f"mask_off={kind}", replace(default, mask_off=(kind,))) for kind in KINDS]
    return out


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _pick(ga: dict[str, dict[str, float]], names: list[str], train: Sequence[str]) -> str:
    return max(names, key=lambda n: (_mean([ga[n][s] for s in train]), -names.index(n)))


def cross_validate(data: Data, drain_mean: float | None) -> dict[str, Any]:
    """Print and return leave-one-system-out and 4 + 4 cross-validated mean GA."""
    cands = candidates()
    names = [n for n, _ in cands]
    systems = sorted(data)
    ga = {
        name: {s: grouping_accuracy(data[s][1], TemplateMiner(cfg).add_messages(data[s][0])) for s in systems}
        for name, cfg in cands
    }
    loso: dict[str, dict[str, Any]] = {}
    for held in systems:
        pick = _pick(ga, names, [s for s in systems if s != held])
        loso[held] = {"picked": pick, "ga": ga[pick][held], "default_ga": ga["default"][held]}
        print(
            f"cv_loso[{held}]: {ga[pick][held]:.3f} GA held out (picked {pick}; default {ga['default'][held]:.3f})"
        )
    halves: list[float] = []
    for train in itertools.combinations(systems, len(systems) // 2):
        test = [s for s in systems if s not in train]
        pick = _pick(ga, names, train)
        halves.append(_mean([ga[pick][s] for s in test]))
    in_default = _mean(list(ga["default"].values()))
    best = _pick(ga, names, systems)
    report = {
        "candidates": len(cands),
        "loso": loso,
        "cv_loso_mean": _mean([f["ga"] for f in loso.values()]),
        "cv_loso_worst": min(f["ga"] for f in loso.values()),
        "cv_halves_mean": _mean(halves),
        "cv_halves_folds": len(halves),
        "in_sample_default_mean": in_default,
        "in_sample_best": {"name": best, "mean": _mean(list(ga[best].values()))},
        "default_config": asdict(MinerConfig()),
        "grid": ga,
    }
    ref = f" (drain3 defaults {drain_mean:.3f})" if drain_mean else ""
    print(f"cv_loso_mean: {report['cv_loso_mean']:.3f} GA held out, worst {report['cv_loso_worst']:.3f}{ref}")
    print(f"cv_halves_mean: {report['cv_halves_mean']:.3f} GA held out ({len(halves)} folds of 4 systems)")
    print(f"in_sample_default_mean: {in_default:.3f} GA (best candidate on all 8: {best}, "
          f"{report['in_sample_best']['mean']:.3f}; {len(cands)} candidates)")  # fmt: skip
    return report


def synthetic(engines: dict[str, Callable[[Sequence[str]], Sequence[Any]]]) -> dict[str, Any]:
    """Print and return GA per synthetic set and engine; log sets and CI-failure sets averaged apart."""
    from synth_logs import SETS, generate

    out: dict[str, dict[str, float]] = {name: {} for name in engines}
    for set_name in SETS:
        lines, truth = generate(set_name)
        for name, fn in engines.items():
            out[name][set_name] = grouping_accuracy(truth, list(fn(lines)))
            print(f"synthetic_ga_{set_name}[{name}]: {out[name][set_name]:.3f} GA")
    means: dict[str, dict[str, float]] = {}
    for name, per_set in out.items():
        logs = [v for k, v in per_set.items() if not k.startswith("ci_")]
        ci = [v for k, v in per_set.items() if k.startswith("ci_")]
        means[name] = {"logs": _mean(logs), "ci": _mean(ci)}
        print(f"synthetic_ga_mean[{name}]: logs {_mean(logs):.3f} GA ({len(logs)} sets), "
              f"CI failures {_mean(ci):.3f} GA ({len(ci)} sets)")  # fmt: skip
    return {"per_set": out, "means": means}
