"""Latency of test selection on a large synthetic suite: 10k tests, a 1M-line coverage map (not a test).

Builds a coverage.py JSON report with contexts (``--tests`` tests in modules of 20, each executing
``--lines-per-test`` lines in ``--files-per-test`` of ``--files`` source files, mostly near "its"
files), ingests it through the service into a fresh database, then times ``select_tests`` (the whole
use case: read the changed files' map rows, history, score, rank, fill the budget) for diffs touching
1, 3 and 10 files. Reference in the same run: ``json.loads`` of the report. Usage::

    .venv/bin/python bench/selection_latency.py [--tests 10000] [--lines-per-test 100] [--db-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from argus.analysis.selection.diffparse import parse_diff
from argus.analysis.selection.schemas import Budget, Mode
from argus.analysis.selection.service import ingest_map, select_tests
from argus.core.db import create_db_engine
from argus.core.settings import SelectionSettings
from argus.store.migrate import upgrade
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to


def report(tests: int, files: int, files_per_test: int, lines_per_test: int, file_lines: int,
           rng: random.Random) -> dict[str, object]:
    per_file: dict[str, dict[str, list[str]]] = {f"src/pkg/m{i}.py": {} for i in range(files)}
    names = list(per_file)
    for i in range(min(files, 4000)):
        for n in range(1, 11):  # import-time lines
            per_file[names[i]].setdefault(str(n), []).append("")
    for t in range(tests):
        ctx = f"tests/test_m{t // 20}.py::TestK::test_{t % 20}[p{t % 3}]|run"
        home = (t // 20) * files // max(1, tests // 20)
        chosen = {names[(home + rng.randrange(-3, 4)) % files] for _ in range(files_per_test * 2)}
        chosen_l = sorted(chosen)[:files_per_test]
        per = max(1, lines_per_test // len(chosen_l))
        for f in chosen_l:
            start = rng.randrange(11, max(12, file_lines - per))
            for n in range(start, start + per):
                per_file[f].setdefault(str(n), []).append(ctx)
    return {"meta": {"show_contexts": True},
            "files": {f: {"executed_lines": sorted(int(x) for x in c), "contexts": c} for f, c in per_file.items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", type=int, default=10_000)
    ap.add_argument("--files", type=int, default=2_000)
    ap.add_argument("--files-per-test", type=int, default=5)
    ap.add_argument("--lines-per-test", type=int, default=100)
    ap.add_argument("--file-lines", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db-url", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="argus-sel-lat-"))
    doc = report(args.tests, args.files, args.files_per_test, args.lines_per_test, args.file_lines, rng)
    raw = json.dumps(doc).encode()
    t0 = time.perf_counter()
    json.loads(raw)
    ref = time.perf_counter() - t0
    print(f"load average at start: {Path('/proc/loadavg').read_text().split()[0] if Path('/proc/loadavg').exists() else '?'}")
    db = tmp / "argus.db"
    url = args.db_url or f"sqlite:///{db}"
    engine = create_db_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    wal0 = db.with_name(db.name + "-wal")
    before = (db.stat().st_size if db.exists() else 0) + (wal0.stat().st_size if wal0.exists() else 0)
    with factory() as s:
        scoped_to(s, get_or_create_project(s, "bench"))
        t0 = time.perf_counter()
        res = ingest_map(s, "bench", raw, source="synthetic.json")
        s.commit()
        ingest_s = time.perf_counter() - t0
    wal = db.with_name(db.name + "-wal")
    size = (db.stat().st_size + (wal.stat().st_size if wal.exists() else 0) - before) if not args.db_url else None
    print(f"map: {res.tests} tests, {res.files} files, {res.lines:,} (test, line) pairs, {res.entries:,} rows; "
          f"report {len(raw) / 1e6:.1f} MB, stored text {res.stored_bytes / 1e6:.1f} MB"
          + (f", database growth {size / 1e6:.1f} MB" if size is not None else ""))
    print(f"ingest: {ingest_s:.2f} s (json.loads reference {ref:.2f} s; ratio {ingest_s / ref:.1f}x)")
    settings = SelectionSettings()
    for n_files in (1, 3, 10):
        files = rng.sample(range(args.files), n_files)
        diff = "".join(f"--- a/src/pkg/m{i}.py\n+++ b/src/pkg/m{i}.py\n@@ -{40 + i % 200},2 +{40 + i % 200},2 @@\n"
                       f"-a\n-b\n+c\n+d\n" for i in files)
        changed = parse_diff(diff)
        times, cpu = [], []
        for _ in range(args.repeat):
            with factory() as s:
                scoped_to(s, get_or_create_project(s, "bench"))
                t0, c0 = time.perf_counter(), time.process_time()
                _, view = select_tests(s, "bench", settings, changed, Budget(Mode.CONFIDENCE, 0.99))
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        med = statistics.median(times)
        print(f"select, {n_files} changed file(s): median {med * 1000:.0f} ms wall, "
              f"{statistics.median(cpu) * 1000:.0f} ms CPU of {args.repeat} "
              f"(ratio to json.loads reference {med / ref:.2f}); {len(view.selected)} of {view.total} selected")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
