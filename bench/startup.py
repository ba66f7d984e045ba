"""Benchmark CLI start-up: ``argus --version``, ``argus --help`` and a database command vs ``python -c pass``.

Each sample is a fresh child process (the console script of this venv), interleaved round-robin so
machine load affects every case alike; the figure is the median wall time and its ratio to the
median of ``python -c pass`` measured in the same run (the floor any Python CLI pays).

    .venv/bin/python bench/startup.py            # 15 rounds
    .venv/bin/python bench/startup.py --rounds 30

Prints ``name: median s (× python -c pass)`` lines; writes bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _argus() -> list[str]:
    script = Path(sys.executable).with_name("argus")
    return [str(script)] if script.exists() else [sys.executable, "-m", "argus.cli.app"]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ARGUS_DATABASE_URL": f"sqlite:///{tmp}/startup.db", "ARGUS_HOME": tmp,
               "COLUMNS": "80"}
        argus = _argus()
        subprocess.run([*argus, "db", "upgrade"], env=env, check=True, capture_output=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "argus --version": [*argus, "--version"],
            "argus --help": [*argus, "--help"],
            "argus gate --help": [*argus, "gate", "--help"],
            "argus db current": [*argus, "db", "current"],
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, cmd in cases.items():
                samples[name].append(_time(cmd, env))
    ref = statistics.median(samples["python -c pass"])
    result = {}
    for name, times in samples.items():
        med = statistics.median(times)
        result[name] = {"median_s": round(med, 4), "ratio": round(med / ref, 2), "rounds": len(times)}
        print(f"{name}: {med:.3f} s (× {med / ref:.1f} python -c pass)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
