"""CPU time per forecast, this tree's ``forecast.py`` against an earlier commit's, alternately in one
process on the same NAB forecasts (the 6 origins per series of ``bench/forecast_vs_statsforecast.py``).

    .venv/bin/python bench/forecast_speed.py --data ../shared/datasets/nab --before 51d1abf [--passes 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType


def _module_at(rev: str) -> ModuleType:
    src = subprocess.run(["git", "show", f"{rev}:src/argus/analysis/anomaly/forecast.py"], check=True,
                         capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "forecast_before.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("forecast_before", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["forecast_before"] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    from argus.analysis.anomaly import forecast as now
    from argus.evaluation.anomaly_forecast import HORIZONS_H, origins_of
    from argus.evaluation.anomaly_nab import load_corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/nab"))
    ap.add_argument("--before", required=True, help="git revision of the earlier forecast.py")
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args()
    before = _module_at(args.before)
    jobs = [(ns.series, int(o)) for ns in load_corpus(args.data)
            for o in origins_of(len(ns.series), now.step_seconds(ns.series), HORIZONS_H, 6)]
    cpu = {"before": 0.0, "now": 0.0}
    for k in range(args.passes):
        order = [("before", before), ("now", now)]
        for name, mod in order if k % 2 == 0 else order[::-1]:
            t0 = time.process_time()
            for s, o in jobs:
                mod.forecast(s.head(o + 1), HORIZONS_H)
            cpu[name] += time.process_time() - t0
    for name, total in cpu.items():
        count = args.passes * len(jobs)
        print(f"{name}: {1000 * total / count:.1f} ms CPU per forecast, {count / total:.0f} forecasts/s "
              f"({count} forecasts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
