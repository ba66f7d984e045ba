"""Symbol-level evidence for changed lines that run at import (pure).

A changed import-time line is mapped to the module-level names its statement defines (a ``def`` or
``class`` header, a decorator or default value: the function's name; a method's header: the method's
name; a constant: its targets; an import: the names it binds; ``__all__``: the module's star-export
namespace). What can observe the change:

* code that uses a name: the body of the symbol's own definition, and every function (in the module or
  in any module importing it, transitively) whose body mentions the name — tests reach it by *executing*
  that code (the coverage map);
* module-level code mentioning it (``y = f(x)``, ``from m import x as y``, ``class B(A)``, a star import):
  the names that code binds are affected in turn (a closure over names, across modules);
* test modules mentioning the name (``from m import x``, ``m.x``, a string ``"m.x"``) or reading a module's
  namespace dynamically (``vars(m)``, ``dir(m)``, ``getattr(m, …)``, ``m.__dict__``, ``from m import *``):
  the test functions that mention it (or, for module-level mentions, the whole module).

The analysis is *complete* only when every use is one of those. It is not (``None``: the caller falls back
to "every test using the module") when the changed statement is not a definition, an assignment or an
import (a call at module level, an ``if`` …); a module-level statement mentioning an affected name binds
nothing (a side effect, ``register(x)``); a module involved reads its own namespace (``globals()``,
``sys.modules``, a module ``__getattr__``, ``exec``); non-test code reads an affected module's namespace
dynamically; a conftest mentions an affected name; or code using an affected name lies in a file the
coverage map did not measure.
"""

from __future__ import annotations

import ast
import textwrap
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from argus.analysis.selection.astparse import parse_python
from argus.analysis.selection.imports import ImportGraph
from argus.analysis.selection.symbols import FileSymbols, binds_of

_OK_KINDS = {
    "FunctionDef",
    "AsyncFunctionDef",
    "ClassDef",
    "Assign",
    "AnnAssign",
    "AugAssign",
    "Import",
    "ImportFrom",
}
STAR = "*"


@dataclass
class Impact:
    """What a change to import-time lines can reach, by symbol."""

    names: set[str]  # the changed statements' names (for reasons)
    #: per file, the line spans of code using an affected name (tests executing them are at risk), with the name
    spans: dict[str, list[tuple[int, int, str]]] = field(default_factory=lambda: defaultdict(list))
    #: per test file, per top-level name (a test function or class; "" = module level): (line, name) mentioned
    test_refs: dict[str, dict[str, tuple[int, str, bool]]] = field(default_factory=lambda: defaultdict(dict))
    affected: set[tuple[str, str]] = field(default_factory=set)
    _mentions: dict[str, frozenset[str]] = field(default_factory=dict)
    #: (file, name) the change may unbind: a module-level use elsewhere would fail at import
    vanish: set[tuple[str, str]] = field(default_factory=set)
    base: str = ""
    lines: tuple[int, ...] = ()
    #: modules whose import the change may make fail (the changed module; modules calling a changed
    #: function at import): one test importing each runs
    import_risk: set[str] = field(default_factory=set)

    def mentions(self, file: str, gs: FileSymbols) -> frozenset[str]:
        got = self._mentions.get(file)
        if got is None:
            got = self._mentions[file] = _all_mentions(gs)
        return got


def changed_names(fs: FileSymbols, lines: Sequence[int]) -> set[str] | None:
    """The names the statements holding ``lines`` define (``*`` for ``__all__``), or ``None`` when a line's
    statement is not a definition, an assignment or an import."""
    out: set[str] = set()
    for n in lines:
        s = fs.stmt_at(n)
        if s is None or s.kind not in _OK_KINDS:
            return None
        if s.kind == "ClassDef":
            member = next((m for m in s.members if m[0] <= n <= m[1]), None)
            if member is not None and member[2] in ("FunctionDef", "AsyncFunctionDef"):
                out |= member[3]  # a method's header, decorator or default: the method
                continue
            out |= s.binds  # the class header or a class attribute: the class and its names
            continue
        if "__all__" in s.binds:
            out.add(STAR)
            out |= set(fs.all_names or ())
            continue
        out |= s.binds
    return out or None


