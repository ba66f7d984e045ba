"""PR rework classifier: held-out vs in-sample figures, against a base-rate and a logistic baseline.

Writes a synthetic history (:mod:`argus.testing.delivery_history`: a KNOWN mechanism, so the figures
check leakage, calibration and the registry, not real-world accuracy), ingests it with ``argus ingest
delivery``'s use case into a fresh database, and trains with ``argus prs rework --train``'s use case.
The model is fitted on the earliest 80 % of the merged PRs by creation time (Platt scaling on the last
fifth of those), scored on the remaining 20 % (holdout) and on its own training rows (in-sample).

Usage: .venv/bin/python bench/rework_model.py [--prs 5000] [--seeds 1 2 3] [--backend sqlite|postgresql --pg-url URL]
Writes bench/results/rework_model_<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from argus.app import delivery as uc
from argus.app.runtime import Runtime
from argus.core.settings import Settings
from argus.store.migrate import upgrade
from argus.testing.databases import fresh_database
from argus.testing.delivery_history import write_history


def one(url: str, folder: Path, prs: int, seed: int) -> dict[str, object]:
    stats = write_history(folder / f"s{seed}", prs, seed=seed)
    rt = Runtime(Settings(home=folder / "home", database_url=url, default_project="bench"))  # type: ignore[arg-type]
    try:
        upgrade(rt.engine(check_schema=False))
        uc.ingest_delivery(rt, uc.IngestRequest(folder / f"s{seed}", "bench"))
        t0 = time.perf_counter()
        t = uc.train_rework(rt, uc.ReworkRequest("bench", train=True))
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        preds = uc.predict_rework(rt, uc.ReworkRequest("bench", limit=10_000, save=False))
        predict_s = time.perf_counter() - t0
    finally:
        rt.close()
    return {"seed": seed, **stats, "train_rows": t.train_rows, "holdout_rows": t.holdout_rows,
            "holdout": t.holdout, "in_sample": t.in_sample, "base_rate": t.baselines["base_rate"],
            "logistic": t.baselines["logistic"], "train_s": round(train_s, 2), "predicted_open": len(preds),
            "predict_s": round(predict_s, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prs", type=int, default=5000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default=None)
    a = ap.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            (Path(tmp) / f"db{seed}").mkdir()
            with fresh_database(Path(tmp) / f"db{seed}", a.pg_url if a.backend == "postgresql" else None,
                                prefix=f"rework{seed}_") as url:
                r = one(url, Path(tmp), a.prs, seed)
            out.append(r)

            def f(m: dict[str, object]) -> str:
                return f"AUC {m['auc']:.3f} Brier {m['brier']:.3f} ECE {m['ece']:.3f}"

            print(f"seed {seed}: {r['merged']} merged ({r['rework']} rework); holdout {r['holdout_rows']} PRs")
            print(f"  model holdout   {f(r['holdout'])}")  # type: ignore[arg-type]
            print(f"  model in-sample {f(r['in_sample'])}")  # type: ignore[arg-type]
            print(f"  logistic        {f(r['logistic'])}")  # type: ignore[arg-type]
            print(f"  base rate       {f(r['base_rate'])}")  # type: ignore[arg-type]
            print(f"  train {r['train_s']} s, predict {r['predicted_open']} open PRs {r['predict_s']} s")
    res = Path(__file__).parent / "results"
    res.mkdir(exist_ok=True)
    (res / f"rework_model_{a.backend}.json").write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
