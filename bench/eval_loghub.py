"""Grouping accuracy (GA) of Argus's template miner vs Drain3 defaults on Loghub-2k (corrected).

GA (datasets README): a message is correct only when the set of messages in its predicted group
equals the set sharing its true EventId; GA = correct / all. Both engines run in the same process
on the same ``Content`` column, one configuration for all systems.

    .venv/bin/python bench/eval_loghub.py [--data ../shared/datasets/loghub-2k] [--no-drain]

Prints ``name: value unit (ratio vs reference)`` lines and writes bench/results/eval_loghub.json.
Drain3 comes from the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from argus.analysis.failures.evaluate import LOGHUB_SYSTEMS as SYSTEMS
from argus.analysis.failures.evaluate import grouping_accuracy
from argus.analysis.failures.evaluate import load_loghub as load
from argus.analysis.failures.miner import TemplateMiner

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "loghub-2k"


def argus_labels(lines: Sequence[str]) -> list[int]:
    return TemplateMiner().add_messages(lines)


def drain_labels(lines: Sequence[str]) -> list[int]:
    from drain3 import TemplateMiner as DrainMiner
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()  # defaults; passing it avoids reading a drain3.ini from the cwd
    cfg.profiling_enabled = False
    miner = DrainMiner(config=cfg)
    out = [miner.add_log_message(line)["cluster_id"] for line in lines]
    # Drain's clusters can absorb later lines and change template; the final grouping is by id.
    return out


def timed(fn: Callable[[Sequence[str]], list[int]], lines: Sequence[str]) -> tuple[list[int], float]:
    t0 = time.perf_counter()
    labels = fn(lines)
    return labels, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="loghub-2k directory")
    ap.add_argument("--no-drain", action="store_true", help="skip the Drain3 reference")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "eval_loghub.json")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"loghub-2k not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    engines: dict[str, Callable[[Sequence[str]], list[int]]] = {"argus": argus_labels}
    if not args.no_drain:
        engines["drain3"] = drain_labels
    results: dict[str, dict[str, float]] = {name: {} for name in engines}
    for system in SYSTEMS:
        lines, truth = load(args.data, system)
        for name, fn in engines.items():
            labels, _ = timed(fn, lines)
            results[name][system] = grouping_accuracy(truth, labels)
        ref = results.get("drain3", {}).get(system)
        ratio = f" ({results['argus'][system] / ref:.3f}x drain3 {ref:.3f})" if ref else ""
        print(f"ga_{system}: {results['argus'][system]:.3f} GA{ratio}")
    means = {name: sum(v.values()) / len(v) for name, v in results.items()}
    ref = means.get("drain3")
    ratio = f" ({means['argus'] / ref:.3f}x drain3 {ref:.3f})" if ref else ""
    print(f"ga_mean: {means['argus']:.3f} GA{ratio}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"per_system": results, "mean": means}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
