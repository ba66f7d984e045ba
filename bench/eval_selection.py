"""Mutation evaluation of predictive test selection on real Python projects (not part of the test suite).

For each project (an sdist with its tests, unpacked from DIR/*.tar.gz into a scratch copy): measure the
per-test coverage map (``pytest --cov --cov-context=test``, ``coverage json --show-contexts``) and the
static import graph, then inject seeded one-line faults (``bench/selection_mutants.py``); the truth of a
mutant is the set of tests that fail on the full suite. For every faulty mutant, in order, Argus's
selection (history = the earlier mutants' outcomes) and the baselines are computed in the same run:

* random (seeded) at 10/25/50 %;
* all tests covering the changed file; all tests covering the changed line; the changed line's tests,
  or the whole suite when the line also runs at import time (``line_or_suite``);
* most-recently-failed first at 10/25/50 %;
* Argus at 10/25/50 % and safe mode (confidence 0.99), and each signal alone at 10 %.

Reported: recall of faulty changes (≥ 1 failing test selected), recall of failing tests (pooled),
mean share of the suite run, APFD of Argus's ranking. Usage::

    pip download --no-binary :all: --no-deps cachetools==5.5.0 toolz==1.0.0 idna==3.10 \
        more-itertools==10.5.0 -d /tmp/sdists
    python -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install pytest pytest-cov
    .venv/bin/python bench/eval_selection.py --sdists /tmp/sdists --python /tmp/benchenv/bin/python \
        --mutants 80 --seed 1 --out /tmp/selection-eval.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from selection_mutants import Mutant, junit_failures, run_suite, sample

from argus.analysis.selection.algo import apfd, select
from argus.analysis.selection.contexts import node_of_identity
from argus.analysis.selection.diffparse import parse_diff
from argus.analysis.selection.imports import python_files, scan
from argus.analysis.selection.mapfile import ParsedMap, parse_coverage_json
from argus.analysis.selection.ranges import lines_of
from argus.analysis.selection.schemas import (
    Budget,
    CoFailure,
    CoverageIndex,
    MapEntry,
    Mode,
    SelectParams,
    TestInfo,
)
from argus.analysis.selection.testfiles import is_test_file

BUDGETS = (0.10, 0.25, 0.50)
TEST_GLOBS = ("test_*.py", "*_test.py", "conftest.py", "tests/*", "*/tests/*", "test/*", "testing/*")


@dataclass
class Score:
    caught: int = 0
    changes: int = 0
    found: int = 0
    failing: int = 0
    share: list[float] = field(default_factory=list)

    def add(self, selected: set[str], truth: set[str], total: int) -> None:
        hit = len(selected & truth)
        self.changes += 1
        self.caught += hit > 0
        self.found += hit
        self.failing += len(truth)
        self.share.append(len(selected) / total)

    def row(self) -> dict[str, float]:
        return {"change_recall": self.caught / max(1, self.changes), "test_recall": self.found / max(1, self.failing),
                "share": statistics.fmean(self.share) if self.share else 0.0, "changes": self.changes,
                "missed_changes": self.changes - self.caught, "failing_tests": self.failing, "found_tests": self.found}


def unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as tf:
        tf.extractall(into, filter="data")
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


def _clear_pyc(root: Path) -> None:
    for d in root.rglob("__pycache__"):
        shutil.rmtree(d, ignore_errors=True)


_SITECUSTOMIZE = """\
# Written by bench/eval_selection.py --subprocess-coverage: measure a child Python process under the
# test that launched it (pytest sets PYTEST_CURRENT_TEST for the test's duration; children inherit it),
# with the project's own coverage configuration (branch or not must match the parent's data).
import os

_test = os.environ.get("PYTEST_CURRENT_TEST")
_data = os.environ.get("ARGUS_SUBPROCESS_COV_DATA")
if _test and _data:
    import coverage

    _cov = coverage.Coverage(data_file=_data, data_suffix=True, auto_data=True,
                             config_file=os.environ.get("ARGUS_SUBPROCESS_COV_CONFIG") or True,
                             source=os.environ["ARGUS_SUBPROCESS_COV_SOURCE"].split(os.pathsep),
                             context=_test.rsplit(" (", 1)[0] + "|run")
    _cov.start()
