"""The static import graph of a Python tree (AST only, nothing executed).

A file depends on the modules it imports: ``import a.b`` runs ``a/__init__.py`` and ``a/b.py``;
``from a import b`` may name a sub-module ``a/b.py``; relative imports resolve against the file's
package. Module names come from the path relative to the root, and relative to a ``src/`` or
``lib/`` folder (the src layout). The graph's reverse, walked breadth first from a changed file,
gives every file that imports it, transitively, with its depth (1 = imports it directly).
"""

from __future__ import annotations

import ast
import os
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from argus.analysis.selection.facts import FileFacts, file_facts, names_and_imports, parse
from argus.analysis.selection.scancache import (
    CachedFacts,
    LazySymbols,
    ScanCache,
    content_hash,
    decode_graph,
    encode_row,
)
from argus.analysis.selection.subprocs import (
    LAUNCHERS,
    Launch,
    declared_scripts,
    read_metadata,
    resolve_launches,
)
from argus.analysis.selection.symbols import FileSymbols

_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox", ".nox",
              "site-packages", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
_SOURCE_ROOTS = ("src/", "lib/")


@dataclass
class ImportGraph:
    """``imports[f]``: the files ``f`` imports directly (paths relative to the root, ``/``)."""

    imports: dict[str, set[str]] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)  # dotted name → file
    #: per file, every identifier it mentions (names, attribute names, imported names)
    names: dict[str, frozenset[str]] = field(default_factory=dict)
    #: per file, its module-level functions and the methods of its module-level classes: (name, first, last line)
    callables: dict[str, tuple[tuple[str, int, int], ...]] = field(default_factory=dict)
    #: per file, the symbol-level facts used for changes to lines run at import (argus.analysis.selection.symbols)
    symbols: MutableMapping[str, FileSymbols] = field(default_factory=dict)
    #: per file, the project modules it runs in a subprocess (or with runpy): argus.analysis.selection.subprocs
    runs: dict[str, tuple[Launch, ...]] = field(default_factory=dict)
    #: per file, the line spans of its module-level ``if __name__ == "__main__":`` blocks (run as a program only)
    main_blocks: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    _reverse: dict[str, set[str]] | None = None
    _forward: dict[str, dict[str, int]] = field(default_factory=dict)

    def resolve(self, dotted: str) -> str | None:
        """The file of a dotted module name (or of its longest module prefix: ``a.b.name`` → ``a/b.py``)."""
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            f = self.modules.get(".".join(parts[:i]))
            if f is not None:
                return f
        return None

    def in_main_block(self, file: str, line: int) -> bool:
        """Whether ``line`` lies in a module-level ``if __name__ == "__main__":`` block of ``file``."""
        return any(lo <= line <= hi for lo, hi in self.main_blocks.get(file, ()))

    def program_lines(self, la: Launch) -> dict[str, tuple[tuple[int, int], ...]]:
        """The lines of a launch's targets that run only when the module runs as a program: its
        ``__main__`` blocks, a package's ``__main__.py``, a script's entry function. A test whose map rows
        hit one of them was measured in the child process (subprocess coverage)."""
        out: dict[str, tuple[tuple[int, int], ...]] = {}
        for t in la.targets:
            spans = list(self.main_blocks.get(t, ()))
            if t.endswith("/__main__.py"):
                spans.append((1, 10**9))
            if la.function and t == la.targets[0]:
                spans += [(first + 1, last) for name, first, last in self.callables.get(t, ()) if name == la.function]
            if spans:
                out[t] = tuple(spans)
        return out

    def callable_at(self, file: str, line: int) -> tuple[str, int] | None:
        """The module-level function (or module-level class's method) whose body holds ``line`` (not its
        header): (name, first line), or ``None``."""
        for name, first, last in self.callables.get(file, ()):
            if first < line <= last:
                return name, first
        return None

    @property
    def reverse(self) -> dict[str, set[str]]:
        if self._reverse is None:
            rev: dict[str, set[str]] = defaultdict(set)
            for src, dsts in self.imports.items():
                for d in dsts:
                    rev[d].add(src)
            self._reverse = dict(rev)
        return self._reverse

    def dependencies(self, file: str) -> dict[str, int]:
        """Every file ``file`` imports (transitively) → its shortest depth; ``file`` itself at 0."""
        got = self._forward.get(file)
        if got is not None:
            return got
        seen = {file: 0}
        todo = deque([file])
        while todo:
            cur = todo.popleft()
            for nxt in self.imports.get(cur, ()):
                if nxt not in seen:
                    seen[nxt] = seen[cur] + 1
                    todo.append(nxt)
        self._forward[file] = seen
        return seen

    def runners(self, file: str) -> dict[str, tuple[int, Launch]]:
        """Every file running ``file`` in a subprocess (or with runpy) — the module run is ``file`` or
        imports it — and every file importing such a runner (a helper launching the project) → (depth,
        launch). Depth 1: the module run is ``file``; +1 per import from the run module to ``file`` and
        per import from the file to the runner."""
        out: dict[str, tuple[int, Launch]] = {}

        def keep(f: str, d: int, la: Launch) -> None:
            if f not in out or d < out[f][0]:
                out[f] = (d, la)

        for runner, las in self.runs.items():
            for la in las:
                ds = [self.dependencies(t).get(file) for t in la.targets]
                d0 = min((d for d in ds if d is not None), default=None)
                if d0 is None:
                    continue
                keep(runner, d0 + 1, la)
                whole = replace(la, tops=frozenset({""}))  # a module importing the runner: any of its tests
                for f, d in self.importers(runner, max_depth=3).items():
                    keep(f, d0 + 1 + d, whole)
        return out

    def importers(self, file: str, max_depth: int = 50) -> dict[str, int]:
        """Every file importing ``file`` (transitively) → its shortest depth."""
        seen = {file: 0}
        todo = deque([file])
        rev = self.reverse
        while todo:
            cur = todo.popleft()
            d = seen[cur]
            if d >= max_depth:
                continue
            for nxt in rev.get(cur, ()):
                if nxt not in seen:
                    seen[nxt] = d + 1
                    todo.append(nxt)
        seen.pop(file)
        return seen


