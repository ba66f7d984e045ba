"""Interval coverage of Argus's forecasts on a simulated CI history (issue 20: "measured by backtesting
on the NAB series and the simulator").

Reads a database a simulated world was ingested into (``make demo`` / ``argus demo`` leaves one at
``argus-demo/argus.db``; ``argus simulate`` + ``argus ingest`` make others), derives the series Argus
derives itself (build duration, failed tests, failure velocity per CI job, flaky tests, coverage, the
slowest tests' durations: ``argus.analysis.anomaly.queries.derived_series``) for every project, and runs
the same backtest as ``argus anomalies evaluate-forecast`` (origins over each series' second half, the
model sees the points up to the origin only; coverage of the 80 % / 95 % intervals at 3/6/12/24 h and
the point forecast's MAE against the naive last value). Nothing here was tuned on these series.

    .venv/bin/python bench/eval_sim_forecast.py --db argus-demo/argus.db [--origins 12] [--slowest 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> int:
    from argus.analysis.anomaly.queries import derived_series
    from argus.analysis.anomaly.schemas import Series
    from argus.app.runtime import Runtime
    from argus.core.settings import Settings
    from argus.evaluation.anomaly_forecast import HORIZONS_H, backtest
    from argus.evaluation.anomaly_nab import NabSeries
    from argus.jobs.service import project_slugs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="SQLite file of an ingested simulated world")
    ap.add_argument("--origins", type=int, default=12)
    ap.add_argument("--slowest", type=int, default=5, help="slowest tests whose durations are series too")
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}")
    runtime = Runtime(Settings(database_url=f"sqlite:///{args.db.resolve()}"))  # type: ignore[arg-type]
    corpus: list[NabSeries] = []
    for slug in project_slugs(runtime):
        for d in runtime.in_project(slug, lambda sc: derived_series(sc.session, args.slowest)):
            if len(d.values) < 50:
                continue
            ts = np.array([np.datetime64(t.replace(tzinfo=None), "s") for t in d.times])
            label = ",".join(f"{k}={v}" for k, v in sorted(d.labels.items()))
            corpus.append(NabSeries(f"{slug}:{d.name}{{{label}}}", Series(ts, np.asarray(d.values, float)), ()))
    result = backtest(corpus, HORIZONS_H, args.origins)
    print(f"simulator ({args.db}): {len(corpus)} series with >= 50 points, {result.series} backtested, "
          f"{result.origins} forecast origins")
    print("| horizon | forecasts | inside 80 % interval | inside 95 % interval | MAE / naive MAE |")
    print("|---|---|---|---|---|")
    for h in result.horizons:
        print(f"| {h.hours:g} h | {h.forecasts} | {100 * h.coverage80:.1f} % | {100 * h.coverage95:.1f} % "
              f"| {h.mae_ratio_naive:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
