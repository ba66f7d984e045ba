"""Anomaly scoring throughput (rows/s, one core) vs the raw cost of reading the same CSV.

Input: the 34 NAB series of ``../shared/datasets/nab`` (228,257 rows), or with ``--synthetic N`` a
generated five-minute series of N rows (no dataset needed). Stages, each timed in CPU seconds of this
single-threaded process, best of ``--rounds``:

- ``read_csv``: ``read_series`` (csv module + numpy parsing) — the reference;
- ``score_<detector>``: scoring the parsed series with each detector (the ensemble runs four);
- ``end_to_end``: what ``argus anomalies score`` does: read, score with the ensemble, format the CSV.

    .venv/bin/python bench/anomaly_score.py [--data ../shared/datasets/nab] [--synthetic 500000]

Prints ``name: value unit (ratio vs reference)`` and writes bench/results/anomaly_score.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from argus.analysis.anomaly.csvio import format_value, read_series
from argus.analysis.anomaly.ensemble import score_series
from argus.analysis.anomaly.schemas import Detector, Series
from argus.evaluation.anomaly_nab import find_nab_dir


def synthetic(n: int) -> str:
    rng = np.random.default_rng(0)
    ts = (np.arange(n) * 300 + 1_396_310_400).astype("datetime64[s]")
    v = 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 288) + rng.normal(0, 1, n)
    stamps = np.datetime_as_string(ts, unit="s")
    return "timestamp,value\n" + "".join(f"{t.replace('T', ' ')},{x:.3f}\n" for t, x in zip(stamps, v, strict=True))


def best_cpu(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return max(best, 1e-9)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="NAB folder (default: shared/datasets/nab above here)")
    ap.add_argument("--synthetic", type=int, default=0, help="score a generated series of this many rows instead")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "anomaly_score.json")
    ap.add_argument("--cad-rows", type=int, nargs="*", default=[1000, 2000, 4000],
                    help="CAD OSE on the first N rows of one series (quadratic, so a few sizes)")
    args = ap.parse_args()

    if args.synthetic:
        texts = {"synthetic.csv": synthetic(args.synthetic).splitlines()}
        source = f"synthetic {args.synthetic} rows"
    else:
        root = args.data or find_nab_dir(Path(__file__).resolve().parent)
        if root is None or not (root / "data").is_dir():
            print("NAB data not found: give --data PATH or --synthetic N", file=sys.stderr)
            return 2
        texts = {str(p): p.read_text().splitlines() for p in sorted((root / "data").glob("*/*.csv"))}
        source = str(root)
    parsed: dict[str, Series] = {k: read_series(v, k) for k, v in texts.items()}
    rows = sum(len(s) for s in parsed.values())

    def read_all() -> None:
        for k, v in texts.items():
            read_series(v, k)

    def scorer(d: Detector) -> Callable[[], None]:
        def run() -> None:
            for s in parsed.values():
                score_series(s, d)
        return run

    def end_to_end() -> None:
        for k, v in texts.items():
            s = read_series(v, k)
            sc = score_series(s)
            stamps = np.datetime_as_string(s.timestamps, unit="s")
            "".join(f"{t},{format_value(x)},{y:.10g},{int(a)}\n"
                    for t, x, y, a in zip(stamps.tolist(), s.values.tolist(), sc.score.tolist(), sc.alert.tolist(),
                                          strict=True))

    stages: dict[str, Callable[[], None]] = {"read_csv": read_all}
    # CAD OSE is pure Python and quadratic in a series' length (hours on NAB): measured apart (--cad-rows).
    stages |= {f"score_{d.value}": scorer(d) for d in Detector if d is not Detector.CAD_OSE}
    stages["end_to_end"] = end_to_end
    results = {}
    ref = None
    for name, fn in stages.items():
        secs = best_cpu(fn, args.rounds)
        rate = rows / secs
        ref = ref or rate
        results[name] = {"rows_per_s": round(rate), "cpu_s": round(secs, 4), "ratio_vs_read_csv": round(rate / ref, 3)}
        print(f"{name}: {rate:,.0f} rows/s ({rate / ref:.2f}x read_csv)")
    for n in args.cad_rows:
        first = next(iter(parsed.values()))
        part = first.head(n)
        secs = best_cpu(lambda part=part: score_series(part, Detector.CAD_OSE), 1)
        rate = len(part) / secs
        results[f"score_cad_ose_{len(part)}_rows"] = {"rows_per_s": round(rate), "cpu_s": round(secs, 4),
                                                      "ratio_vs_read_csv": round(rate / (ref or rate), 5)}
        print(f"score_cad_ose, first {len(part):,} rows of one series: {rate:,.0f} rows/s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"bench": "anomaly_score", "source": source, "rows": rows, "series": len(parsed),
                                    "python": platform.python_version(), "numpy": np.__version__,
                                    "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
