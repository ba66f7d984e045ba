"""Score every test's chance of failing for a change, apply the rules, fill the budget (pure).

Signals (each a probability, combined by noisy-OR, see :class:`SelectParams`): the coverage map
(covers a changed line; the line runs at import and the test uses the module; covers the file only),
the static import graph (for files the map does not know, and tests it never saw), history
(co-failure with the changed files, decayed; recent failure rate; a known-flaky test's failures
discounted) and a small prior. Rules: always-run tests, new or changed tests, force-full globs and
more than ``max_changed_files`` changed files.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatch

from argus.analysis.selection.contexts import base_identity, identity_of_node
from argus.analysis.selection.datamatch import DataDocs, change_data, rank
from argus.analysis.selection.impact import (
    STAR,
    Impact,
    changed_names,
    direct_code_refs,
    direct_test_refs,
    symbol_impact,
)
from argus.analysis.selection.imports import ImportGraph
from argus.analysis.selection.ranges import decode
from argus.analysis.selection.schemas import (
    Budget,
    ChangedFile,
    CoFailure,
    CoverageIndex,
    FileStatus,
    MapEntry,
    Mode,
    Reason,
    ScoredTest,
    Selection,
    SelectParams,
    Signal,
    TestInfo,
    Uncovered,
)
from argus.analysis.selection.symbols import Func
from argus.analysis.selection.testfiles import defined_tests, is_test_file

COVERAGE_ROW = "coverage_map_entry"
RESULT_ROW = "test_result"
_MAX_LINES_SHOWN = 3


def _glob_hit(path: str, globs: Iterable[str]) -> str | None:
    name = path.rsplit("/", 1)[-1]
    for g in globs:
        if fnmatch(path, g) or ("/" not in g and fnmatch(name, g)):
            return g
    return None


def full_suite_reasons(changed: Sequence[ChangedFile], p: SelectParams) -> list[str]:
    """Why the whole suite must run (empty: it need not)."""
    out: list[str] = []
    if len(changed) > p.max_changed_files:
        out.append(f"{len(changed)} files changed (> {p.max_changed_files})")
    for f in changed:
        for path in {f.path, f.base_path}:
            g = _glob_hit(path, p.force_full_globs)
            if g is not None:
                out.append(f"{path} changed (matches {g})")
                break
    return out


def _test_file(node_id: str | None) -> str | None:
    if not node_id or "::" not in node_id:
        return None
    return node_id.split("::", 1)[0]


class _Acc:
    """Reasons gathered per test."""

    def __init__(self) -> None:
        self.reasons: dict[str, list[Reason]] = defaultdict(list)
        self.must: dict[str, str] = {}

    def add(self, test: str, r: Reason) -> None:
        self.reasons[test].append(r)


def _lines_text(file: str, lines: Sequence[int]) -> str:
    shown = ", ".join(f"{file}:{n}" for n in lines[:_MAX_LINES_SHOWN])
    more = len(lines) - _MAX_LINES_SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


def _coverage_signals(changed: Sequence[ChangedFile], index: CoverageIndex, graph: ImportGraph | None,
                      p: SelectParams, acc: _Acc, node_of: Mapping[str, str | None],
                      uncovered: list[Uncovered], notes: list[str]) -> dict[str, tuple[set[str], bool]]:
    """Add the coverage and import-graph reasons; return, per changed file the map knows, the tests that
    execute its changed lines and whether a changed line runs at import (for explaining history away)."""
    state: dict[str, tuple[set[str], bool]] = {}
    tests_by_file: dict[str, list[str]] = defaultdict(list)
    for ident, node in node_of.items():
        tf = _test_file(node)
        if tf:
            tests_by_file[tf].append(ident)
    map_modules = {_test_file(n) for n in index.tests.values()} - {None}
    for f in changed:
        if f.binary or is_test_file(f.path, p.test_globs):
            continue
        base = f.base_path
        rows = index.entries.get(base, [])
        known = base in index.files
        lines = sorted(f.old_lines) if f.status is not FileStatus.ADDED else []
        imp = {n for lo, hi in decode(index.import_lines.get(base, "")) for n in range(lo, hi + 1)}
        covered: set[int] = set()
        line_tests: set[str] = set()
        file_tests: dict[str, int | None] = {}
        for row in rows:
            spans = decode(row.ranges)
            hit = [n for n in lines if any(lo <= n <= hi for lo, hi in spans)]
            file_tests.setdefault(row.test, row.row_id)
            ev = ((COVERAGE_ROW, str(row.row_id)),) if row.row_id is not None else ()
            if hit:
                covered.update(hit)
                line_tests.add(row.test)
                pr = 1 - (1 - p.p_line) ** len(hit)
                acc.add(row.test, Reason(Signal.LINE, f"covers changed line {_lines_text(base, hit)}", pr, ev))
        if graph is not None and line_tests:
            _name_reference_signals(base, [n for n in covered if n not in imp], line_tests, graph, node_of, p, acc)
            _use_signals(base, [n for n in covered if n not in imp], line_tests, rows, graph, p, acc)
            _attribute_read_signals(base, sorted(covered), line_tests, graph, node_of, p, acc)
        import_hit = sorted(n for n in lines if n in imp)
        static = graph.importers(base) if graph is not None and base.endswith(".py") else {}
        impact = (symbol_impact(graph, base, import_hit, lambda f: is_test_file(f, p.test_globs),
                                lambda f: f in index.files and f in index.entries, f.added)
                  if import_hit and graph is not None and p.symbol_evidence else None)
        if import_hit:
            what = _lines_text(base, import_hit)
            body_tests = _definition_body_tests(import_hit, imp, rows) if p.narrow_definitions else None
            if isinstance(impact, str):
                notes.append(f"{what}: runs at import; symbol analysis not complete ({impact}): every test "
                             "using the module is at risk")
                impact = None
                if graph is not None:
                    _direct_ref_signals(base, import_hit, what, graph, static, file_tests, tests_by_file,
                                        node_of, p, acc, index)
            if impact is not None:  # the symbols the changed lines define: their users only
                _symbol_signals(impact, base, what, index, static, file_tests, tests_by_file, node_of, p, acc, graph)
            elif body_tests is not None:  # a definition's header: its callers are the tests running its body
                for t, rid in body_tests.items():
                    ev = ((COVERAGE_ROW, str(rid)),) if rid is not None else ()
                    acc.add(t, Reason(Signal.IMPORT_TIME, f"executes the definition whose header {what} runs at "
                                      "import", p.p_import_time, ev))
            elif (users := _import_time_users(base, import_hit, graph, static, p)) is not None:
                # a function body line run at import: only modules calling the function at import see it
                names, risky = users
                used = "/".join(sorted(names))
                for t, rid in file_tests.items():
                    ev = ((COVERAGE_ROW, str(rid)),) if rid is not None else ()
                    if _test_file(node_of.get(t)) in risky:
                        acc.add(t, Reason(Signal.IMPORT_TIME, f"its module uses {used} (directly or through an "
                                          f"import), whose body line {what} runs at import", p.p_import_time, ev))
                    else:
                        acc.add(t, Reason(Signal.FILE, f"executes {base}; its module does not use {used}, whose "
                                          f"body line {what} runs at import", p.p_file, ev))
                for tf, depth in static.items():
                    # a test module naming the function itself calls it while being collected (outside any
                    # test context, so the map cannot show it): its tests see the change like executors do
                    own = tf in risky and is_test_file(tf, p.test_globs) and bool(
                        names & graph.names.get(tf, frozenset())) if graph is not None else False
                    for t in tests_by_file.get(tf, ()):
                        if t not in file_tests and own:
                            acc.add(t, Reason(Signal.IMPORT_TIME, f"its module ({tf}) names {used} itself, whose "
                                              f"body line {what} runs at import", p.p_import_time))
                        elif t not in file_tests and tf in risky:
                            acc.add(t, Reason(Signal.IMPORT_TIME, f"imports {base} (depth {depth}) and uses {used}, "
                                              f"whose body line {what} runs at import", p.p_import_time_static / depth))
            else:
                for t, rid in file_tests.items():
                    ev = ((COVERAGE_ROW, str(rid)),) if rid is not None else ()
                    acc.add(t, Reason(Signal.IMPORT_TIME, f"executes {base}, whose changed line {what} runs at "
                                      "import", p.p_import_time, ev))
                for tf, depth in static.items():
                    for t in tests_by_file.get(tf, ()):
                        if t not in file_tests:
                            acc.add(t, Reason(Signal.IMPORT_TIME, f"imports {base} (depth {depth}), whose changed "
                                              f"line {what} runs at import", p.p_import_time_static / depth))
        for t, rid in file_tests.items():
            if t in line_tests:
                continue
            ev = ((COVERAGE_ROW, str(rid)),) if rid is not None else ()
            acc.add(t, Reason(Signal.FILE, f"executes {base}, not the changed lines", p.p_file, ev))
        blind: set[str] = set()
        if graph is not None and base.endswith(".py"):
            blind = _subprocess_signals(base, known, bool(import_hit), graph, tests_by_file, node_of, index,
                                        map_modules, p, acc)
        if known:  # (a test running the file in an unmeasured child: the map cannot explain its history away)
            state[base] = (line_tests | blind, bool(import_hit))
        missing = [n for n in lines if n not in covered and n not in imp]
        if known and missing and base.endswith(".py"):
            uncovered.append(Uncovered(base, tuple(missing)))
            if graph is not None and p.uncovered_fallback:
                _uncovered_fallback(base, missing, static, graph, tests_by_file, p, acc, notes)
        if not known and f.path.endswith(".py"):
            notes.append(f"{f.path}: not in the coverage map; its importers are selected by the import graph")
        for tf, depth in static.items():
            # a test of a module the map ran is known even when it executed no measured line
            for t in tests_by_file.get(tf, ()):
                if _known(t, tf, index, map_modules):
                    if not known:
                        acc.add(t, Reason(Signal.IMPORTS, f"imports {base} (depth {depth})", p.p_imports / depth))
                else:
                    acc.add(t, Reason(Signal.IMPORTS, f"imports {base} (depth {depth}); not in the coverage map",
                                      p.p_imports_unmapped / depth))
    return state


def _uncovered_fallback(base: str, missing: Sequence[int], static: Mapping[str, int], graph: ImportGraph,
                        tests_by_file: Mapping[str, list[str]], p: SelectParams, acc: _Acc, notes: list[str]) -> None:
    """Changed lines no test of the map executed (and that do not run at import): the map has no evidence
    either way, so the tests importing the module (static graph) are at risk — narrowed, when the line is
    in a function's body, to the modules that can call it (:func:`_callers_of`). Lines of an
    ``if __name__ == "__main__":`` block run only when the module runs as a program: only the tests
    running it in a subprocess (the subprocess signal) can see them."""
    as_program = [n for n in missing if graph.in_main_block(base, n)]
    other = [n for n in missing if n not in as_program]
    if as_program:
        notes.append(f"{_lines_text(base, as_program)}: covered by no test; in the module's __main__ block, so only "
                     "a test running it as a program can execute it")
    if not other:
        return
    what = _lines_text(base, other)
    reach = _callers_of(base, other, graph, static, p) if p.narrow_uncovered else None
    used = ""
    if reach is not None:
        names = reach[0]
        used = "/".join(sorted(names)[:3]) + (" …" if len(names) > 3 else "")
        notes.append(f"{what}: covered by no test; only modules using {used} can call it")
    for tf, depth in static.items():
        if reach is not None and tf not in reach[1]:
            continue
        how = f" and uses {used}" if reach is not None else ""
        for t in tests_by_file.get(tf, ()):
            acc.add(t, Reason(Signal.IMPORTS, f"imports {base} (depth {depth}){how}; changed line {what} is covered "
                              "by no test", p.p_imports / depth))


def _callers_of(base: str, lines: Sequence[int], graph: ImportGraph, static: Mapping[str, int],
                p: SelectParams) -> tuple[set[str], set[str]] | None:
    """For changed lines inside function bodies: the names through which other modules can reach them (the
    functions holding them — a method by its name — closed over the module's functions calling them) and
    the files at risk: importers of ``base`` mentioning a name, and every importer of such a non-test file.
    ``None`` (every importer is at risk) when a line is outside a function, in a dunder method, the module
    reads its own namespace, or module-level code outside its ``__main__`` block mentions a name (a
    decorator, an alias, a registry: the function may be reached without its name)."""
    fs = graph.symbols.get(base)
    if fs is None or fs.introspective:
        return None
    classes = {s.name for s in fs.stmts if s.kind == "ClassDef"}

    def key(f: Func) -> str | None:
        top = f.top
        if top not in classes:
            return top
        stmt = fs.stmt_at(f.first)
        member = next((m for m in (stmt.members if stmt else ()) if m[0] <= f.first <= m[1]), None)
        return next(iter(member[3]), None) if member is not None and len(member[3]) == 1 else None

    names: set[str] = set()
    for n in lines:
        f = fs.function_at(n)
        k = key(f) if f is not None else None
        if k is None or (k.startswith("__") and k.endswith("__")):
            return None
        names.add(k)
    grew = True
    while grew:  # functions of the module calling a name can be called instead
        grew = False
        for g in fs.funcs:
            if g.mentions & names:
                k = key(g)
                if k is None or (k.startswith("__") and k.endswith("__")):
                    return None
                if k not in names:
                    names.add(k)
                    grew = True
    for s in fs.stmts:
        if s.mentions & names and not graph.in_main_block(base, s.last):
            return None
    return names, _users_and_their_importers(names, static, graph, p)


def _users_and_their_importers(names: set[str], static: Mapping[str, int], graph: ImportGraph,
                               p: SelectParams) -> set[str]:
    """The files of ``static`` mentioning one of ``names``, and the importers of the non-test ones."""
    users = {f for f in static if names & graph.names.get(f, frozenset())}
    risky = set(users)
    for f in users:
        if not is_test_file(f, p.test_globs):
            risky.update(graph.importers(f))
    return risky


def _subprocess_signals(base: str, known: bool, at_import: bool, graph: ImportGraph, tests_by_file: Mapping[str, list[str]],
                        node_of: Mapping[str, str | None], index: CoverageIndex, map_modules: set[str | None],
                        p: SelectParams, acc: _Acc) -> set[str]:
    """Tests whose module runs ``base`` (or a module importing it) in a subprocess: the map cannot see what
    the child process executes, so the test is at risk like one the map never saw that imports ``base``.
    A run in the test's own process (``runpy``) is evidence like an import (the map sees it). A module run
    as a program executes its import-time code and its program-only code (a ``__main__`` block, a
    package's ``__main__.py``, a script's entry function): when it has none, only a changed line that runs
    at import can reach the child (``at_import``; an unknown file: any line). Returns the tests given the
    subprocess signal."""
    out: set[str] = set()
    for tf, (depth, la) in sorted(graph.runners(base).items()):
        via = "" if depth == 1 else f", which depends on {base} (depth {depth})"
        program = graph.program_lines(la)
        if known and not at_import and not program and not la.in_process:
            continue  # the child runs import-time code only, and no changed line runs at import
        measured = {row.test for f, spans in program.items() for row in index.entries.get(f, ())
                    if any(lo <= b and hi >= a for lo, hi in decode(row.ranges) for a, b in spans)} if known else set()
        fs = graph.symbols.get(tf)
        for t in tests_by_file.get(tf, ()):
            if t in measured:
                continue  # the map measured the child process (subprocess coverage): its rows are the evidence
            if "" not in la.tops:  # launched inside some functions/classes only: their tests, or tests calling them
                top = (node_of.get(t) or "").split("::")[1:2]
                key = top[0].split("[", 1)[0] if top else ""
                if key not in la.tops and not (fs is not None and fs.test_mentions(key) & la.tops):
                    continue
            if la.in_process:
                if _known(t, tf, index, map_modules):
                    if known:
                        continue
                    pr = p.p_imports / depth
                else:
                    pr = p.p_imports_unmapped / depth
                acc.add(t, Reason(Signal.IMPORTS, f"runs {la.what} in process{via}", pr))
            else:
                acc.add(t, Reason(Signal.SUBPROCESS, f"runs {la.what} in a subprocess{via}", p.p_subprocess / depth))
                out.add(t)
    return out


def _use_signals(base: str, lines: Sequence[int], tests: set[str], rows: Sequence[MapEntry], graph: ImportGraph,
                 p: SelectParams, acc: _Acc) -> None:
    """Ranking among the tests covering a changed assignment inside a function: those that also execute a
    later line reading the assigned name (where the changed value can be observed) come first."""
    fs = graph.symbols.get(base)
    if fs is None:
        return
    uses = [(n, *fs.uses[n]) for n in lines if n in fs.uses]
    if not uses:
        return
    for row in rows:
        if row.test not in tests:
            continue
        spans = decode(row.ranges)
        for n, names, later in uses:
            hit = next((u for u in later if any(lo <= u <= hi for lo, hi in spans)), None)
            if hit is not None:
                ev = ((COVERAGE_ROW, str(row.row_id)),) if row.row_id is not None else ()
                acc.add(row.test, Reason(Signal.LINE, f"executes {base}:{hit}, which reads {names} assigned by "
                                         f"changed line {base}:{n}", p.p_use, ev))
                break


def _attribute_read_signals(base: str, lines: Sequence[int], tests: set[str], graph: ImportGraph,
                            node_of: Mapping[str, str | None], p: SelectParams, acc: _Acc) -> None:
    """Ranking among the tests covering changed lines: a changed line storing an attribute (``x.a = …``)
    is observed by code reading ``.a``; a covering test whose own code reads it checks the written value
    itself (data flow from the change to the test's assertion), not only runs past it."""
    fs = graph.symbols.get(base)
    if fs is None or not fs.stores:
        return
    attrs: dict[str, int] = {}
    for n in lines:
        for a in fs.stores.get(n, ()):
            attrs.setdefault(a, n)
    if not attrs:
        return
    for t in sorted(tests):
        parts = (node_of.get(t) or "").split("::")
        ts = graph.symbols.get(parts[0]) if len(parts) > 1 else None
        if ts is None:
            continue
        said = ts.test_mentions(parts[1].split("[", 1)[0])
        hit = next((a for a in sorted(attrs) if f".{a}" in said), None)
        if hit is not None:
            acc.add(t, Reason(Signal.LINE, f"its test reads .{hit}, which changed line {base}:{attrs[hit]} stores",
                              p.p_use))


def _name_reference_signals(base: str, lines: Sequence[int], tests: set[str], graph: ImportGraph,
                            node_of: Mapping[str, str | None], p: SelectParams, acc: _Acc) -> None:
    """Ranking among the tests covering changed lines: a test whose own code names the function holding
    the line (calls it directly rather than through other code) comes first."""
    fs = graph.symbols.get(base)
    if fs is None:
        return
    names: dict[str, int] = {}
    for n in lines:
        f = fs.function_at(n)
        if f is not None and f.name:
            names.setdefault(f.name, n)
    if not names:
        return
    for t in sorted(tests):
        node = node_of.get(t) or ""
        parts = node.split("::")
        ts = graph.symbols.get(parts[0]) if len(parts) > 1 else None
        if ts is None:
            continue
        said = ts.test_mentions(parts[1].split("[", 1)[0])
        hit = next((nm for nm in names if nm in said or f".{nm}" in said), None)
        if hit is not None:
            acc.add(t, Reason(Signal.SYMBOL, f"its test names {hit}, whose body holds changed line {base}:{names[hit]}",
                              p.p_symbol_line_ref))


def _symbol_signals(impact: Impact, base: str, what: str, index: CoverageIndex, static: Mapping[str, int],
                    file_tests: Mapping[str, int | None], tests_by_file: Mapping[str, list[str]],
                    node_of: Mapping[str, str | None], p: SelectParams, acc: _Acc,
                    graph: ImportGraph | None = None) -> None:
    """Reasons from a complete symbol-level analysis of changed import-time lines (``impact``): tests
    executing code that uses the changed names, tests whose source mentions them; every other test using
    the module gets the file-level probability."""
    names = "/".join(sorted(impact.names - {STAR})[:4]) or "__all__"
    if STAR in impact.names:
        names = f"__all__ ({names})" if names != "__all__" else names
    hit: set[str] = set()
    _span_users(acc, impact.spans, index, what, p, hit)
    for tf, refs in impact.test_refs.items():
        for t in tests_by_file.get(tf, ()):
            top = (node_of.get(t) or "").split("::")[1:2]
            key = top[0].split("[", 1)[0] if top else ""
            if key in refs:
                line, name, weak = refs[key]
                pr, where = p.p_symbol_ref, f"its test ({tf}:{line}) mentions {name}"
            elif "" in refs:
                line, name, weak = refs[""]
                pr, where = p.p_symbol_module, f"its module ({tf}:{line}) mentions {name}"
            else:
                continue
            if name.startswith(("reads the", "from ")):
                at = f"{tf}:{line}" if line else tf
                where = f"its {'test' if key in refs else 'module'} ({at}) {name}"
            if weak:
                pr *= p.symbol_weak
                where += " (a name only re-exported because __all__ changed)"
            hit.add(t)
            acc.add(t, Reason(Signal.SYMBOL, f"{where}, defined by {what}, which runs at import", pr))
    # the change may raise at import, failing every importer: one test importing each such module shows it
    for risky in sorted(impact.import_risk):
        users = graph.importers(risky) if graph is not None else {}
        smoke = (min(file_tests, default=None) if risky == base else None) or min(
            (t for tf in users for t in tests_by_file.get(tf, ())), default=None)
        if smoke is not None and smoke not in hit:
            hit.add(smoke)
            acc.add(smoke, Reason(Signal.IMPORT_TIME, f"imports {risky}: shows an error raised at import by {what}",
                                  p.p_import_time))
    for t, rid in file_tests.items():
        if t not in hit:
            ev = ((COVERAGE_ROW, str(rid)),) if rid is not None else ()
            acc.add(t, Reason(Signal.FILE, f"executes {base}; neither runs nor mentions {names}, defined by {what}, "
                              "which runs at import", p.p_file, ev))
    for tf, depth in static.items():
        for t in tests_by_file.get(tf, ()):
            if t not in hit and t not in file_tests:
                acc.add(t, Reason(Signal.FILE, f"imports {base} (depth {depth}); neither runs nor mentions {names}, "
                                  f"defined by {what}, which runs at import", p.p_file))


def _direct_ref_signals(base: str, import_hit: Sequence[int], what: str, graph: ImportGraph,
                        static: Mapping[str, int], file_tests: Mapping[str, int | None],
                        tests_by_file: Mapping[str, list[str]], node_of: Mapping[str, str | None],
                        p: SelectParams, acc: _Acc, index: CoverageIndex | None = None) -> None:
    """When the symbol analysis of changed module-level bindings is not complete (the module has a
    ``__getattr__``, reads its own namespace …), every test using the module stays at risk, and among
    them those whose own test function names a changed binding (``m.X``, ``x.X``, ``"….X"``, ``X``
    imported from the module) get the symbol probability: they are the likeliest to observe it, whatever
    else the analysis could not bound; so do tests the map shows executing a function (of the module or
    of a non-test importer) whose body names a changed binding precisely (``m.X``, ``X`` imported from
    it): the import-time probability, as in the complete analysis. Ranking only: such tests are at risk
    already."""
    fs = graph.symbols.get(base)
    if fs is None:
        return
    top_level = [n for n in import_hit if not any(f.first <= n <= f.last for f in fs.funcs)]
    names = changed_names(fs, top_level) if top_level else None
    if not names:
        return
    files = {tf for tf in static if is_test_file(tf, p.test_globs)}
    files |= {tf for t in file_tests if (tf := _test_file(node_of.get(t)))}
    refs = direct_test_refs(graph, base, names, sorted(files))
    for tf, got in refs.items():
        for t in tests_by_file.get(tf, ()):
            top = (node_of.get(t) or "").split("::")[1:2]
            key = top[0].split("[", 1)[0] if top else ""
            if key in got:
                line, name = got[key]
                acc.add(t, Reason(Signal.SYMBOL, f"its test ({tf}:{line}) mentions {name}, defined by {what}, "
                                  "which runs at import", p.p_symbol_ref))
    if index is None:
        return
    code = [f for f in (base, *sorted(static)) if not is_test_file(f, p.test_globs)]
    spans = direct_code_refs(graph, base, names, code)
    at_risk = set(file_tests) | {t for tf in static for t in tests_by_file.get(tf, ())}
    _span_users(acc, spans, index, what, p, set(), at_risk)


def _span_users(acc: _Acc, spans: Mapping[str, Sequence[tuple[int, int, str]]], index: CoverageIndex, what: str,
                p: SelectParams, hit: set[str], eligible: set[str] | None = None) -> None:
    """Tests whose map rows execute one of ``spans`` (per file: line ranges using a changed name): each gets
    the import-time probability once, with the row as evidence. ``hit`` collects them; ``eligible`` limits
    them (none: any test)."""
    for file, unordered in spans.items():
        used = sorted(unordered)  # the first span a row executes names the reason: the same on every run
        for row in index.entries.get(file, []):
            if row.test in hit or (eligible is not None and row.test not in eligible):
                continue
            sp = decode(row.ranges)
            use = next(((lo, hi, n) for lo, hi, n in used if any(a <= hi and b >= lo for a, b in sp)), None)
            if use is None:
                continue
            hit.add(row.test)
            ev = ((COVERAGE_ROW, str(row.row_id)),) if row.row_id is not None else ()
            acc.add(row.test, Reason(Signal.IMPORT_TIME, f"executes code using {use[2]} ({file}:{use[0]}-{use[1]}), "
                                     f"defined by {what}, which runs at import", p.p_import_time, ev))


def _known(test: str, test_file: str | None, index: CoverageIndex, map_modules: set[str | None]) -> bool:
    """Whether the map knows ``test``: it has rows, or its module ran under the map, or it ran at the map's
    commit (a test the map holds no line for then executed no measured line)."""
    return (test in index.tests or base_identity(test) in index.all_params or test_file in map_modules
            or test in index.ran)


def _import_time_users(base: str, lines: Sequence[int], graph: ImportGraph | None, static: Mapping[str, int],
                       p: SelectParams) -> tuple[set[str], set[str]] | None:
    """For changed lines that run at import inside the body of a module-level function (or a module-level
    class's method) — a function some module calls while being imported — the function names and the
    files at risk: those importing ``base`` that mention a name, and every importer of such a non-test
    file. ``None`` when it does not apply (no graph, a line outside any function body, or ``base``
    itself mentions a name, so any importer may run it)."""
    if graph is None or not p.narrow_import_time_calls or base not in graph.names:
        return None
    names: set[str] = set()
    for n in lines:
        at = graph.callable_at(base, n)
        if at is None or (at[0].startswith("__") and at[0].endswith("__")):
            return None  # outside a function, or a dunder method: called implicitly (``x[i]``), not by name
        names.add(at[0])
    if names & graph.names.get(base, frozenset()):
        return None
    return names, _users_and_their_importers(names, static, graph, p)


def _definition_body_tests(changed: Sequence[int], imp: set[int], rows: Sequence[MapEntry]) -> dict[str, int | None] | None:
    """Tests executing the body of the definitions whose import-time header lines changed, or ``None``
    when a changed import-time line heads no executed body (a module constant, a class attribute …).

    The body of a header at line *h* is read off the map: the lines after *h* that tests executed, up
    to the next line run at import (the next definition). A change to a ``def`` line (a default
    value, a decorator's argument) reaches only code that calls the function, i.e. runs its body.
    """
    spans = [(r, decode(r.ranges)) for r in rows]
    covered = sorted({n for _, sp in spans for lo, hi in sp for n in range(lo, hi + 1)})
    nxt_imp = sorted(imp)
    out: dict[str, int | None] = {}
    for h in changed:
        stop = next((n for n in nxt_imp if n > h), None)
        body = [n for n in covered if n > h and (stop is None or n < stop)]
        if not body:
            return None
        lo_b, hi_b = body[0], body[-1]
        for r, sp in spans:
            if any(lo <= hi_b and hi >= lo_b and any(lo <= n <= hi for n in body) for lo, hi in sp):
                out.setdefault(r.test, r.row_id)
    return out


def _test_file_rules(changed: Sequence[ChangedFile], sources: Mapping[str, str], p: SelectParams, acc: _Acc,
                     universe: dict[str, str | None]) -> None:
    """New, renamed and edited tests always run; a deleted test file's tests are dropped."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for ident in universe:
        by_base[base_identity(ident)].append(ident)
    for f in changed:
        if not is_test_file(f.path, p.test_globs):
            continue
        if f.status is FileStatus.DELETED:
            for ident, node in list(universe.items()):
                if _test_file(node) == f.path:
                    universe.pop(ident)
            continue
        src = sources.get(f.path)
        if src is None:
            continue
        for node, first, last in defined_tests(f.path, src):
            ident = identity_of_node(node)
            whole = f.status in (FileStatus.ADDED, FileStatus.RENAMED)
            touched = whole or any(first <= n <= last for n in f.new_lines)
            targets = by_base.get(base_identity(ident)) or [ident]
            for t in targets:
                universe.setdefault(t, node)
                if touched:
                    why = {FileStatus.ADDED: "new test", FileStatus.RENAMED: f"test file renamed from {f.old_path}"}
                    acc.must[t] = why.get(f.status, f"test changed ({f.path}:{first}-{last})")
                else:
                    acc.add(t, Reason(Signal.FILE, f"in changed test file {f.path}", 0.05))


def _history_signals(infos: Mapping[str, TestInfo], cofail: Iterable[CoFailure], p: SelectParams, acc: _Acc,
                     state: Mapping[str, tuple[set[str], bool]], mapped: Mapping[str, object],
                     map_modules: set[str | None] | None = None, ran: frozenset[str] = frozenset()) -> None:
    for c in cofail:
        info = infos.get(c.test)
        disc = p.flaky_discount if info is not None and info.flaky else 1.0
        st = state.get(c.file)
        # the map saw the test (or ran its module: a test that executed no measured line is known too)
        seen = c.test in mapped or c.test in ran or (map_modules is not None and info is not None
                                                     and _test_file(info.node_id) in map_modules)
        away = st is not None and not st[1] and seen and c.test not in st[0]
        if away:
            disc *= p.history_explained_away
        pr = min(0.95, p.history_weight * disc * c.failures_w / (c.changes_w + p.history_prior))
        if pr <= 0:
            continue
        flaky = " (known flaky: discounted)" if info is not None and info.flaky else ""
        if away:
            flaky += " (does not execute the changed lines now)"
        ev = tuple((RESULT_ROW, str(r)) for r in c.result_ids[:5])
        acc.add(c.test, Reason(Signal.HISTORY, f"failed {c.failures} of the last {c.changes} times {c.file} "
                               f"changed{flaky}", pr, ev))
    for ident, info in infos.items():
        if info.runs and info.failures:
            disc = p.flaky_discount if info.flaky else 1.0
            pr = p.recent_weight * disc * info.failures / info.runs
            flaky = ", known flaky" if info.flaky else ""
            ev = tuple((RESULT_ROW, str(r)) for r in info.failing_result_ids[:5])
            acc.add(ident, Reason(Signal.RECENT, f"failed {info.failures} of its last {info.runs} runs{flaky}", pr, ev))


def _noisy_or(reasons: Iterable[Reason]) -> float:
    keep = 1.0
    for r in reasons:
        keep *= 1.0 - min(max(r.p, 0.0), 1.0)
    return 1.0 - keep


def _matches(ident: str, node: str | None, patterns: Iterable[str]) -> bool:
    return any(fnmatch(ident, g) or (node is not None and fnmatch(node, g)) for g in patterns)


def score(
    changed: Sequence[ChangedFile],
    index: CoverageIndex,
    infos: Mapping[str, TestInfo],
    cofail: Iterable[CoFailure] = (),
    graph: ImportGraph | None = None,
    p: SelectParams | None = None,
    sources: Mapping[str, str] | None = None,
) -> tuple[list[ScoredTest], list[Uncovered], list[str]]:
    """Every test with its estimated failure probability and reasons, ranked (nothing selected yet)."""
    p = p or SelectParams()
    universe: dict[str, str | None] = {}
    variants: dict[str, list[str]] = defaultdict(list)
    for ident, info in infos.items():
        universe[ident] = info.node_id
        variants[base_identity(ident)].append(ident)
    for ident, node in index.tests.items():
        if ident in index.all_params and variants.get(ident):
            continue
        universe.setdefault(ident, node)
    acc = _Acc()
    uncovered: list[Uncovered] = []
    notes: list[str] = []
    _test_file_rules(changed, sources or {}, p, acc, universe)
    state = _coverage_signals(changed, index, graph, p, acc, universe, uncovered, notes)
    map_modules = {_test_file(n) for n in index.tests.values()} - {None}
    _history_signals(infos, cofail, p, acc, state, index.tests, map_modules, index.ran)
    # a map row of a test_function context stands for every parametrisation of the test
    for ident in list(acc.reasons):
        if ident in index.all_params and variants.get(ident):
            for v in variants[ident]:
                acc.reasons[v].extend(acc.reasons[ident])
            del acc.reasons[ident]
    if graph is not None and p.data_evidence:
        _data_signals(changed, graph, universe, p, acc)
    out: list[ScoredTest] = []
    for ident, node in universe.items():
        reasons = list(acc.reasons.get(ident, ()))
        # a test of a module the map ran that executed no measured line is known, not unmapped
        unmapped = bool(index.tests) and not _known(ident, _test_file(node), index, map_modules)
        if unmapped and not any(r.signal in (Signal.IMPORTS, Signal.SUBPROCESS) for r in reasons):
            reasons.append(Reason(Signal.UNMAPPED, "not in the coverage map", p.p_unmapped))
        reasons.append(Reason(Signal.PRIOR, "any test may fail", p.prior))
        must = acc.must.get(ident)
        if must is None and p.always_run and _matches(ident, node, p.always_run):
            must = "always run"
        if must is not None:
            reasons.insert(0, Reason(Signal.RULE, must, 1.0))
        reasons.sort(key=lambda r: -r.p)
        known = infos.get(ident)
        change = 1.0 if must else _noisy_or(r for r in reasons if r.signal is not Signal.RECENT)
        out.append(ScoredTest(ident, node, 1.0 if must else _noisy_or(reasons), tuple(reasons), False,
                              must is not None, known.duration_s if known else None, change))
    out.sort(key=lambda t: (-t.score, t.duration_s if t.duration_s is not None else p.default_duration_s,
                            t.identity))
    return out, uncovered, notes


_AT_RISK = (Signal.LINE, Signal.IMPORT_TIME, Signal.SYMBOL, Signal.IMPORTS)


def _data_signals(changed: Sequence[ChangedFile], graph: ImportGraph, universe: Mapping[str, str | None],
                  p: SelectParams, acc: _Acc) -> None:
    """Ranking among the tests already at risk (a line, import-time, symbol or import reason above the
    file level): those whose parameters or own literals meet the data the change touches come first
    (argus.analysis.selection.datamatch). Adds no test without other evidence."""
    lines = {f.base_path: sorted(f.old_lines) for f in changed
             if f.status is not FileStatus.ADDED and not f.binary and f.base_path.endswith(".py")
             and not is_test_file(f.path, p.test_globs) and f.old_lines}
    if not lines:
        return
    data = change_data(graph, lines, lambda f: is_test_file(f, p.test_globs))
    if not data:
        return
    docs = DataDocs(graph)
    suite = {t: docs.doc(t, node) for t, node in universe.items()}
    cands = {t: suite[t] for t, rs in acc.reasons.items()
             if t in suite and any(r.signal in _AT_RISK and r.p > p.p_file for r in rs)}
    for t, m in rank(data, cands, suite).items():
        # conditional on the change reaching the test: scaled by its strongest at-risk probability, so a
        # weakly reached test (an import at depth 2) does not leap over better-evidenced ones
        reach = max(x.p for x in acc.reasons[t] if x.signal in _AT_RISK)
        acc.add(t, Reason(Signal.DATA, m.text, min(0.95, p.p_data * m.weight * reach)))


def _pick(ranked: Sequence[ScoredTest], budget: Budget, p: SelectParams) -> list[bool]:
    n = len(ranked)
    chosen = [t.must_run for t in ranked]
    if budget.mode is Mode.BUDGET or budget.mode is Mode.MAX_TESTS:
        k = math.ceil(budget.value * n - 1e-9) if budget.mode is Mode.BUDGET else int(budget.value)
        for i in range(min(k, n)):
            chosen[i] = True
    elif budget.mode is Mode.MAX_TIME:
        spent = sum(_dur(t, p) for t, c in zip(ranked, chosen, strict=True) if c)
        for i, t in enumerate(ranked):
            if chosen[i]:
                continue
            d = _dur(t, p)
            if spent + d <= budget.value:
                chosen[i] = True
                spent += d
    elif budget.mode is Mode.CONFIDENCE:
        allowed = -math.log(budget.value) if budget.value < 1 else 0.0
        # most likely to fail because of the change first; stop when skipping the rest keeps
        # P(a skipped test fails) = 1 - prod(1 - p) within 1 - confidence
        # The evidence-free floor (the prior, "executes the file, not the changed lines") is one event of
        # the change — the map is stale or incomplete — not independent per test: it counts once (the
        # largest skipped), or a large suite's many tiny floors would add up past the allowance and fill
        # it with tests that carry no information (miss_terms)
        idx = sorted(range(n), key=lambda i: -ranked[i].change_score)
        terms = [miss_terms(ranked[i]) for i in idx]
        evid = [0.0] * (n + 1)
        floor = [0.0] * (n + 1)
        for j in range(n - 1, -1, -1):
            skip = not chosen[idx[j]]
            evid[j] = evid[j + 1] + (terms[j][0] if skip else 0.0)
            floor[j] = max(floor[j + 1], terms[j][1] if skip else 0.0)
        for j in range(n):
            if evid[j] + floor[j] <= allowed + 1e-15:
                break
            chosen[idx[j]] = True
    else:
        chosen = [True] * n
    return chosen


#: signals that say nothing about a particular test: the prior and the file level (a test executing the
#: changed file but not its changed lines fails only if the map is stale or incomplete, an event of the
#: change shared by all such tests)
_FLOOR = (Signal.PRIOR, Signal.FILE)


def miss_terms(t: ScoredTest) -> tuple[float, float]:
    """``-log(1 - p)`` of a skipped test's change score split in two: the part from its evidence and the
    part from the evidence-free floor (:data:`_FLOOR`). Safe mode sums the first over the skipped tests and
    counts the second once, as the largest one (the floor is one shared event, not one per test)."""
    if t.must_run:
        return 0.0, 0.0
    q = min(t.change_score, 1 - 1e-12)
    f = min(_noisy_or(r for r in t.reasons if r.signal in _FLOOR), q)
    total, fl = -math.log1p(-q), -math.log1p(-f)
    return max(total - fl, 0.0), fl


def _dur(t: ScoredTest, p: SelectParams) -> float:
    return t.duration_s if t.duration_s is not None else p.default_duration_s


def select(
    changed: Sequence[ChangedFile],
    index: CoverageIndex,
    infos: Mapping[str, TestInfo],
    budget: Budget,
    cofail: Iterable[CoFailure] = (),
    graph: ImportGraph | None = None,
    p: SelectParams | None = None,
    sources: Mapping[str, str] | None = None,
) -> Selection:
    """Rank every test and select the ones the budget (or a full-suite rule) allows."""
    p = p or SelectParams()
    ranked, uncovered, notes = score(changed, index, infos, cofail, graph, p, sources)
    full = full_suite_reasons(changed, p)
    mode = Mode.FULL if full else budget.mode
    chosen = [True] * len(ranked) if full else _pick(ranked, budget, p)
    tests = tuple(ScoredTest(t.identity, t.node_id, t.score, t.reasons, c, t.must_run, t.duration_s, t.change_score)
                  for t, c in zip(ranked, chosen, strict=True))
    evid, floor = 0.0, 0.0
    for t in tests:
        if not t.selected:
            e, fl = miss_terms(t)
            evid, floor = evid + e, max(floor, fl)
    keep = math.exp(-(evid + floor))
    if not index.tests:
        notes.append("no coverage map stored: only the import graph, history and rules ranked the tests")
    return Selection(mode, budget, tests, tuple(full), tuple(uncovered), tuple(f.path for f in changed),
                     1.0 - keep, tuple(notes))


def skip_reason(t: ScoredTest) -> str:
    """The strongest reason to skip a test that was not selected."""
    strong = [r for r in t.reasons if r.signal not in (Signal.PRIOR,)]
    if not strong:
        return "executes no changed line or file and imports no changed module; no failure history with them"
    return f"ranked below the budget (score {t.score:.3g}; strongest signal: {strong[0].text})"


def apfd(order: Sequence[str], failing: set[str]) -> float | None:
    """Average percentage of faults detected of a test order (None: no failing test among ``order``)."""
    n = len(order)
    pos = [i + 1 for i, t in enumerate(order) if t in failing]
    if not pos or n == 0:
        return None
    m = len(pos)
    return 1 - sum(pos) / (n * m) + 1 / (2 * n)