def module_names(path: str) -> list[str]:
    """The dotted names a file can be imported as (``src/a/b.py`` → ``src.a.b``, ``a.b``)."""
    if not path.endswith(".py"):
        return []
    stem = path[:-3]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    elif stem == "__init__":
        return []
    names = [stem.replace("/", ".")]
    for root in _SOURCE_ROOTS:
        if stem.startswith(root):
            names.append(stem[len(root):].replace("/", "."))
    return names


def identifiers(tree: ast.AST) -> frozenset[str]:
    """Every name a module mentions: ``Name`` ids, attribute names, imported names and aliases."""
    return names_and_imports(tree, "", "")[0]


def imported_names(source: str | ast.Module, path: str, module: str) -> set[str]:
    """The dotted names a file's import statements may load (unparseable source: none)."""
    tree = parse(source, path) if isinstance(source, str) else source
    if tree is None:
        return set()
    return names_and_imports(tree, path, module)[1]


def _run_targets(g: ImportGraph, dotted: str) -> tuple[str, ...]:
    """The files ``python -m dotted`` runs: the module (a package: its ``__init__`` and ``__main__``) and
    its parent packages' ``__init__``; none when it is not a project module."""
    f = g.modules.get(dotted)
    if f is None:
        return ()
    out = [f]
    if f.endswith("/__init__.py") and (main := g.modules.get(f"{dotted}.__main__")) is not None:
        out.append(main)
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if (pkg := g.modules.get(".".join(parts[:i]))) is not None:
            out.append(pkg)
    return tuple(dict.fromkeys(out))