def _parse_fragment(added: Sequence[str]) -> ast.Module | None:
    """The added lines as statements; a lone ``def``/``class`` header gets a body to parse."""
    text = textwrap.dedent("\n".join(added))
    for tail in ("", "\n    pass"):
        try:
            return parse_python(text + tail)
        except (SyntaxError, ValueError):
            continue
    return None


def vanishing(
    fs: FileSymbols, lines: Sequence[int], names: set[str], added: Sequence[str] | None
) -> set[str]:
    """The changed names the new side may no longer bind: the names bound by a changed binding line (a
    ``def``/``class`` line, an assignment, an import) that the diff's ``added`` lines do not bind again
    (unparseable or unknown: all of them). A decorator or a method changes no module-level binding. For
    ``__all__``: the names it listed that are no longer exported."""
    bound: set[str] = set()
    for ln in lines:
        s = fs.stmt_at(ln)
        if s is None:
            continue
        if s.kind in ("FunctionDef", "AsyncFunctionDef", "ClassDef"):
            if ln == s.head:
                bound.add(s.name)
        else:
            bound |= s.binds
    tree = _parse_fragment(added) if added is not None else None
    if tree is None:
        new: set[str] | None = None
    else:
        new = set()
        new_all: tuple[str, ...] | None = None
        for node in tree.body:
            new |= binds_of(node)
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                vals = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else []
                new_all = tuple(
                    e.value for e in vals if isinstance(e, ast.Constant) and isinstance(e.value, str)
                )
    out = {n for n in bound if n != "__all__" and (new is None or n not in new)}
    if STAR in names:
        listed = set(fs.all_names or ())
        if new is None:
            out |= listed
        else:
            exported = (
                set(new_all)
                if new_all is not None
                else {b for b in fs.module_level() if not b.startswith("_")}
            )
            out |= listed - exported
    return out


def symbol_impact(
    graph: ImportGraph,
    base: str,
    lines: Sequence[int],
    is_test: Callable[[str], bool],
    measured: Callable[[str], bool],
    added: Sequence[str] | None = None,
) -> Impact | str:
    """The symbol-level reach of changed import-time ``lines`` of ``base`` (see the module docstring), or
    why the analysis is not complete."""
    fs = graph.symbols.get(base)
    if fs is None:
        return f"{base} could not be parsed"
    if fs.introspective:
        return f"{base} reads its own namespace or imports by name"
    body = next((n for n in lines for f in fs.funcs if f.first <= n <= f.last), None)
    seeds: set[tuple[str, str]] = set()
    if body is not None:  # a function called at import: what it did at import changed, not its name
        got = _call_effects(graph, fs, base, lines)
        if isinstance(got, str):
            return got
        names, seeds = got
    else:
        found = changed_names(fs, lines)
        if found is None:
            return "a changed line is not in a definition, an assignment or an import"
        names = found
    imp = Impact(set(names), base=base, lines=tuple(lines), import_risk={base} | {f for f, _ in seeds})
    if body is None:
        imp.vanish = {(base, n) for n in vanishing(fs, lines, names, added)}
    todo: deque[tuple[str, str, bool]] = deque()

    def add(file: str, name: str, weak: bool) -> None:
        name = STAR if name == "__all__" else name  # a rebound __all__ is a changed star-export namespace
        if (file, name) not in imp.affected:
            imp.affected.add((file, name))
            todo.append((file, name, weak))

    # a changed __all__ changes no name of the module itself, only what its star importers get
    for n in ({STAR} if STAR in names else names) if body is None else ():
        add(base, n, False)
    for f, n in sorted(seeds):
        add(f, n, False)
    # the changed definitions' own bodies
    for ln in lines:
        s = fs.stmt_at(ln)
        if s is not None and s.kind in ("FunctionDef", "AsyncFunctionDef", "ClassDef"):
            member = next((m for m in s.members if m[0] <= ln <= m[1]), None)
            lo, hi = (member[0], member[1]) if member is not None else (s.first, s.last)
            imp.spans[base].append((lo, hi, "/".join(sorted(names - {STAR}))))
    reach = _imported_by_tests(graph, is_test)
    while todo:
        file, name, weak = todo.popleft()
        why = _visit(graph, file, name, weak, imp, add, is_test, measured, reach)
        if why is not None:
            return why
    return imp


