"""Grouping accuracy (GA) of Argus's template miner vs Drain3 defaults on Loghub-2k (corrected).

GA (datasets README): a message is correct only when the set of messages in its predicted group
equals the set sharing its true EventId; GA = correct / all. Every engine runs in the same process
on the same ``Content`` column, with one configuration for all systems:

- ``argus``: all 2,000 lines of a system in one batch (``argus failures cluster -``);
- ``argus_incremental``: pages of ``--page`` lines (as successive CI runs arrive), final labels
  after template merges;
- ``drain3``: Drain3 0.9.11 with its default ``TemplateMinerConfig`` (the peer to beat);
- ``drain3_masked``: Drain3 defaults fed Argus's masked text (shows what masking alone is worth).

    .venv/bin/python bench/eval_loghub.py [--data ../shared/datasets/loghub-2k] [--no-drain] [--sweep]
        [--cv] [--synthetic]

``--sweep`` also prints mean GA over a grid of the two miner thresholds (sensitivity, not tuning:
the default configuration is fixed in the code).

``--cv`` (leave-sets-out validation, see bench/loghub_cv.py): every tunable choice — the miner's
thresholds and switches, and which masking rules are on — is picked on the training systems only
and scored on the held-out ones; leave-one-system-out (8 folds) and every 4 + 4 split (35 × 2 folds).

``--synthetic`` scores the same engines on the synthetic log and CI-failure sets of
bench/synth_logs.py (written for this project; none of the shared systems), reported apart.

Prints ``name: value unit (ratio vs reference)`` lines and writes bench/results/eval_loghub.json.
Drain3 comes from the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from argus.analysis.failures.evaluate import LOGHUB_SYSTEMS, grouping_accuracy, load_loghub
from argus.analysis.failures.miner import MinerConfig, TemplateMiner
from argus.analysis.failures.normalise import mask

sys.path.insert(0, str(Path(__file__).parent))
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "loghub-2k"
Engine = Callable[[Sequence[str]], list[int]]


def argus_labels(lines: Sequence[str], config: MinerConfig | None = None) -> list[int]:
    return TemplateMiner(config or MinerConfig()).add_messages(lines)


def incremental(page: int) -> Engine:
    def run(lines: Sequence[str]) -> list[int]:
        miner = TemplateMiner()
        labels: list[int] = []
        for i in range(0, len(lines), page):
            labels += miner.add_messages(lines[i : i + page])
        return [miner.resolve(label) for label in labels]

    return run


def _drain(lines: Sequence[str], pre: Callable[[str], str]) -> list[int]:
    from drain3 import TemplateMiner as DrainMiner
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()  # defaults; passing it avoids reading a drain3.ini from the cwd
    cfg.profiling_enabled = False
    miner = DrainMiner(config=cfg)
    # Drain's clusters absorb later lines (their template changes); the grouping is by cluster id.
    return [miner.add_log_message(pre(line))["cluster_id"] for line in lines]


def drain_labels(lines: Sequence[str]) -> list[int]:
    return _drain(lines, lambda s: s)


def drain_masked_labels(lines: Sequence[str]) -> list[int]:
    return _drain(lines, mask)


def sweep(data: dict[str, tuple[list[str], list[str]]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for md in (3, 4, 5, 6, 8):
        for ratio in (0.3, 0.5, 0.7):
            cfg = MinerConfig(variable_min_distinct=md, variable_distinct_ratio=ratio)
            ga = [grouping_accuracy(t, argus_labels(lines, cfg)) for lines, t in data.values()]
            out[f"min_distinct={md},ratio={ratio}"] = sum(ga) / len(ga)
            print(f"sweep_ga_mean[min_distinct={md},ratio={ratio}]: {sum(ga) / len(ga):.3f} GA")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="loghub-2k directory")
    ap.add_argument("--page", type=int, default=100, help="page size of the incremental run")
    ap.add_argument("--no-drain", action="store_true", help="skip the Drain3 references")
    ap.add_argument("--sweep", action="store_true", help="also print GA over a grid of thresholds")
    ap.add_argument("--cv", action="store_true", help="also run leave-sets-out cross-validation")
    ap.add_argument("--synthetic", action="store_true", help="also score the synthetic sets")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "eval_loghub.json")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"loghub-2k not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    engines: dict[str, Engine] = {"argus": argus_labels, "argus_incremental": incremental(args.page)}
    if not args.no_drain:
        engines |= {"drain3": drain_labels, "drain3_masked": drain_masked_labels}
    data = {s: load_loghub(args.data, s) for s in LOGHUB_SYSTEMS}
    results: dict[str, dict[str, float]] = {name: {} for name in engines}
    for system, (lines, truth) in data.items():
        for name, fn in engines.items():
            results[name][system] = grouping_accuracy(truth, fn(lines))
    means = {name: sum(v.values()) / len(v) for name, v in results.items()}
    for system in [*LOGHUB_SYSTEMS, "mean"]:
        ref = means.get("drain3") if system == "mean" else results.get("drain3", {}).get(system)
        for name in engines:
            value = means[name] if system == "mean" else results[name][system]
            ratio = f" ({value / ref:.3f}x drain3 {ref:.3f})" if ref and name != "drain3" else ""
            print(f"ga_{system}[{name}]: {value:.3f} GA{ratio}")
    report: dict[str, object] = {"per_system": results, "mean": means, "page": args.page}
    if args.sweep:
        report["sweep"] = sweep(data)
    if args.cv:
        from loghub_cv import cross_validate

        report["cv"] = cross_validate(data, means.get("drain3"))
    if args.synthetic:
        from loghub_cv import synthetic

        report["synthetic"] = synthetic(engines)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
