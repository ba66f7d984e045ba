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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from argus.analysis.selection.symbols import FileSymbols, file_symbols, from_module

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
    symbols: dict[str, FileSymbols] = field(default_factory=dict)
    _reverse: dict[str, set[str]] | None = None

    def resolve(self, dotted: str) -> str | None:
        """The file of a dotted module name (or of its longest module prefix: ``a.b.name`` → ``a/b.py``)."""
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            f = self.modules.get(".".join(parts[:i]))
            if f is not None:
                return f
        return None

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


def _parse(source: str, path: str) -> ast.Module | None:
    try:
        return ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return None


def identifiers(tree: ast.AST) -> frozenset[str]:
    """Every name a module mentions: ``Name`` ids, attribute names, imported names and aliases."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.Attribute):
            out.add(node.attr)
        elif isinstance(node, ast.alias):
            out.add(node.name.rsplit(".", 1)[-1])
            if node.asname:
                out.add(node.asname)
    return frozenset(out)


def _callables(tree: ast.Module) -> tuple[tuple[str, int, int], ...]:
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    out: list[tuple[str, int, int]] = []
    for node in tree.body:
        if isinstance(node, funcs):
            out.append((node.name, node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.ClassDef):
            out += [(n.name, n.lineno, n.end_lineno or n.lineno) for n in node.body if isinstance(n, funcs)]
    return tuple(out)


def imported_names(source: str | ast.Module, path: str, module: str) -> set[str]:
    """The dotted names a file's import statements may load (unparseable source: none)."""
    tree = _parse(source, path) if isinstance(source, str) else source
    if tree is None:
        return set()
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            mod = from_module(node, path, module)
            if not mod:
                continue
            parts = mod.split(".")
            out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
            for a in node.names:
                if a.name != "*":
                    out.add(f"{mod}.{a.name}")
    return out


def build_graph(sources: Mapping[str, str]) -> ImportGraph:
    """The import graph of ``sources`` (relative path → text)."""
    g = ImportGraph()
    primary: dict[str, str] = {}
    for path in sorted(sources):
        names = module_names(path)
        for n in names:
            g.modules.setdefault(n, path)
        if names:
            primary[path] = names[-1]
    for path, text in sources.items():
        mod = primary.get(path, "")
        tree = _parse(text, path)
        if tree is None:
            g.imports[path] = set()
            continue
        deps = {g.modules[n] for n in imported_names(tree, path, mod) if n in g.modules}
        deps.discard(path)
        g.imports[path] = deps
        g.names[path] = identifiers(tree)
        g.callables[path] = _callables(tree)
        g.symbols[path] = file_symbols(tree, path, mod)
    return g


def python_files(root: Path, skip: Iterable[str] = ()) -> dict[str, str]:
    """Relative path → source of every ``.py`` file under ``root`` (virtualenvs, VCS and caches skipped)."""
    out: dict[str, str] = {}
    skip_dirs = _SKIP_DIRS | set(skip)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs and not d.endswith(".egg-info")]
        for fn in filenames:
            if fn.endswith(".py"):
                full = Path(dirpath) / fn
                rel = full.relative_to(root).as_posix()
                try:
                    out[rel] = full.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
    return out


def scan(root: Path) -> ImportGraph:
    """The import graph of the Python files under ``root``."""
    return build_graph(python_files(root))