def build_graph(sources: Mapping[str, str], metadata: Mapping[str, str] | None = None,
                cache: ScanCache | None = None) -> ImportGraph:
    """The import graph of ``sources`` (relative path → text); ``metadata`` (``pyproject.toml``,
    ``setup.cfg`` texts; ``setup.py`` is read from ``sources``) declares the project's scripts. With
    ``cache``, a file whose text (hash) the cache holds is not parsed: its facts are read from it, and
    the facts of the others are stored (argus.analysis.selection.scancache)."""
    g = ImportGraph()
    primary: dict[str, str] = {}
    for path in sorted(sources):
        names = module_names(path)
        for n in names:
            g.modules.setdefault(n, path)
        if names:
            primary[path] = names[-1]
    if cache is not None and not cache.usable():
        cache = None
    stored = cache.load() if cache is not None else {}
    fresh: dict[str, CachedFacts] = {}
    raw_symbols: dict[str, str] = {}
    computed: dict[str, FileSymbols] = {}
    all_facts: dict[str, FileFacts] = {}
    for path, text in sources.items():
        mod = primary.get(path, "")
        f: FileFacts | None = None
        if cache is not None:
            digest = content_hash(text)
            row = stored.get(path)
            if row is not None and row.digest == digest:
                f = decode_graph(row)
                if f is not None and f.parsed:
                    raw_symbols[path] = row.symbols
            if f is None:
                f = file_facts(text, path, mod)
                if (row := encode_row(digest, f)) is not None:
                    fresh[path] = row
                raw_symbols[path] = ""  # in place (the order of the files kept); decoded: ``computed``
        else:
            f = file_facts(text, path, mod)
        all_facts[path] = f
        if not f.parsed:
            g.imports[path] = set()
            continue
        deps = {g.modules[n] for n in f.imported if n in g.modules}
        deps.discard(path)
        g.imports[path] = deps
        g.names[path] = f.names
        g.callables[path] = f.callables
        if f.symbols is not None:
            computed[path] = f.symbols
        if f.main_blocks:
            g.main_blocks[path] = f.main_blocks
    if cache is not None:
        cache.save(fresh, set(sources), set(stored))

        def recompute(path: str) -> FileSymbols | None:
            return file_facts(sources[path], path, primary.get(path, "")).symbols

        g.symbols = LazySymbols({p: raw for p, raw in raw_symbols.items() if raw or p in computed}, recompute,
                                computed)
    else:
        g.symbols = computed
    meta = dict(metadata or {})
    if "setup.py" in sources:
        meta.setdefault("setup.py", sources["setup.py"])
    scripts = declared_scripts(meta)
    files = set(sources)

    def code_imports(code: str) -> set[str]:
        return imported_names(code, "<-c>", "")

    for path, f in all_facts.items():
        if not f.events:
            continue
        spawns = bool(LAUNCHERS & g.names.get(path, frozenset())) or any(
            LAUNCHERS & g.names.get(d, frozenset()) for d in g.imports.get(path, ()))
        found = resolve_launches(f.events, path, lambda n: _run_targets(g, n), files, scripts, spawns,
                                 code_imports)
        found = tuple(la for la in found if path not in la.targets)
        if found:
            g.runs[path] = found
    return g


def python_files(root: Path, skip: Iterable[str] = ()) -> dict[str, str]:
    """Relative path → source of every ``.py`` file under ``root`` (virtualenvs, VCS and caches skipped)."""
    out: dict[str, str] = {}
    skip_dirs = _SKIP_DIRS | set(skip)
    prefix = os.path.join(str(root), "")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs and not d.endswith(".egg-info")]
        for fn in filenames:
            if fn.endswith(".py"):
                full = os.path.join(dirpath, fn)  # os.path, not pathlib: a third of a warm scan's time
                rel = (full[len(prefix):] if full.startswith(prefix) else os.path.relpath(full, root))
                try:
                    with open(full, encoding="utf-8", errors="replace") as fh:
                        out[rel.replace(os.sep, "/")] = fh.read()
                except OSError:
                    continue
    return out


def scan(root: Path, cache_dir: Path | None = None) -> ImportGraph:
    """The import graph of the Python files under ``root`` (with the scripts its metadata declares); with
    ``cache_dir``, through the per-file scan cache kept there (argus.analysis.selection.scancache)."""
    cache = ScanCache(cache_dir, root) if cache_dir is not None else None
    return build_graph(python_files(root), read_metadata(root), cache)
