"""Argus's forecast beside statsforecast's models, same NAB series, same origins, same run (issue 20:
"statsforecast … or a lighter model you measure against it").

statsforecast is not a dependency of Argus (≈ 330 MB with what it pulls in); run this with a Python
that has both importable, e.g. a throw-away venv with ``pip install statsforecast`` and Argus's ``src``
on ``PYTHONPATH``:

    python -m venv /tmp/sfenv && /tmp/sfenv/bin/pip install statsforecast
    PYTHONPATH=src /tmp/sfenv/bin/python bench/forecast_vs_statsforecast.py --data ../shared/datasets/nab [--origins 6]

For every series, origins spread over its second half as in ``argus anomalies evaluate-forecast``; each
model is fitted on the same last ``ForecastParams.history`` points before the origin and forecasts
3/6/12/24 h; printed per model and horizon: coverage of the 80 % / 95 % intervals, MAE against the naive
last value, and CPU per forecast. statsforecast models: AutoETS (non-seasonal: a daily season of 288
five-minute steps is beyond ETS), SeasonalNaive with a daily season (where a day of points exists).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np


def main() -> int:
    from statsforecast.models import AutoETS, SeasonalNaive

    from argus.analysis.anomaly.forecast import ForecastParams, forecast, step_seconds
    from argus.evaluation.anomaly_forecast import HORIZONS_H
    from argus.evaluation.anomaly_nab import load_corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/nab"))
    ap.add_argument("--origins", type=int, default=6)
    args = ap.parse_args()
    params = ForecastParams()
    hit80: dict[tuple[str, float], list[bool]] = defaultdict(list)
    hit95: dict[tuple[str, float], list[bool]] = defaultdict(list)
    err: dict[tuple[str, float], list[float]] = defaultdict(list)
    naive: dict[float, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    for ns in load_corpus(args.data):
        s = ns.series
        n = len(s)
        step = step_seconds(s)
        steps = {h: max(1, round(h * 3600.0 / step)) for h in HORIZONS_H}
        first, last = max(n // 2, round(3 * 86400.0 / step)), n - 1 - max(steps.values())
        if last <= first:
            continue
        day = max(1, round(86400.0 / step))
        for o in np.unique(np.linspace(first, last, args.origins).round().astype(int)):
            y = s.values[max(0, o + 1 - params.history): o + 1].astype(np.float64)
            y0 = float(s.values[o])
            actual = {h: float(s.values[o + k]) for h, k in steps.items()}
            for h in HORIZONS_H:
                naive[h].append(abs(actual[h] - y0))
            t0 = time.process_time()
            fc = forecast(s.head(int(o) + 1), HORIZONS_H, params)
            cpu["argus"].append(time.process_time() - t0)
            if fc is not None:
                for hf in fc.horizons:
                    a = actual[hf.hours]
                    hit80[("argus", hf.hours)].append(hf.low80 <= a <= hf.high80)
                    hit95[("argus", hf.hours)].append(hf.low95 <= a <= hf.high95)
                    err[("argus", hf.hours)].append(abs(a - hf.point))
            models = [("AutoETS", AutoETS(season_length=1))]
            if len(y) > 2 * day:
                models.append(("SeasonalNaive (1 day)", SeasonalNaive(season_length=day)))
            for name, model in models:
                t0 = time.process_time()
                try:
                    model.fit(y)
                    out = model.predict(h=max(steps.values()), level=[80, 95])
                except Exception as exc:  # a model that cannot fit this window is reported, not hidden
                    print(f"{ns.name} @ {o}: {name} failed: {exc}")
                    continue
                cpu[name].append(time.process_time() - t0)
                for h, k in steps.items():
                    a = actual[h]
                    hit80[(name, h)].append(bool(out["lo-80"][k - 1] <= a <= out["hi-80"][k - 1]))
                    hit95[(name, h)].append(bool(out["lo-95"][k - 1] <= a <= out["hi-95"][k - 1]))
                    err[(name, h)].append(abs(a - float(out["mean"][k - 1])))
    print("| model | horizon | forecasts | inside 80 % | inside 95 % | MAE / naive MAE | CPU ms per forecast |")
    print("|---|---|---|---|---|---|---|")
    for name in cpu:
        for h in HORIZONS_H:
            key = (name, h)
            if not hit80[key]:
                continue
            print(f"| {name} | {h:g} h | {len(hit80[key])} | {100 * np.mean(hit80[key]):.1f} % "
                  f"| {100 * np.mean(hit95[key]):.1f} % | {np.mean(err[key]) / np.mean(naive[h]):.3f} "
                  f"| {1000 * np.mean(cpu[name]):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
