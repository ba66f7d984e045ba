"""Which files are tests, and which tests a test file defines (AST, pure)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from fnmatch import fnmatch

from argus.analysis.selection.astparse import parse_python


def is_test_file(path: str, globs: Iterable[str]) -> bool:
    """Whether ``path`` matches a test glob (on its name, or the whole path for globs with a ``/``)."""
    name = path.rsplit("/", 1)[-1]
    for g in globs:
        if fnmatch(path, g) or ("/" not in g and fnmatch(name, g)) or fnmatch(path, f"*/{g}"):
            return True
    return False


def defined_tests(path: str, source: str) -> list[tuple[str, int, int]]:
    """``(node id, first line, last line)`` of the pytest tests ``source`` defines (default naming:
    ``test*`` functions at module level and in ``Test*`` classes); unparseable: none."""
    try:
        tree = parse_python(source, path)
    except (SyntaxError, ValueError):
        return []
    out: list[tuple[str, int, int]] = []

    def first(n: ast.AST) -> int:
        decos = getattr(n, "decorator_list", [])
        return min([n.lineno, *(d.lineno for d in decos)])  # type: ignore[attr-defined]

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            out.append((f"{path}::{node.name}", first(node), node.end_lineno or node.lineno))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name.startswith("test"):
                    out.append((f"{path}::{node.name}::{sub.name}", first(sub), sub.end_lineno or sub.lineno))
    return out
