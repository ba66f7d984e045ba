"""Story-point estimator and epic forecaster: held-out vs in-sample figures against their baselines.

Writes synthetic work items (:func:`argus.testing.delivery_history.write_work_items`: a KNOWN mechanism —
points follow the size word of the title, epics resolve at their own pace — so the figures check the
method and leakage, not real-world accuracy), ingests them into a fresh database and trains both
models with the use cases of ``argus work points --train`` and ``argus work epics --train``.

Usage: .venv/bin/python bench/work_items_models.py [--epics 300] [--seeds 1 2 3]
Writes bench/results/work_items_models.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

from argus.app import delivery as uc
from argus.app.runtime import Runtime
from argus.core.settings import Settings
from argus.store.migrate import upgrade
from argus.testing.databases import fresh_database
from argus.testing.delivery_history import write_work_items


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epics", type=int, default=300)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    a = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            folder = Path(tmp) / f"s{seed}"
            stats = write_work_items(folder / "data", a.epics, seed=seed)
            with fresh_database(folder, None) as url:
                rt = Runtime(Settings(home=folder / "home", database_url=url))  # type: ignore[arg-type]
                try:
                    upgrade(rt.engine(check_schema=False))
                    uc.ingest_delivery(rt, uc.IngestRequest(folder / "data", "bench"))
                    pts = uc.work_points(rt, uc.WorkRequest("bench", train=True))
                    eps = uc.work_epics(rt, uc.WorkRequest("bench", train=True))
                finally:
                    rt.close()
            out.append({"seed": seed, **stats, "points": asdict(pts), "epics": asdict(eps)})
            print(f"seed {seed}: {stats['items']} items in {stats['epics']} epics")
            for name, t in (("points", pts), ("epics", eps)):
                print(f"  {name}: train {t.train_rows}, holdout {t.holdout_rows}")
                print(f"    holdout   {t.holdout}")
                print(f"    in-sample {t.in_sample}")
                print(f"    baseline  {t.baseline}")
    res = Path(__file__).parent / "results"
    res.mkdir(exist_ok=True)
    (res / "work_items_models.json").write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
