"""Run the reliability probe matrix (hostile values, concurrent writers, faults) on real databases.

Usage::

    .venv/bin/python bench/reliability.py                  # SQLite, plus PostgreSQL when reachable
    .venv/bin/python bench/reliability.py -k concurrency   # only probes whose name contains the text
    ARGUS_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/reliability.py

Probes live in ``bench/reliability_probes/*.py`` as ``probe_*(env)`` functions (see its
``__init__``). Each runs on a fresh database with the real ``argus`` CLI in subprocesses. Prints one
line per probe and ``N probes, M failed``; writes ``bench/results/reliability.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_probes.common import ProbeEnv, probe_env

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_base(url: str) -> str | None:
    try:
        import psycopg

        psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
        return url
    except Exception as exc:
        print(f"PostgreSQL not reachable at {url} ({type(exc).__name__}); probing SQLite only")
        return None


def discover() -> list[tuple[str, Callable[[ProbeEnv], None], tuple[str, ...] | None]]:
    """Every ``probe_*`` function of every module in ``reliability_probes``."""
    import reliability_probes

    found = []
    for info in sorted(pkgutil.iter_modules(reliability_probes.__path__), key=lambda i: i.name):
        if info.name == "common":
            continue
        mod = importlib.import_module(f"reliability_probes.{info.name}")
        dbs = getattr(mod, "DATABASES", None)
        for name in sorted(dir(mod)):
            if name.startswith("probe_"):
                found.append((f"{info.name}.{name[6:]}", getattr(mod, name), dbs))
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="", help="run only probes whose name contains this text")
    ap.add_argument("--pg-url", default=os.environ.get("ARGUS_BENCH_PG_URL", DEFAULT_PG))
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    args = ap.parse_args()
    kinds = ["sqlite"]
    pg = None if args.no_pg else _pg_base(args.pg_url)
    if pg:
        kinds.append("postgresql")
    probes = [p for p in discover() if args.k in p[0]]
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="argus-reliability-") as tmp:
        for name, fn, dbs in probes:
            for kind in kinds:
                if dbs is not None and kind not in dbs:
                    continue
                t0 = time.perf_counter()
                error = None
                try:
                    with probe_env(kind, Path(tmp), pg) as env:
                        fn(env)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    if os.environ.get("ARGUS_BENCH_DEBUG"):
                        traceback.print_exc()
                took = time.perf_counter() - t0
                status = "ok  " if error is None else "FAIL"
                print(f"{status} {kind:<10} {name} ({took:.1f} s)")
                if error:
                    print("     " + error.replace("\n", "\n     ")[:1500])
                results.append({"probe": name, "database": kind, "ok": error is None,
                                "seconds": round(took, 2), "error": error})
    failed = sum(1 for r in results if not r["ok"])
    print(f"{len(results)} probes, {failed} failed")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "reliability.json").write_text(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
