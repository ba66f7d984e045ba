"""APFD of Argus's test ordering on the simulator's planted regressions (not part of the test suite).

For each seed, ``argus simulate`` writes a world; for each planted regression whose source is Python,
the change is the inducing commit's diff (``git diff parent commit``), the truth its broken pytest
tests, the coverage map the one of the parent commit (:func:`argus.sim.covmap.coverage_map`, broken
tests executing the changed lines, every other test covering functions of its modules by the
simulator's test→module map) and the history every earlier CI run (first attempts and reruns, with
the files their commit changed). Three orders of the project's pytest tests, in the same run:

* Argus's ranking (``select`` with a 100 % budget: coverage map + history + rules; no import graph:
  the simulated code does not import what it tests);
* random (seeded);
* most recently failed first (ties in random order).

APFD (average percentage of faults detected, ``1 − Σ positions / (n·m) + 1/(2n)``) is averaged over
regressions, per seed. Usage::

    .venv/bin/python bench/eval_sim_selection.py --seeds 1 2 3 --tuning-seed 1 --out /tmp/sim-apfd.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from argus.analysis.selection.algo import apfd, select
from argus.analysis.selection.contexts import identity_of_node
from argus.analysis.selection.diffparse import parse_diff
from argus.analysis.selection.mapfile import parse_coverage_json
from argus.analysis.selection.schemas import (
    Budget,
    CoFailure,
    CoverageIndex,
    MapEntry,
    Mode,
    SelectParams,
    TestInfo,
)
from argus.sim.config import scale_config
from argus.sim.covmap import MapTest, coverage_map
from argus.sim.runner import simulate


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout.decode(
        "utf-8", "replace")


def sources_at(repo: Path, rev: str) -> dict[str, str]:
    paths = [p for p in git(repo, "ls-tree", "-r", "--name-only", rev, "src").splitlines() if p.endswith(".py")]
    return {p: git(repo, "show", f"{rev}:{p}") for p in paths}


def changed_files(repo: Path) -> dict[str, set[str]]:
    """Every commit's changed files (a merge: against its first parent)."""
    out: dict[str, set[str]] = {}
    cur = None
    for line in git(repo, "log", "--all", "--diff-merges=first-parent", "--name-only", "--format=%x01%H").splitlines():
        if line.startswith("\x01"):
            cur = line[1:]
            out[cur] = set()
        elif line and cur is not None:
            out[cur].add(line)
    return out


def index_of(report: dict[str, object]) -> CoverageIndex:
    parsed = parse_coverage_json(json.dumps(report).encode(), source="sim")
    entries: dict[str, list[MapEntry]] = defaultdict(list)
    for i, ((t, f), r) in enumerate(parsed.entries.items()):
        entries[f].append(MapEntry(t, f, r, i))
    return CoverageIndex(parsed.tests, frozenset(parsed.all_params), dict(entries), parsed.import_lines,
                         frozenset(parsed.files))