def _call_effects(
    graph: ImportGraph, fs: FileSymbols, base: str, lines: Sequence[int]
) -> tuple[set[str], set[tuple[str, str]]] | str:
    """For changed body lines of module-level functions called at import: the module-level state they can
    change — the module's names their bodies mention (through the module's functions they call, too), the
    names bound by the module-level statements calling them and the module-level names those statements
    pass (arguments, receivers) — or why that cannot be told (a method: instance state; a call into
    another project module; a name imported from one)."""
    level = fs.module_level()
    defs = {s.name: s for s in fs.stmts if s.kind in ("FunctionDef", "AsyncFunctionDef")}
    called: set[str] = set()
    for n in lines:
        outer = min((f for f in fs.funcs if f.first <= n <= f.last), key=lambda f: f.first, default=None)
        if outer is None or outer.top not in defs:
            return f"{base}:{n} is in a method run at import (instance state)"
        called.add(outer.top)
    if not any(called & st.mentions for st in fs.stmts if st.name not in called):
        # only other modules call it at import (a decorator factory …): the call narrowing handles that
        return f"{base}:{min(lines)} is in a function other modules call at import"
    state: set[str] = set()
    todo, seen = list(called), set(called)
    while todo:
        fn = todo.pop()
        said = set().union(*(f.mentions for f in fs.funcs if f.top == fn))
        for m in said & level:
            if m in defs:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
            elif graph.resolve(fs.aliases.get(m, "")) is not None:
                return f"{base}: {fn} uses {m}, imported from another module, at import"
            else:
                state.add(m)
    seeds = {(base, m) for m in state}
    for g in {base, *graph.importers(base)}:
        gs = graph.symbols.get(g)
        if gs is None:
            return f"{g} could not be parsed"
        glevel = gs.module_level()
        for st in gs.stmts:
            if st.kind in ("FunctionDef", "AsyncFunctionDef") and st.name in called:
                continue
            if not called & st.mentions or st.imports:
                continue
            seeds |= {(g, b) for b in st.binds}
            seeds |= {(g, m) for m in (st.mentions & glevel) - called - set(defs if g == base else ())}
    return {*sorted(called), *sorted(state)}, seeds


