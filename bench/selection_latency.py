"""Latency of test selection on a large synthetic suite: 10k tests, a 1M-line coverage map (not a test).

Builds a coverage.py JSON report with contexts (``--tests`` tests in modules of 20, each executing
``--lines-per-test`` lines in ``--files-per-test`` of ``--files`` source files, mostly near "its"
files), ingests it through the service into a fresh database, then times ``select_tests`` (the whole
use case: read the changed files' map rows, history, score, rank, fill the budget) for diffs touching
1, 3 and 10 files. Reference in the same run: ``json.loads`` of the report.

With a static import graph (the default; ``--no-graph`` skips it): the same project is also written as
a Python tree the map matches (``tree``: ``src/pkg/m<i>.py`` of ``--file-lines`` lines — imports, a
constant, ``__all__`` at lines 1–10, then functions — in layers of 100 modules, each importing two
modules of the layer below; ``tests/test_m<k>.py`` importing the modules its tests execute), and
``select_tests`` is timed the way ``argus select`` calls it (``root=`` the tree: the use case scans
the import graph and symbol facts itself, then loads the map rows of the changed files' importers),
beside the scan alone and the selection with the graph already built. The scan and the CLI path are
timed without and through the per-file scan cache (argus.analysis.selection.scancache): cold (the cache
emptied first: every file parsed and stored) and warm (every file's facts read from it). A further diff
changes an import-time line (a module constant: the symbol-level path). ``--profile`` prints the top
functions of one CLI-path selection with a warm cache; ``--uncached-cli`` also times the CLI path with the
cache off. Usage::

    .venv/bin/python bench/selection_latency.py [--tests 10000] [--lines-per-test 100] [--db-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from argus.analysis.selection.diffparse import parse_diff
from argus.analysis.selection.imports import scan
from argus.analysis.selection.readmodels import SelectionView
from argus.analysis.selection.schemas import Budget, ChangedFile, Mode
from argus.analysis.selection.service import ingest_map, select_tests
from argus.core.db import create_db_engine
from argus.core.settings import SelectionSettings
from argus.store.migrate import upgrade
from argus.store.projects import get_or_create_project
from argus.store.session import ArgusSession, make_session_factory, scoped_to


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


_LAYER = 100


def tree(root: Path, tests: int, files: int, file_lines: int) -> int:
    """Write the Python project the synthetic map describes (see the module docstring); its line count."""
    pkg = root / "src" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""The synthetic package."""\n')
    total = 1
    for i in range(files):
        layer = i // _LAYER
        deps = sorted({(layer - 1) * _LAYER + (i + d) % _LAYER for d in (0, 7)}) if layer else []
        head = [f'"""Module m{i}."""', "from __future__ import annotations", "import os",
                *(f"from pkg import m{j}" for j in deps)]
        head += [f"LIMIT_{i} = {i % 97 + 3}", f'__all__ = ["LIMIT_{i}", "f0", "f1"]']
        head += ["" for _ in range(10 - len(head))]
        body: list[str] = []
        k = 0
        while len(head) + len(body) + 10 <= file_lines:  # functions of 10 lines from line 11
            call = f"m{deps[k % len(deps)]}.f{k % 3}(x) + " if deps else ""
            body += [f"def f{k}(x, y=LIMIT_{i}):", f'    """f{k} of m{i}."""', "    total = 0",
                     "    for n in range(x):", "        if n % y == 0:", "            total += n",
                     "        else:", "            total -= 1", f"    return {call}total + len(os.sep)", ""]
            k += 1
        lines = head + body
        (pkg / f"m{i}.py").write_text("\n".join(lines) + "\n")
        total += len(lines)
    tdir = root / "tests"
    tdir.mkdir()
    for k in range(max(1, tests // 20)):
        home = k * files // max(1, tests // 20)
        mods = sorted({(home + d) % files for d in range(-3, 4)})
        lines = ["import pytest", "", *(f"from pkg import m{j}" for j in mods), "", "", "class TestK:"]
        for t in range(20):
            lines += ["    @pytest.mark.parametrize('p', [1, 2, 3])", f"    def test_{t}(self, p):",
                      f"        assert m{mods[t % len(mods)]}.f{t % 3}(p) is not None", ""]
        (tdir / f"test_m{k}.py").write_text("\n".join(lines) + "\n")
        total += len(lines)
    return total


def _timed(factory: sessionmaker[ArgusSession], settings: SelectionSettings, changed: list[ChangedFile], repeat: int,
           **kw: Any) -> tuple[float, float, SelectionView]:
    times, cpu, view = [], [], None
    for _ in range(repeat):
        with factory() as s:
            scoped_to(s, get_or_create_project(s, "bench"))
            t0, c0 = time.perf_counter(), time.process_time()
            _, view = select_tests(s, "bench", settings, changed, Budget(Mode.CONFIDENCE, 0.99), **kw)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    assert view is not None
    return statistics.median(times), statistics.median(cpu), view


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
    ap.add_argument("--no-graph", action="store_true", help="skip the runs with a static import graph")
    ap.add_argument("--graph-repeat", type=int, default=3, help="repeats of the runs that scan the tree")
    ap.add_argument("--profile", action="store_true", help="profile one CLI-path selection (10 files, warm cache)")
    ap.add_argument("--scan-cache-dir", help="directory of the per-file scan cache (default: a fresh temporary one; "
                    "emptied before each cold run)")
    ap.add_argument("--uncached-cli", action="store_true",
                    help="also time the CLI path without the scan cache (a full scan per call)")
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
    diffs: list[tuple[str, list[ChangedFile]]] = []
    for n_files in (1, 3, 10):
        files = rng.sample(range(args.files), n_files)
        diff = "".join(f"--- a/src/pkg/m{i}.py\n+++ b/src/pkg/m{i}.py\n@@ -{40 + i % 200},2 +{40 + i % 200},2 @@\n"
                       f"-a\n-b\n+c\n+d\n" for i in files)
        diffs.append((f"{n_files} changed file(s)", parse_diff(diff)))
    for label, changed in diffs:
        med, cpu, view = _timed(factory, settings, changed, args.repeat)
        print(f"select, {label}: median {med * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU of {args.repeat} "
              f"(ratio to json.loads reference {med / ref:.2f}); {len(view.selected)} of {view.total} selected")
    if not args.no_graph:
        i = rng.randrange(min(_LAYER, args.files - 1), args.files)  # a module importing the layer below
        const = (f"--- a/src/pkg/m{i}.py\n+++ b/src/pkg/m{i}.py\n@@ -7 +7 @@\n"
                 f"-LIMIT_{i} = {i % 97 + 3}\n+LIMIT_{i} = {i % 97 + 4}\n")
        diffs.append(("1 file, import-time line (a module constant)", parse_diff(const)))
        root = tmp / "repo"
        t0 = time.perf_counter()
        n_lines = tree(root, args.tests, args.files, args.file_lines)
        print(f"tree: {args.files + 1} source and {max(1, args.tests // 20)} test modules, {n_lines:,} lines "
              f"(written in {time.perf_counter() - t0:.1f} s)")
        cache_dir = Path(args.scan_cache_dir) if args.scan_cache_dir else tmp / "scan-cache"
        cached = SelectionSettings(scan_cache_dir=cache_dir)
        uncached = SelectionSettings(scan_cache=False)
        walls, cpus = [], []
        for _ in range(args.graph_repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            graph = scan(root)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        edges = sum(len(v) for v in graph.imports.values())
        print(f"scan (import graph + symbol facts), no cache: median {statistics.median(walls) * 1000:.0f} ms wall, "
              f"{statistics.median(cpus) * 1000:.0f} ms CPU of {args.graph_repeat}; {len(graph.imports)} files, {edges} edges")
        shutil.rmtree(cache_dir, ignore_errors=True)
        for label, n in (("cold", 1), ("warm", args.graph_repeat)):
            walls, cpus = [], []
            for _ in range(n):
                t0, c0 = time.perf_counter(), time.process_time()
                warm = scan(root, cache_dir)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            same = "identical graph" if warm == graph else "GRAPH DIFFERS"
            print(f"scan through the scan cache, {label}: median {statistics.median(walls) * 1000:.0f} ms wall, "
                  f"{statistics.median(cpus) * 1000:.0f} ms CPU of {n}; {same}")
        size = sum(f.stat().st_size for f in cache_dir.iterdir())
        print(f"scan cache: {size / 1e6:.1f} MB in {cache_dir}")
        for n, (label, changed) in enumerate(diffs):
            imp = sorted({len(graph.importers(f.path)) for f in changed})
            med, cpu, view = _timed(factory, settings, changed, args.repeat, graph=graph)
            print(f"select + graph built, {label}: median {med * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU; "
                  f"{len(view.selected)} of {view.total} selected; importers per changed file {imp[0]}–{imp[-1]}")
            if 0 < n < len(diffs) - 1:  # the CLI path costs a scan more: timed on the first and last diff
                continue
            if args.uncached_cli:
                med, cpu, view = _timed(factory, uncached, changed, args.graph_repeat, root=root)
                print(f"select as `argus select` (root=, scan inside), no cache, {label}: median "
                      f"{med * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU; {len(view.selected)} of {view.total} selected")
            shutil.rmtree(cache_dir, ignore_errors=True)
            for how, reps in (("cold cache", 1), ("warm cache", args.graph_repeat)):
                med, cpu, view = _timed(factory, cached, changed, reps, root=root)
                print(f"select as `argus select` (root=, scan inside), {how}, {label}: median {med * 1000:.0f} ms "
                      f"wall, {cpu * 1000:.0f} ms CPU of {reps}; {len(view.selected)} of {view.total} selected")
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            with factory() as s:
                scoped_to(s, get_or_create_project(s, "bench"))
                prof.runcall(select_tests, s, "bench", cached, diffs[2][1], Budget(Mode.CONFIDENCE, 0.99), root=root)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
