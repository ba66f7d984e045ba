"""Benchmark ``argus simulate`` against the raw cost of writing its output.

Usage: .venv/bin/python bench/sim_generate.py [--scale small|default|large] [--repeat 1]

For each repetition: generate the scale into a temporary folder (``simulate``), then copy the
produced tree with ``shutil.copytree`` (reference: the same files and bytes written without any
simulation). Prints ``name: value unit (ratio vs reference)`` and writes
bench/results/sim_generate.json. The large scale writes ≈ 1 GB and ~190k files; it is opt-in.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from argus.sim import scale_config, simulate


def _tree(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="default", choices=["small", "default", "large"])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    cfg = scale_config(args.scale)
    best_sim = best_copy = float("inf")
    files = size = runs = commits = 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="argus-sim-bench-") as tmp:
            out = Path(tmp) / "out"
            t0 = time.perf_counter()
            summaries = simulate(cfg, out, scale=args.scale)
            best_sim = min(best_sim, time.perf_counter() - t0)
            files, size = _tree(out)
            runs = sum(s.runs for s in summaries)
            commits = sum(s.commits for s in summaries)
            t0 = time.perf_counter()
            shutil.copytree(out, Path(tmp) / "copy", symlinks=True)
            best_copy = min(best_copy, time.perf_counter() - t0)
    ratio = best_sim / best_copy if best_copy else float("nan")
    figures = {
        "scale": args.scale, "projects": cfg.projects, "tests_per_project": cfg.tests, "days": cfg.days,
        "runs": runs, "commits": commits, "files": files, "bytes": size,
        "simulate_s": round(best_sim, 3), "copy_s": round(best_copy, 3), "ratio_vs_copy": round(ratio, 2),
        "runs_per_s": round(runs / best_sim, 1),
    }
    print(f"sim_{args.scale}_generate: {best_sim:.2f} s ({ratio:.1f}x copying its {files} files, {size / 1e6:.0f} MB)")
    print(f"sim_{args.scale}_runs_per_s: {runs / best_sim:.1f} runs/s ({runs} runs, {commits} commits)")
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "sim_generate.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