"""


def _coverage_config(root: Path) -> str | None:
    """The project's coverage configuration file (what ``coverage`` itself would read), if any."""
    marks = {".coveragerc": "", "setup.cfg": "[coverage:", "tox.ini": "[coverage:", "pyproject.toml": "[tool.coverage"}
    for name, mark in marks.items():
        f = root / name
        if f.is_file() and mark in f.read_text(encoding="utf-8", errors="replace"):
            return str(f)
    return None


def measure_map(python: str, root: Path, pp: str, cov_target: str, timeout: float,
                subprocess_cov: bool = False) -> tuple[ParsedMap, float]:
    """The per-test coverage map of the suite at ``root``. ``subprocess_cov``: child Python processes the
    tests launch are measured too, each under the launching test's context (a ``sitecustomize`` on the
    children's path starts coverage with the project's configuration; pytest-cov combines the data)."""
    import os

    env = {**os.environ, "PYTHONPATH": pp}
    if subprocess_cov:
        site = root.parent / f"{root.name}-subprocess-site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        env.update(PYTHONPATH=os.pathsep.join([str(site), str(root / pp) if pp != "." else str(root)]),
                   ARGUS_SUBPROCESS_COV_DATA=str(root / ".coverage"),
                   ARGUS_SUBPROCESS_COV_SOURCE=os.pathsep.join(str(root / t) for t in cov_target.split(",")),
                   ARGUS_SUBPROCESS_COV_CONFIG=_coverage_config(root) or "")
    t0 = time.perf_counter()
    subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--cov={cov_target}",
                    "--cov-context=test", "--cov-report="], cwd=root, env=env, capture_output=True, timeout=timeout)
    subprocess.run([python, "-m", "coverage", "json", "--show-contexts", "-o", "cov.json", "-q"], cwd=root, env=env,
                   capture_output=True, timeout=timeout, check=True)
    took = time.perf_counter() - t0
    parsed = parse_coverage_json((root / "cov.json").read_bytes(), source=str(root / "cov.json"))
    return parsed, took


def index_of(parsed: ParsedMap, ran: frozenset[str] = frozenset()) -> CoverageIndex:
    entries: dict[str, list[MapEntry]] = defaultdict(list)
    for i, ((t, f), r) in enumerate(parsed.entries.items()):
        entries[f].append(MapEntry(t, f, r, i))
    return CoverageIndex(parsed.tests, frozenset(parsed.all_params), dict(entries), parsed.import_lines,
                         frozenset(parsed.files), ran=ran)


@dataclass
class History:
    """The outcomes of the earlier mutants, as the store would hold them (one run per mutant)."""

    runs: list[tuple[str, set[str]]] = field(default_factory=list)  # (changed file, failing tests)

    def infos(self, tests: dict[str, str | None]) -> dict[str, TestInfo]:
        n = len(self.runs)
        fails: dict[str, int] = defaultdict(int)
        last: dict[str, int] = {}
        for i, (_, failing) in enumerate(self.runs):
            for t in failing:
                fails[t] += 1
                last[t] = i
        return {t: TestInfo(t, node, None, n, fails.get(t, 0), last.get(t)) for t, node in tests.items()}

    def cofail(self, files: set[str], half_life: float) -> list[CoFailure]:
        n = len(self.runs)
        cw: dict[str, float] = defaultdict(float)
        cn: dict[str, int] = defaultdict(int)
        fw: dict[tuple[str, str], float] = defaultdict(float)
        fn: dict[tuple[str, str], int] = defaultdict(int)
        for i, (f, failing) in enumerate(self.runs):
            if f not in files:
                continue
            w = 0.5 ** ((n - 1 - i) / half_life)
            cw[f] += w
            cn[f] += 1
            for t in failing:
                fw[(t, f)] += w
                fn[(t, f)] += 1
        return [CoFailure(t, f, w, cw[f], fn[(t, f)], cn[f]) for (t, f), w in fw.items()]