def evaluate_project(pdir: Path, seed: int, params: SelectParams) -> list[dict[str, object]]:
    truth = json.loads((pdir / "ground_truth.json").read_text())
    labels = {json.loads(ln)["run"]: json.loads(ln)["failures"]
              for ln in (pdir / "ground_truth_failures.jsonl").read_text().splitlines() if ln.strip()}
    repo = pdir / "repo"
    files_of = changed_files(repo)
    tests = [t for t in truth["tests"] if t["dialect"] == "pytest" and not t["skipped"]]
    node_of = {identity_of_node(t["id"]): t["id"] for t in tests}
    universe = sorted(node_of)
    runs = sorted(truth["runs"], key=lambda r: r["started_at"])
    out = []
    rnd = random.Random(seed)
    for reg in truth["regressions"]:
        if not reg["source"].endswith(".py") or reg["introduced_at"] is None:
            continue
        failing = {identity_of_node(t) for t in reg["tests"]} & set(node_of)
        if not failing:
            continue
        sha = reg["inducing_commit"]
        diff = git(repo, "diff", "--no-color", "-M", f"{sha}^", sha)
        changed = parse_diff(diff)
        src = next((f for f in changed if f.base_path == reg["source"]), None)
        if src is None:
            continue
        must = {t: [f"{reg['source']}:{n}" for n in src.old_lines] for t in reg["tests"] if t in {*node_of.values()}}
        report = coverage_map(sources_at(repo, f"{sha}^"), [MapTest(t["id"], tuple(t["modules"])) for t in tests],
                              seed=seed, must_cover=must)
        index = index_of(report)
        # history: the runs that started before the regression was introduced
        before = [r for r in runs if r["started_at"] < reg["introduced_at"]]
        fails: dict[str, int] = defaultdict(int)
        last: dict[str, int] = {}
        cw: dict[str, float] = defaultdict(float)
        cn: dict[str, int] = defaultdict(int)
        fw: dict[tuple[str, str], float] = defaultdict(float)
        fn: dict[tuple[str, str], int] = defaultdict(int)
        touched = {f.base_path for f in changed}
        n = len(before)
        for i, r in enumerate(before):
            failed = {identity_of_node(f["test"]) for f in labels.get(r["key"], ()) if f["outcome"] != "passed_on_rerun"}
            failed &= set(node_of)
            for t in failed:
                fails[t] += 1
                last[t] = i
            w = 0.5 ** ((n - 1 - i) / params.history_half_life_runs)
            for f in files_of.get(r["commit"], set()) & touched:
                cw[f] += w
                cn[f] += 1
                for t in failed:
                    fw[(t, f)] += w
                    fn[(t, f)] += 1
        infos = {t: TestInfo(t, node_of[t], None, n, fails.get(t, 0), last.get(t)) for t in universe}
        cof = [CoFailure(t, f, w, cw[f], fn[(t, f)], cn[f]) for (t, f), w in fw.items()]
        sel = select(changed, index, infos, Budget(Mode.BUDGET, 1.0), cof, None, params)
        argus = [t.identity for t in sel.tests if t.identity in node_of]
        rand = universe[:]
        rnd.shuffle(rand)
        recent = sorted(universe, key=lambda t: (-(last.get(t, -1)), rnd.random()))
        out.append({"project": truth["project"], "regression": reg["id"], "failing": len(failing),
                    "tests": len(universe), "history_runs": n,
                    "argus": apfd(argus, failing), "random": apfd(rand, failing),
                    "recently_failed": apfd(recent, failing)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--tuning-seed", type=int, default=1, help="the seed looked at while developing (in-sample)")
    ap.add_argument("--scale", default="default")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    params = SelectParams()
    result: dict[str, object] = {"scale": args.scale, "tuning_seed": args.tuning_seed, "seeds": {}}
    print(f"{'seed':>6} {'':9} {'regressions':>11} {'Argus':>7} {'random':>7} {'recent':>7}")
    for seed in args.seeds:
        cfg = scale_config(args.scale, seed=seed)
        with tempfile.TemporaryDirectory(prefix="argus-simsel-") as tmp:
            out = Path(tmp) / "sim"
            simulate(cfg, out, scale=args.scale)
            rows = []
            for pdir in sorted(p for p in out.iterdir() if (p / "ground_truth.json").exists()):
                rows += evaluate_project(pdir, seed, params)
        means = {k: round(statistics.fmean(float(r[k]) for r in rows), 4) if rows else None  # type: ignore[arg-type]
                 for k in ("argus", "random", "recently_failed")}
        tag = "in-sample" if seed == args.tuning_seed else "held-out"
        print(f"{seed:>6} {tag:9} {len(rows):>11} {means['argus']!s:>7} {means['random']!s:>7} "
              f"{means['recently_failed']!s:>7}")
        result["seeds"][str(seed)] = {"tag": tag, "regressions": len(rows), "apfd": means, "rows": rows}  # type: ignore[index]
    held = [r for v in result["seeds"].values() if v["tag"] == "held-out" for r in v["rows"]]  # type: ignore[attr-defined]
    if held:
        pooled = {k: round(statistics.fmean(float(r[k]) for r in held), 4) for k in ("argus", "random", "recently_failed")}
        result["held_out_pooled"] = {"regressions": len(held), "apfd": pooled}
        print(f"{'pooled':>6} {'held-out':9} {len(held):>11} {pooled['argus']!s:>7} {pooled['random']!s:>7} "
              f"{pooled['recently_failed']!s:>7}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