def _visit(
    graph: ImportGraph,
    file: str,
    name: str,
    weak: bool,
    imp: Impact,
    add: Callable[[str, str, bool], None],
    is_test: Callable[[str], bool],
    measured: Callable[[str], bool],
    reach: set[str],
) -> str | None:
    """Follow one affected (file, name): its uses in ``file`` and in every file importing it. A text: why
    the analysis cannot be complete."""
    users = {file: 0, **graph.importers(file)}
    for g, _depth in users.items():
        if g not in reach and not is_test(g):
            continue  # no test imports it (a script, docs/conf.py …)
        gs = graph.symbols.get(g)
        if gs is None:
            return f"{g} could not be parsed"
        test = is_test(g)
        if g.rsplit("/", 1)[-1] == "conftest.py":
            if {name, f".{name}"} & imp.mentions(g, gs) or (name == STAR and gs.stars):
                return f"{g} mentions {name}"
            continue
        if g == file and not test and gs.introspective:
            return f"{g} binds {name} and reads its own namespace or imports by name"
        # star imports of ``file`` bind its public names (and re-export a namespace change)
        fsf = graph.symbols.get(file)
        star_of_file = (
            g != file
            and any(graph.resolve(m) == file for m in gs.stars)
            and (name == STAR or name in (fsf.public() if fsf is not None else frozenset()))
        )
        if star_of_file and test:
            imp.test_refs[g].setdefault("", (0, f"from {_mod(graph, file)} import *", weak))
        elif star_of_file and name == STAR and fsf is not None:
            # the names the star import binds may change: those __all__ listed (strong), any other public one
            listed = set(fsf.all_names or ())
            add(g, STAR, weak)
            for n in listed | {b for b in fsf.module_level() if not b.startswith("_")}:
                if (file, n) in imp.vanish:
                    imp.vanish.add((g, n))
                add(g, n, weak or n not in listed)
        elif star_of_file:
            if (file, name) in imp.vanish:
                imp.vanish.add((g, name))
            add(g, name, weak)
        # dynamic reads of ``file``'s namespace see every name in it
        for top, line, target in gs.dynamic:
            if graph.resolve(_expand(gs, target)) != file or (g == file and not test):
                continue
            if not test:
                return f"{g}:{line} reads the namespace of {file} dynamically"
            imp.test_refs[g].setdefault(top, (line, f"reads the namespace of {_mod(graph, file)}", weak))
        if name == STAR:
            continue
        # in ``file`` a bare name is its own; elsewhere only when imported from it (``from file import
        # name``, a star import), while ``x.name`` or a string ``"….name"`` may mean it anywhere
        tokens = {f"'{name}"}  # a string naming it ("pkg.mod.name", getattr(m, "name"))
        if fsf is not None and name not in fsf.module_level():
            tokens.add(f".{name}")  # a class member: any ``x.name`` (instances cannot be told apart)
        else:  # a module's name: ``m.name`` where ``m`` is ``file``
            tokens |= {
                t
                for t in imp.mentions(g, gs)
                if t.endswith(f":{name}") and graph.resolve(_expand(gs, t[: -len(name) - 1])) == file
            }
        if g == file or graph.resolve(gs.aliases.get(name, "")) == file or star_of_file:
            tokens.add(name)
        if not tokens & imp.mentions(g, gs):
            continue
        for s in gs.stmts:
            if not tokens & s.mentions:
                continue
            if test:
                imp.test_refs[g].setdefault("", (s.first, name, weak))
            elif (file, name) in imp.vanish and not (
                g == imp.base and any(s.first <= n <= s.last for n in imp.lines)
            ):
                return f"{g}:{s.first} uses {name} at import, which the change may remove"
            if s.imports:  # an import binds each alias from its own source name
                for src, bound in s.imports:
                    if src == name and (g != file or bound != name):
                        add(g, bound, weak)
                continue
            if test:
                for b in s.binds:
                    add(g, b, weak)
                continue
            if not s.binds:  # a module-level side effect using the name
                return f"{g}:{s.first} uses {name} at import without binding a name"
            for b in s.binds:
                add(g, b, weak)
        for fn in gs.funcs:
            if not tokens & fn.mentions:
                continue
            if test:
                imp.test_refs[g].setdefault(fn.top, (fn.first, name, weak))
                if fn.top:
                    add(g, fn.top, weak)  # a helper: its callers are affected too
            else:
                if not measured(g):
                    return f"{g} uses {name} but the coverage map did not measure it"
                imp.spans[g].append((fn.first, fn.last, name))
    return None


