"""The per-file facts of the import graph and the symbol/subprocess/data analyses (AST only, pure).

Everything :func:`argus.analysis.selection.imports.build_graph` derives from one file alone — the
dotted names its imports may load, the identifiers it mentions, its callables, its ``__main__``
blocks, its launch spellings and its symbol facts — as plain data (dataclasses, tuples, frozensets,
dicts), a function of the file's text and path only. The per-file scan cache
(argus.analysis.selection.scancache) stores them keyed by path, content hash and :data:`FACTS_VERSION`;
what needs the rest of the project (resolving names to files, launches) is done in ``build_graph``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from argus.analysis.selection.astparse import parse_python
from argus.analysis.selection.subprocs import LaunchEvent, launch_events
from argus.analysis.selection.symbols import FileSymbols, file_symbols, from_module

#: Bump when what a file's facts hold, or how they are derived, changes (the cache key also holds a hash of
#: the analysis modules' source, so an edit there invalidates the cache even without a bump).
FACTS_VERSION = 1


@dataclass(frozen=True)
class FileFacts:
    """One file's facts (``parsed`` false: the file does not parse — it imports nothing, has no facts)."""

    parsed: bool
    imported: tuple[str, ...] = ()  # the dotted names its imports may load, sorted
    names: frozenset[str] = frozenset()  # every identifier it mentions
    callables: tuple[tuple[str, int, int], ...] = ()
    main_blocks: tuple[tuple[int, int], ...] = ()
    events: tuple[LaunchEvent, ...] = ()
    symbols: FileSymbols | None = None


def parse(source: str, path: str) -> ast.Module | None:
    try:
        return parse_python(source, path)
    except (SyntaxError, ValueError):
        return None


def names_and_imports(tree: ast.AST, path: str, module: str) -> tuple[frozenset[str], set[str]]:
    """In one walk: every name the module mentions (``Name`` ids, attribute names, imported names and
    aliases) and the dotted names its import statements may load."""
    names: set[str] = set()
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.rsplit(".", 1)[-1])
            if node.asname:
                names.add(node.asname)
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                imported.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            mod = from_module(node, path, module)
            if not mod:
                continue
            parts = mod.split(".")
            imported.update(".".join(parts[: i + 1]) for i in range(len(parts)))
            for a in node.names:
                if a.name != "*":
                    imported.add(f"{mod}.{a.name}")
    return frozenset(names), imported


def callables_of(tree: ast.Module) -> tuple[tuple[str, int, int], ...]:
    funcs = (ast.FunctionDef, ast.AsyncFunctionDef)
    out: list[tuple[str, int, int]] = []
    for node in tree.body:
        if isinstance(node, funcs):
            out.append((node.name, node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.ClassDef):
            out += [(n.name, n.lineno, n.end_lineno or n.lineno) for n in node.body if isinstance(n, funcs)]
    return tuple(out)


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
            and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides))


def main_blocks_of(tree: ast.Module) -> tuple[tuple[int, int], ...]:
    return tuple((n.body[0].lineno, n.body[-1].end_lineno or n.body[-1].lineno) for n in tree.body
                 if isinstance(n, ast.If) and _is_main_test(n.test) and n.body)


def file_facts(source: str, path: str, module: str) -> FileFacts:
    """The facts of the file ``path`` (importable as ``module``, "" when none) with text ``source``."""
    tree = parse(source, path)
    if tree is None:
        return FileFacts(False)
    names, imported = names_and_imports(tree, path, module)
    return FileFacts(True, tuple(sorted(imported)), names, callables_of(tree), main_blocks_of(tree),
                     launch_events(tree), file_symbols(tree, path, module))
