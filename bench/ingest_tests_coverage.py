"""Benchmark coverage ingestion on simulated CI runs: `argus ingest coverage` per run, in-process.

Usage: .venv/bin/python bench/ingest_tests_coverage.py --sim DIR [--project P] [--url URL]

``DIR`` is what ``argus simulate`` (or ``argus demo``) wrote, e.g. ``argus-demo/sim``. For every run
of the project (default: the first) with a ``coverage.xml``, in order, runs the real command
``argus ingest coverage FILE -p P --commit C --branch B --run-id R --attempt A --job J --json`` in
this process (as ``argus demo`` does) into a fresh database (SQLite in a temp dir unless ``--url``),
then times parsing alone and a raw pyexpat parse (no handlers) of the same bytes as the reference.

Prints ``name: value unit (ratio vs reference)`` lines (wall and this process's CPU seconds: the
machine is shared, CPU is steadier) and writes bench/results/ingest_tests_coverage.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.parsers import expat

from argus.cli.app import main as argus_main
from argus.cli.context import CliState
from argus.core.settings import load_settings
from argus.ingest.coverage import parse_coverage
from argus.store.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]


def _runs(sim: Path, project: str | None) -> tuple[str, list[tuple[Path, dict[str, Any]]]]:
    manifest = json.loads((sim / "manifest.json").read_text())
    project = project or manifest["runs"][0]["project"]
    out = []
    for r in manifest["runs"]:
        if r["project"] != project:
            continue
        path = sim / r["path"]
        meta = json.loads((path / "run.json").read_text())
        cov = meta["reports"].get("coverage")
        if cov:
            out.append((path / cov, meta))
    return project, out


def _timed(fn: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", type=Path, required=True, help="folder written by argus simulate / argus demo")
    ap.add_argument("--project", help="project slug (default: the first in the manifest)")
    ap.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    project, runs = _runs(args.sim, args.project)
    if not runs:
        raise SystemExit(f"no coverage reports for {project} under {args.sim}")
    datas = [p.read_bytes() for p, _ in runs]
    mb = sum(len(d) for d in datas) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        state = CliState(_settings=load_settings(database_url=url, home=Path(tmp)))
        upgrade(state.engine(check_schema=False))

        def ingest() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                for path, m in runs:
                    code = argus_main([
                        "ingest", "coverage", str(path), "-p", project, "--commit", m["commit"],
                        "--branch", m["branch"], "--run-id", str(m["run_id"]), "--attempt", str(m["attempt"]),
                        "--job", m["job"], "--json",
                    ], cli_state=state)
                    if code != 0:
                        raise SystemExit(f"argus ingest coverage {path} exited {code}")

        ingest_wall, ingest_cpu = _timed(ingest)
        state.close()

    def raw() -> None:
        for d in datas:
            expat.ParserCreate().Parse(d, True)

    raw_wall, raw_cpu = _timed(raw)
    parse_wall, parse_cpu = _timed(lambda: [parse_coverage(d, "bench") for d in datas])
    n = len(runs)
    figures = {
        "project": project, "files": n, "megabytes": round(mb, 2),
        "raw_parse": {"seconds": raw_wall, "cpu_s": raw_cpu},
        "argus_parse": {"seconds": parse_wall, "cpu_s": parse_cpu, "cpu_ratio_vs_raw": parse_cpu / raw_cpu},
        "ingest": {"seconds": ingest_wall, "cpu_s": ingest_cpu, "cpu_ratio_vs_raw": ingest_cpu / raw_cpu,
                   "ms_per_file": 1000 * ingest_wall / n},
    }
    print(f"input: {project}, {n} coverage.xml files, {mb:.1f} MB")
    print(f"raw_parse: {raw_wall:.2f} s (CPU {raw_cpu:.2f} s; pyexpat without handlers, the reference)")
    print(f"argus_parse: {parse_wall:.2f} s (CPU {parse_cpu:.2f} s = {parse_cpu / raw_cpu:.1f}x raw parse CPU)")
    print(f"ingest: {ingest_wall:.2f} s, {1000 * ingest_wall / n:.0f} ms/file "
          f"(CPU {ingest_cpu:.2f} s = {ingest_cpu / raw_cpu:.1f}x raw parse CPU)")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_tests_coverage.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
