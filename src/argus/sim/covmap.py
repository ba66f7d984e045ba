"""A per-test coverage map of a simulated project, in coverage.py's JSON format with contexts.

What ``pytest --cov --cov-context=test`` then ``coverage json --show-contexts`` would report for the
Python half of a simulated project at one commit, following the simulator's test→module map:

* module-level lines (imports, constants, ``def`` lines) run at import, outside any test: the empty
  context;
* a test executes the body of some functions of the modules it exercises — each function of its own
  module with probability ``own_share`` (at least one), of a shared module with ``shared_share``,
  decided by a stable hash of (test, file, function), so the same test covers the same functions as
  the file evolves;
* ``must_cover`` names (test id → ``path:line``) lines a test is known to execute: the function
  holding the line is covered for it. The simulator's planted regressions break tests *through*
  the changed code, so a map measured on the parent of a regression's inducing commit lists the
  broken tests on the changed lines (``bench/eval_sim_selection.py`` passes them; nothing else
  reads the ground truth).

Only pytest tests appear (Surefire tests have no coverage.py contexts); code does not run, so this
is a model of a trace, like the Cobertura reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from argus.sim.code import is_executable
from argus.sim.rng import unit_hash


@dataclass(frozen=True)
class MapTest:
    """A pytest test as the map needs it: its node id and the source files it exercises (own first)."""

    __test__ = False

    node_id: str
    modules: tuple[str, ...]


@dataclass(frozen=True)
class _Function:
    name: str
    header: int  # 1-based line of ``def``
    body: tuple[int, ...]  # executable body lines


def _functions(lines: list[str]) -> tuple[list[_Function], list[int]]:
    """The top-level functions of a simulated Python module and its import-time executable lines."""
    funcs: list[_Function] = []
    imp: list[int] = []
    cur: tuple[str, int, list[int]] | None = None
    in_doc = False
    for n, raw in enumerate(lines, start=1):
        s = raw.strip()
        if raw.startswith("def "):
            if cur is not None:
                funcs.append(_Function(cur[0], cur[1], tuple(cur[2])))
            cur = (raw[4:].split("(", 1)[0], n, [])
            imp.append(n)
            continue
        if raw.startswith((" ", "\t")) and cur is not None:
            if s.startswith('"""'):
                in_doc = not (s.endswith('"""') and len(s) >= 6)
                continue
            if in_doc:
                in_doc = not s.endswith('"""')
                continue
            if is_executable(raw):
                cur[2].append(n)
            continue
        if s and cur is not None:
            funcs.append(_Function(cur[0], cur[1], tuple(cur[2])))
            cur = None
        if s.startswith(("import ", "from ")) or (s and is_executable(raw) and not raw.startswith((" ", "\t"))):
            imp.append(n)
    if cur is not None:
        funcs.append(_Function(cur[0], cur[1], tuple(cur[2])))
    return funcs, imp


def coverage_map(sources: Mapping[str, str], tests: Iterable[MapTest], *, seed: int = 0, own_share: float = 0.6,
                 shared_share: float = 0.25, must_cover: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """The coverage.py JSON report (``--show-contexts``) of ``tests`` over the Python ``sources``
    (path → text) — ``{"meta": …, "files": {path: {"executed_lines": […], "contexts": {line: [ctx]}}}}``."""
    parsed = {p: _functions(text.splitlines()) for p, text in sources.items() if p.endswith(".py")}
    must: dict[tuple[str, str], set[int]] = defaultdict(set)
    for node, where in (must_cover or {}).items():
        for w in where:
            path, _, line = w.rpartition(":")
            must[(node, path)].add(int(line))
    ctx: dict[str, dict[int, list[str]]] = {p: defaultdict(list) for p in parsed}
    for p, (_funcs, imp) in parsed.items():
        for n in imp:
            ctx[p][n].append("")
    for t in tests:
        name = f"{t.node_id}|run"
        for k, path in enumerate(t.modules):
            if path not in parsed:
                continue
            funcs = parsed[path][0]
            share = own_share if k == 0 else shared_share
            picked = [f for f in funcs if unit_hash(seed, t.node_id, path, f.name) < share]
            if k == 0 and not picked and funcs:
                picked = [min(funcs, key=lambda f: unit_hash(seed, t.node_id, path, f.name))]
            lines = must.get((t.node_id, path), set())
            picked += [f for f in funcs if f not in picked and any(f.header <= n <= (f.body[-1] if f.body else
                                                                                     f.header) for n in lines)]
            for f in picked:
                for n in f.body:
                    ctx[path][n].append(name)
    files = {}
    for p in sorted(ctx):
        by_line = ctx[p]
        files[p] = {"executed_lines": sorted(by_line),
                    "contexts": {str(n): sorted(set(c)) for n, c in sorted(by_line.items())}}
    return {"meta": {"format": 3, "version": "7.6.0", "show_contexts": True, "generator": "argus simulate"},
            "files": files}