def evaluate_project(sdist: Path, python: str, n_mutants: int, seed: int, timeout: float, work: Path,
                     params: SelectParams, cache: Path | None = None, subprocess_cov: bool = False) -> dict[str, object]:
    name = sdist.name.replace(".tar.gz", "")
    cfile = cache / f"{name}-seed{seed}-n{n_mutants}.json" if cache is not None else None
    cached = json.loads(cfile.read_text()) if cfile is not None and cfile.exists() else None
    root = unpack(sdist, work / name)
    pp = "src" if (root / "src").is_dir() else "."
    files = {f: s for f, s in python_files(root).items()
             if not is_test_file(f, TEST_GLOBS) and not f.startswith(("docs/", "doc/", "tools/", "benchmarks/"))
             and f not in ("setup.py", "versioneer.py") and "/_version" not in f and not f.startswith(("tlz/",))}
    pkg_dirs = sorted({f.split("/")[1] if pp == "src" else f.split("/")[0] for f in files if "/" in f})
    cov_target = pp if pp == "src" else ",".join(pkg_dirs)
    if cached is not None and not subprocess_cov:
        (root / "cov.json").write_text(cached["cov_json"])
        parsed = parse_coverage_json(cached["cov_json"].encode(), source=str(root / "cov.json"))
        map_s = cached["map_s"]
    else:  # (with a cache and --subprocess-coverage: a fresh map, the cached outcomes; the cache is not written)
        parsed, map_s = measure_map(python, root, pp, cov_target, timeout, subprocess_cov)
    _clear_pyc(root)
    junit = root / "junit.xml"
    module_tests: dict[str, list[str]] = defaultdict(list)
    for t, node in parsed.tests.items():
        if node:
            module_tests[node.split("::")[0][:-3].replace("/", ".")].append(t)
    if cached is not None:
        suite_s = cached["suite_s"]
        base_fail, all_tests = set(cached["base_fail"]), set(cached["all_tests"])
    else:
        t0 = time.perf_counter()
        run_suite(python, root, pp, junit, timeout, [])
        suite_s = time.perf_counter() - t0
        base = junit_failures(junit, module_tests)
        assert base is not None, "baseline run wrote no JUnit report"
        base_fail, all_tests = base
    outcomes: list[list[str] | None] = list(cached["outcomes"]) if cached is not None else []
    t0 = time.perf_counter()
    graph = scan(root)
    graph_s = time.perf_counter() - t0
    # node ids as the store derives them for JUnit-only tests (argus.analysis.selection.queries.test_stats)
    tests = {t: parsed.tests.get(t) or node_of_identity(t) for t in all_tests}
    for t, node in parsed.tests.items():  # tests the map saw but JUnit did not (should be none)
        tests.setdefault(t, node)
    total = len(tests)
    # the unmutated suite's JUnit run is a run of the map's commit (the store's ``tests_run_at``)
    index = index_of(parsed, frozenset(all_tests))
    rng = random.Random(seed)
    mutants = sample(files, n_mutants, rng)
    hist = History()
    strategies: dict[str, Score] = defaultdict(Score)
    apfds: list[float] = []
    rows: list[dict[str, object]] = []
    stats = {"mutants": len(mutants), "timeouts": 0, "survived": 0, "faulty": 0, "import_time": 0}
    rnd = random.Random(seed + 1)
    ordered = sorted(tests)
    if cached is not None:  # a partial cache (an interrupted run) scores the mutants it measured
        mutants = mutants[:len(outcomes)]
        stats["mutants"] = len(mutants)
    for mi, m in enumerate(mutants):
        path = root / m.file
        original = path.read_text(encoding="utf-8")
        lines = original.splitlines(keepends=True)
        nl = "\n" if lines[m.line - 1].endswith("\n") else ""
        mutated = [*lines[:m.line - 1], m.new_line + nl, *lines[m.line:]]
        diff = "".join(difflib.unified_diff(lines, mutated, f"a/{m.file}", f"b/{m.file}"))
        if cached is not None:  # the suite's outcome on this mutant, measured by an earlier run
            got = outcomes[mi]
            res = (set(got), set()) if got is not None else None
            if got and mi > 0 and outcomes[mi - 1] == got and set(got) - base_fail:
                # caches written before the stale-report fix: a run that wrote no JUnit report (a conftest
                # failing to import the mutated package) kept the previous mutant's failures
                print(f"warning: {sdist.name} mutant {mi} ({m.file}:{m.line}) has the previous mutant's exact failures: "
                      "possibly a stale JUnit report; re-measure it", file=sys.stderr)
        else:
            path.write_text("".join(mutated), encoding="utf-8")
            junit.unlink(missing_ok=True)  # a run that writes no report must not read the previous mutant's
            try:
                code = run_suite(python, root, pp, junit, timeout, [])
                res = junit_failures(junit, module_tests) if code is not None else None
                if code is not None and res is None:  # no report: the suite could not start (a conftest
                    res = (set(all_tests), set())  # failing to import the mutated package): every test fails
            finally:
                path.write_text(original, encoding="utf-8")
                _clear_pyc(root)
            outcomes.append(sorted(res[0]) if res is not None else None)
            if cfile is not None:  # after every mutant: an interrupted run leaves a usable partial cache
                cfile.write_text(json.dumps({"cov_json": (root / "cov.json").read_text(), "map_s": map_s,
                                             "suite_s": suite_s, "base_fail": sorted(base_fail),
                                             "all_tests": sorted(all_tests), "outcomes": outcomes}))
        if res is None:
            stats["timeouts"] += 1
            continue
        truth = (res[0] - base_fail) & set(tests)
        if not truth:
            stats["survived"] += 1
            hist.runs.append((m.file, set()))
            continue
        stats["faulty"] += 1
        changed = parse_diff(diff)
        imp = lines_of(parsed.import_lines.get(m.file, ""))
        at_import = m.line in imp
        stats["import_time"] += at_import
        file_tests = {e.test for e in index.entries.get(m.file, [])}
        line_tests = {e.test for e in index.entries.get(m.file, []) if m.line in lines_of(e.ranges)}
        strategies["baseline: covering file"].add(file_tests, truth, total)
        strategies["baseline: covering line"].add(line_tests, truth, total)
        strategies["baseline: line, or suite at import"].add(set(tests) if at_import else line_tests, truth, total)
        infos = hist.infos(tests)
        recent = sorted(ordered, key=lambda t: (-(infos[t].last_failed if infos[t].last_failed is not None else -1),
                                                rnd.random()))
        for b in BUDGETS:
            k = max(1, round(b * total))
            strategies[f"baseline: random {b:.0%}"].add(set(rnd.sample(ordered, k)), truth, total)
            strategies[f"baseline: recently failed {b:.0%}"].add(set(recent[:k]), truth, total)
        cof = hist.cofail({m.file}, params.history_half_life_runs)
        full = select(changed, index, infos, Budget(Mode.BUDGET, 1.0), cof, graph, params)
        order = [t.identity for t in full.tests]
        a = apfd(order, truth)
        if a is not None:
            apfds.append(a)
        for b in BUDGETS:
            k = max(1, round(b * total))
            strategies[f"argus {b:.0%}"].add(set(order[:k]), truth, total)
        safe = select(changed, index, infos, Budget(Mode.CONFIDENCE, 0.99), cof, graph, params)
        safe_set = {t.identity for t in safe.selected}
        strategies["argus safe (0.99)"].add(safe_set, truth, total)
        rows.append({"file": m.file, "line": m.line, "op": m.op, "at_import": at_import, "failing": len(truth),
                     "safe_share": round(len(safe_set) / total, 4), "safe_missed": len(truth - safe_set),
                     "baseline_share": round(len(set(tests) if at_import else line_tests) / total, 4),
                     "caught_10": bool(set(order[:max(1, round(0.10 * total))]) & truth),
                     "best_rank": min(order.index(t) for t in truth) + 1,
                     "extra": [(t.identity, round(t.change_score, 8), [f"{r.text} ({r.p:.2g})" for r in t.reasons[:3]]) for t in safe.selected
                               if t.identity not in line_tests][:3],
                     # a miss at 10 %: the first failing test and what ranked above it
                     "miss_10": None if bool(set(order[:max(1, round(0.10 * total))]) & truth) else {
                         "failing": [(i + 1, t.identity, round(t.score, 6), [f"{r.text} ({r.p:.2g})" for r in t.reasons[:3]])
                                     for i, t in enumerate(full.tests) if t.identity in truth][:2],
                         "above": [(t.identity, round(t.score, 6), [f"{r.text} ({r.p:.2g})" for r in t.reasons[:3]])
                                   for t in full.tests[:5]]}})
        # each signal alone, 10 %
        k10 = max(1, round(0.10 * total))
        alone = {
            "coverage map": (index, [], None, History().infos(tests)),
            "import graph": (CoverageIndex({}), [], graph, History().infos(tests)),
            "history": (CoverageIndex({}), cof, None, infos),
        }
        for name, (idx, cf, g, inf) in alone.items():
            s = select(changed, idx, inf, Budget(Mode.BUDGET, 0.10), cf, g, params)
            picked = {t.identity for t in s.tests[:k10]}
            strategies[f"signal alone 10%: {name}"].add(picked, truth, total)
        hist.runs.append((m.file, truth))
    if cfile is not None and cached is None:
        cfile.write_text(json.dumps({"cov_json": (root / "cov.json").read_text(), "map_s": map_s, "suite_s": suite_s,
                                     "base_fail": sorted(base_fail), "all_tests": sorted(all_tests),
                                     "outcomes": outcomes}))
    return {
        "project": sdist.name.replace(".tar.gz", ""),
        "tests": total,
        "map": {"tests": len(parsed.tests), "files": len(parsed.files), "lines": parsed.lines,
                "entries": len(parsed.entries), "measure_s": round(map_s, 2)},
        "suite_s": round(suite_s, 2),
        "graph_s": round(graph_s, 3),
        "baseline_failures": len(base_fail),
        **stats,
        "apfd": round(statistics.fmean(apfds), 4) if apfds else None,
        "strategies": {k: v.row() for k, v in sorted(strategies.items())},
        "mutant_rows": rows,
        "_scores": strategies,
    }