def _imported_by_tests(graph: ImportGraph, is_test: Callable[[str], bool]) -> set[str]:
    """Every file some test file imports, transitively."""
    seen: set[str] = set()
    todo = deque(f for f in graph.imports if is_test(f))
    while todo:
        f = todo.popleft()
        for d in graph.imports.get(f, ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def _all_mentions(gs: FileSymbols) -> frozenset[str]:
    out: set[str] = set()
    for s in gs.stmts:
        out |= s.mentions
    for f in gs.funcs:
        out |= f.mentions
    return frozenset(out)


def _expand(gs: FileSymbols, dotted: str) -> str:
    head, _, rest = dotted.partition(".")
    mod = gs.aliases.get(head, head)
    return f"{mod}.{rest}" if rest else mod


def _mod(graph: ImportGraph, file: str) -> str:
    """The shortest dotted name of ``file`` (``pkg.mod`` rather than ``src.pkg.mod``)."""
    return min((n for n, f in graph.modules.items() if f == file), key=len, default=file)


def direct_test_refs(graph: ImportGraph, base: str, names: set[str],
                     test_files: Sequence[str]) -> dict[str, dict[str, tuple[int, str]]]:
    """The test functions (or test classes) of ``test_files`` whose own code names one of ``names``, bound
    at module level by ``base``: ``m.name`` with ``m`` resolving to ``base``, a bare name imported from it,
    a string ``"….name"``, or any ``x.name`` (a module reached through an attribute chain or a variable
    cannot always be told apart). Used when :func:`symbol_impact` is not complete: the closure over names
    cannot bound the users, yet a test naming the changed binding is the likeliest to observe it. Per test
    file, per top-level name: (line, name)."""
    out: dict[str, dict[str, tuple[int, str]]] = {}
    wanted = {n for n in names if n != STAR}
    if "__getattr__" in wanted:  # a module __getattr__ (PEP 562) is used through the names it serves
        wanted |= getattr_names(graph, base)
    if not wanted:
        return out
    for tf in test_files:
        gs = graph.symbols.get(tf)
        if gs is None:
            continue
        for name in sorted(wanted):
            tokens = {f"'{name}", f".{name}"}
            if graph.resolve(gs.aliases.get(name, "")) == base:
                tokens.add(name)
            for fn in gs.funcs:
                if not fn.top or fn.top in out.get(tf, {}):
                    continue
                hit = tokens & fn.mentions or {
                    t for t in fn.mentions
                    if t.endswith(f":{name}") and graph.resolve(_expand(gs, t[: -len(name) - 1])) == base}
                if hit:
                    out.setdefault(tf, {})[fn.top] = (fn.first, name)
    return out


def direct_code_refs(graph: ImportGraph, base: str, names: set[str],
                     files: Sequence[str]) -> dict[str, list[tuple[int, int, str]]]:
    """The functions of (non-test) ``files`` whose body names one of ``names``, bound at module level by
    ``base``, precisely: ``m.name`` with ``m`` resolving to ``base``, or the bare name in ``base`` itself
    or imported from it. The companion of :func:`direct_test_refs` when :func:`symbol_impact` is not
    complete: tests *executing* such code read the changed binding. Per file: (first, last, name)."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    wanted = {n for n in names if n != STAR}
    for g in files:
        gs = graph.symbols.get(g)
        if gs is None:
            continue
        bare = {n for n in wanted if g == base or graph.resolve(gs.aliases.get(n, "")) == base}
        for fn in gs.funcs:
            hit = sorted(bare & fn.mentions)
            for t in fn.mentions:  # m:name, m resolving to base (one pass over the mentions)
                head, sep, name = t.rpartition(":")
                if sep and name in wanted and name not in hit and graph.resolve(_expand(gs, head)) == base:
                    hit.append(name)
            if hit:
                out.setdefault(g, []).append((fn.first, fn.last, min(hit)))
    return out


def getattr_names(graph: ImportGraph, base: str) -> set[str]:
    """The attribute names a module-level ``__getattr__`` of ``base`` serves, as far as its code says: the
    identifier-like string literals of its definition (``if name in ("__version__", …)``) — a ``def
    __getattr__`` in ``base``, or the function building it (``__getattr__ = _make_getattr(__name__)``:
    that function's body, in ``base`` or in the project module it is imported from)."""
    fs = graph.symbols.get(base)
    if fs is None:
        return set()
    spans: list[tuple[FileSymbols, int, int]] = []
    for st in fs.stmts:
        if "__getattr__" not in st.binds:
            continue
        if st.kind in ("FunctionDef", "AsyncFunctionDef"):
            spans.append((fs, st.first, st.last))
            continue
        for m in sorted(st.mentions):
            fn = m.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
            where = fs if any(d.name == fn and d.kind in ("FunctionDef", "AsyncFunctionDef") for d in fs.stmts) \
                else graph.symbols.get(graph.resolve(fs.aliases.get(m, "")) or "")
            d = next((d for d in (where.stmts if where is not None else ())
                      if d.name == fn and d.kind in ("FunctionDef", "AsyncFunctionDef")), None)
            if where is not None and d is not None:
                spans.append((where, d.first, d.last))
    out: set[str] = set()
    for gs, lo, hi in spans:
        for ln in range(lo, hi + 1):
            out |= {v for v in gs.literals.get(ln, ()) if v.isidentifier()}
    if not out:
        return out
    # a served name is one no module binds (else ``__getattr__`` is not called for it); a literal that is an
    # ordinary name of the project (``"attrs"`` passed to ``metadata()``) would match every ``x.attrs``
    bound = {m.rsplit(".", 1)[-1] for m in graph.modules}
    for f, gs in graph.symbols.items():
        if f.endswith(".py") and f in graph.modules.values():
            bound |= gs.module_level()
    return out - bound