def _table(pooled: dict[str, dict[str, float]]) -> None:
    print(f"{'strategy':42} {'changes':>8} {'tests':>7} {'share':>7}")
    for k, v in pooled.items():
        print(f"{k:42} {v['change_recall']:8.1%} {v['test_recall']:7.1%} {v['share']:7.1%}")


def _project_rows(projects: list[dict[str, object]]) -> None:
    """One markdown row per project: Argus 10 %, safe mode beside "line, or suite at import", covering
    line, random and most recently failed first at 10 %, APFD."""
    print("| project | tests | faulty | Argus 10 % | Argus 25 % | Argus 50 % | safe: caught / failing tests / share | "
          "line-or-suite: caught / failing tests / share | covering line: caught / share | random 10 % | "
          "recently failed 10 % | APFD |")
    for p in projects:
        s: dict[str, dict[str, float]] = p["strategies"]  # type: ignore[assignment]

        def c(k: str, s: dict[str, dict[str, float]] = s) -> str:
            v = s[k]
            return f"{v['change_recall']:.1%} ({int(v['changes'] - v['missed_changes'])}/{int(v['changes'])})"

        sf, ls = s["argus safe (0.99)"], s["baseline: line, or suite at import"]
        print(f"| {p['project']} | {p['tests']} | {p['faulty']} | {c('argus 10%')} | {c('argus 25%')} | "
              f"{c('argus 50%')} | {sf['change_recall']:.1%} / {sf['test_recall']:.1%} / {sf['share']:.2%} | "
              f"{ls['change_recall']:.1%} / {ls['test_recall']:.1%} / {ls['share']:.2%} | "
              f"{s['baseline: covering line']['change_recall']:.1%} / {s['baseline: covering line']['share']:.1%} | "
              f"{c('baseline: random 10%')} | {c('baseline: recently failed 10%')} | {p['apfd']} |")


def merge(paths: list[Path], out: Path | None) -> int:
    """Pool per-project runs (each a JSON written by --out) into one table (changes weigh equally)."""
    docs = [json.loads(p.read_text()) for p in paths]
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])
    projects = []
    for d in docs:
        projects += d["projects"]
        for k, v in d["pooled"].items():
            a = acc[k]
            a[0] += v["changes"]
            a[1] += v["changes"] - v["missed_changes"]
            a[2] += v["found_tests"]
            a[3] += v["failing_tests"]
            a[4] += v["share"] * v["changes"]
    pooled = {k: {"change_recall": a[1] / max(1, a[0]), "test_recall": a[2] / max(1, a[3]), "share": a[4] / max(1, a[0]),
                  "changes": a[0], "missed_changes": a[0] - a[1]} for k, a in sorted(acc.items())}
    for p in projects:
        print(f"{p['project']}: {p['tests']} tests, {p['faulty']} faulty of {p['mutants']} mutants "
              f"({p['import_time']} at import time), {p['survived']} survived, {p['timeouts']} timed out, "
              f"APFD {p['apfd']}; suite {p['suite_s']} s, map {p['map']}")
    _table(pooled)
    _project_rows(projects)
    if out:
        out.write_text(json.dumps({"projects": projects, "pooled": pooled}, indent=2))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdists", type=Path, help="directory of sdist .tar.gz files")
    ap.add_argument("--python", help="interpreter with pytest and pytest-cov")
    ap.add_argument("--mutants", type=int, default=80, help="mutants sampled per project")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--cache", type=Path, help="directory keeping each project's map and mutant outcomes; a later "
                    "run with the same seed and count re-scores them without running the suites")
    ap.add_argument("--subprocess-coverage", action="store_true", help="measure the map with the child Python "
                    "processes tests launch, each under the launching test's context (one suite run even with a "
                    "cache; the cached mutant outcomes are used and the cache is not written)")
    ap.add_argument("--merge", type=Path, nargs="+", help="pool the --out files of several runs and print the table")
    args = ap.parse_args()
    if args.merge:
        return merge(args.merge, args.out)
    if args.sdists is None or args.python is None:
        ap.error("--sdists and --python are required (unless --merge)")
    sdists = sorted(args.sdists.glob("*.tar.gz"))
    if not sdists:
        print(f"no .tar.gz in {args.sdists}", file=sys.stderr)
        return 2
    params = SelectParams()
    t0 = time.perf_counter()
    results = []
    pooled: dict[str, Score] = defaultdict(Score)
    with tempfile.TemporaryDirectory(prefix="argus-sel-") as tmp:
        for sd in sdists:
            r = evaluate_project(sd, args.python, args.mutants, args.seed, args.timeout, Path(tmp), params, args.cache,
                                 args.subprocess_coverage)
            for k, v in r.pop("_scores").items():  # type: ignore[attr-defined]
                p = pooled[k]
                p.caught += v.caught
                p.changes += v.changes
                p.found += v.found
                p.failing += v.failing
                p.share += v.share
            results.append(r)
            print(f"{r['project']}: {r['tests']} tests, {r['faulty']} faulty of {r['mutants']} mutants "
                  f"({r['import_time']} at import time), {r['survived']} survived, APFD {r['apfd']}",
                  file=sys.stderr)
    out = {"seed": args.seed, "mutants_per_project": args.mutants, "elapsed_s": round(time.perf_counter() - t0, 1),
           "projects": results, "pooled": {k: v.row() for k, v in sorted(pooled.items())},
           "params": {k: getattr(params, k) for k in ("p_line", "p_import_time", "p_file", "prior")}}
    _table(out["pooled"])  # type: ignore[arg-type]
    if args.out:
        args.out.write_text(json.dumps(out, indent=2))
    _ = replace, Mutant
    return 0


if __name__ == "__main__":
    sys.exit(main())
