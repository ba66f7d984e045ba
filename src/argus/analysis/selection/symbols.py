"""Symbol-level facts of a Python file, for changes to lines that run at import (AST only, pure).

A line run at import (a ``def``/``class`` header, a decorator, a default value, a module constant, an
``__all__``) defines *symbols*: module-level names. What can observe the change is code that uses those
names — the symbol's own body, code mentioning the name (in the module, in modules importing it, in
test modules), star imports (for ``__all__``) and code reading a module's namespace dynamically
(``vars(m)``, ``dir(m)``, ``getattr(m, …)``, ``m.__dict__``). This module records, per file, what that
analysis needs: the module-level statements (lines, names bound, names mentioned outside function
bodies), every function's body span and the names it mentions, import aliases, star imports, dynamic
namespace reads, and whether the module reads its own namespace (``globals()``, ``sys.modules`` …), in
which case the analysis is not complete for it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

_DYNAMIC_CALLS = {"vars", "dir", "getattr", "hasattr", "getmembers", "getmembers_static"}
_SELF_INTROSPECTION = {
    "globals",
    "locals",
    "__getattr__",
    "__dir__",
    "modules",
    "import_module",
    "__import__",
    "exec",
    "eval",
}


@dataclass(frozen=True)
class Stmt:
    """A module-level statement: its lines (decorators included), the names it binds at import and the
    names it mentions outside function bodies (loads, attribute names, string constants)."""

    first: int
    last: int
    kind: str
    binds: frozenset[str]
    mentions: frozenset[str]
    #: for a class: its class-level statements (methods included) as (first, last, kind, binds)
    members: tuple[tuple[int, int, str, frozenset[str]], ...] = ()
    #: for an import: (imported name, name bound) per alias — the statement binds each from its own source
    imports: tuple[tuple[str, str], ...] = ()
    name: str = ""  # a def's or class's name
    head: int = 0  # a def's or class's own line (after its decorators)


@dataclass(frozen=True)
class Func:
    """A function (any depth): the top-level name holding it, its body span and the names its body mentions."""

    top: str
    first: int
    last: int
    mentions: frozenset[str]
    name: str = ""


@dataclass(frozen=True)
class FileSymbols:
    stmts: tuple[Stmt, ...]
    funcs: tuple[Func, ...]
    aliases: dict[str, str]  # local name → dotted module it may be bound to
    stars: tuple[str, ...]  # dotted modules star-imported
    #: (top-level name or "", line, dotted target) of dynamic namespace reads: vars(x), dir(x), getattr(x, …), x.__dict__
    dynamic: tuple[tuple[str, int, str], ...]
    all_names: tuple[str, ...] | None  # the literal __all__, if any
    introspective: bool  # reads its own namespace or imports by name: the analysis is not complete for it
    #: inside functions: a line of an assignment → (the names it assigns, the later lines of the same
    #: outermost function reading one of them) — where a changed value can be observed
    uses: dict[int, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    #: per line, the string and number literals starting on it (docstrings and long strings left out): the
    #: data a changed line touches, and the data a test exercises (argus.analysis.selection.datamatch)
    literals: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: per line, the attribute names an assignment on it stores (``x.a = …``, ``x.a += …``, ``setattr(x, "a", …)``):
    #: the state a changed line writes, observable by any code reading ``.a``
    stores: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def stmt_at(self, line: int) -> Stmt | None:
        for s in self.stmts:
            if s.first <= line <= s.last:
                return s
        return None

    def function_at(self, line: int) -> Func | None:
        """The innermost function whose body holds ``line``."""
        best: Func | None = None
        for f in self.funcs:
            if f.first <= line <= f.last and (best is None or f.first >= best.first):
                best = f
        return best

    def test_mentions(self, top: str) -> frozenset[str]:
        """What the code of a test function or test class ``top`` mentions (module-level code excluded)."""
        out: set[str] = set()
        for f in self.funcs:
            if f.top == top:
                out |= f.mentions
        return frozenset(out)

    def module_level(self) -> frozenset[str]:
        """The names bound in the module's namespace (not class members)."""
        out: set[str] = set()
        for s in self.stmts:
            out |= {s.name} if s.kind == "ClassDef" else s.binds
        return frozenset(out)

    def public(self) -> frozenset[str]:
        if self.all_names is not None:
            return frozenset(self.all_names)
        return frozenset(n for s in self.stmts for n in s.binds if not n.startswith("_"))


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _mentions(nodes: list[ast.AST], skip_bodies: bool) -> frozenset[str]:
    """What ``nodes`` mention: names loaded, argument names and imported names (``x``), attribute names
    (``.x``, and ``a.b:x`` for ``a.b.x``: a module's ``x`` when ``a.b`` is that module), identifier-like
    strings (``'x``, the last part of ``"pkg.mod.x"``); with ``skip_bodies``, function bodies (deferred
    code) are left out."""
    out: set[str] = set()
    todo = list(nodes)
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Name):
            if not isinstance(n.ctx, ast.Store):
                out.add(n.id)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            out.add(n.target.id)  # ``x |= …`` reads x
        elif isinstance(n, ast.Attribute):
            out.add(f".{n.attr}")
            if (base := _dotted(n.value)) is not None:
                out.add(f"{base}:{n.attr}")
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.alias):
            out.add(n.name.rsplit(".", 1)[-1])
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) < 200:
            tail = n.value.rsplit(".", 1)[-1]
            if tail.isidentifier():
                out.add(f"'{tail}")
        if skip_bodies and isinstance(n, _FUNCS):
            todo += [*n.decorator_list, n.args]
            if n.returns is not None:
                todo.append(n.returns)
            continue
        todo += list(ast.iter_child_nodes(n))
    return frozenset(out)


def binds_of(node: ast.stmt) -> frozenset[str]:
    """Names a module-level statement binds at import (function bodies excluded; a class binds its name
    and its class-level names)."""
    out: set[str] = set()
    todo: list[ast.AST] = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, _FUNCS):
            out.add(n.name)
            continue
        if isinstance(n, ast.ClassDef):
            out.add(n.name)
            todo += n.body
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.Import):
            out.update(a.asname or a.name.split(".")[0] for a in n.names)
            continue
        elif isinstance(n, ast.ImportFrom):
            out.update(a.asname or a.name for a in n.names if a.name != "*")
            continue
        todo += list(ast.iter_child_nodes(n))
    return frozenset(out)


def _attribute_stores(node: ast.AST, out: dict[int, set[str]]) -> None:
    """Record the attribute names ``node`` stores, on every line of the storing statement."""
    got: list[str] = []
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        got = [t.attr for tg in targets for t in ast.walk(tg)
               if isinstance(t, ast.Attribute) and isinstance(t.ctx, ast.Store)]
    elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
          and getattr(node.value.func, "id", None) == "setattr" and len(node.value.args) == 3
          and isinstance(a := node.value.args[1], ast.Constant) and isinstance(a.value, str)
          and a.value.isidentifier()):
        got = [a.value]
    if got and isinstance(node, ast.stmt):
        for ln in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            out.setdefault(ln, set()).update(got)


def _local_uses(fn: ast.AST, limit: int = 200) -> dict[int, tuple[str, tuple[int, ...]]]:
    """For each assignment in ``fn`` (nested functions included): its lines → (names, later reading lines)."""
    loads: dict[str, list[int]] = {}
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store):
            loads.setdefault(n.id, []).append(n.lineno)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            loads.setdefault(n.target.id, []).append(n.lineno)
    out: dict[int, tuple[str, tuple[int, ...]]] = {}
    for n in ast.walk(fn):
        if not isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            continue
        targets = n.targets if isinstance(n, ast.Assign) else [n.target]
        names = sorted({t.id for tg in targets for t in ast.walk(tg) if isinstance(t, ast.Name)})
        last = n.end_lineno or n.lineno
        later = sorted({ln for nm in names for ln in loads.get(nm, ()) if ln > last})[:limit]
        if names and later:
            for ln in range(n.lineno, last + 1):
                out[ln] = ("/".join(names), tuple(later))
    return out


_MAX_LITERAL = 200


def _literal(n: ast.Constant) -> str | None:
    """A constant as data: a string (not empty, at most 200 characters) or a number; ``None`` otherwise."""
    v = n.value
    if isinstance(v, str):
        return v if v and len(v) <= _MAX_LITERAL else None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return repr(v)
    return None


def literals_by_line(tree: ast.AST) -> dict[int, tuple[str, ...]]:
    """Per line, the string and number constants starting on it (statement-level strings — docstrings — and
    strings longer than 200 characters left out; booleans and ``None`` are not data)."""
    out: dict[int, list[str]] = {}
    docs: set[int] = set()
    for n in ast.walk(tree):  # breadth first: a statement is seen before its constant
        _collect_literal(n, docs, out)
    return {k: tuple(v) for k, v in out.items()}


def _collect_literal(n: ast.AST, docs: set[int], out: dict[int, list[str]]) -> None:
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant):
        docs.add(id(n.value))
    elif isinstance(n, ast.Constant) and id(n) not in docs and (text := _literal(n)) is not None:
        out.setdefault(n.lineno, []).append(text)


def _first(n: ast.stmt) -> int:
    return min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))])


def _package_of(path: str, module: str) -> str:
    return module if path.endswith("__init__.py") else module.rpartition(".")[0]


def from_module(node: ast.ImportFrom, path: str, module: str) -> str:
    """The dotted module a ``from … import`` statement imports from (relative imports resolved)."""
    if node.level:
        pkg = _package_of(path, module).split(".") if module else []
        up = node.level - 1
        base_parts = pkg[: len(pkg) - up] if up else pkg
        base = ".".join(p for p in base_parts if p)
        return f"{base}.{node.module}" if node.module and base else (node.module or base)
    return node.module or ""


def file_symbols(tree: ast.Module, path: str, module: str) -> FileSymbols:
    stmts: list[Stmt] = []
    funcs: list[Func] = []
    uses: dict[int, tuple[str, tuple[int, ...]]] = {}
    aliases: dict[str, str] = {}
    stars: list[str] = []
    dynamic: list[tuple[str, int, str]] = []
    all_names: tuple[str, ...] | None = None
    introspective = False
    lits: dict[int, list[str]] = {}
    docs: set[int] = set()
    stores: dict[int, set[str]] = {}
    for node in tree.body:
        top = node.name if isinstance(node, (*_FUNCS, ast.ClassDef)) else ""
        members: tuple[tuple[int, int, str, frozenset[str]], ...] = ()
        if isinstance(node, ast.ClassDef):
            members = tuple(
                (_first(c), c.end_lineno or c.lineno, type(c).__name__, binds_of(c)) for c in node.body
            )
        pairs: tuple[tuple[str, str], ...] = ()
        if isinstance(node, ast.Import):
            pairs = tuple((a.name.split(".")[0], a.asname or a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            pairs = tuple((a.name, a.asname or a.name) for a in node.names if a.name != "*")
        is_all = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        )
        stmts.append(
            Stmt(
                _first(node),
                node.end_lineno or node.lineno,
                type(node).__name__,
                binds_of(node),
                frozenset() if is_all else _mentions([node], skip_bodies=True),  # __all__ names its own names
                members,
                pairs,
                top,
                node.lineno,
            )
        )
        if isinstance(node, (*_FUNCS, ast.ClassDef)):
            for fdef in (
                [node] if isinstance(node, _FUNCS) else [c for c in node.body if isinstance(c, _FUNCS)]
            ):
                uses.update(_local_uses(fdef))
        for sub in ast.walk(node):
            _collect_literal(sub, docs, lits)
            _attribute_stores(sub, stores)
            if isinstance(sub, _FUNCS) and sub.body:
                funcs.append(
                    Func(
                        top,
                        sub.body[0].lineno,
                        sub.end_lineno or sub.lineno,
                        _mentions(list(sub.body), skip_bodies=False),
                        sub.name,
                    )
                )
            elif isinstance(sub, ast.Import):
                for a in sub.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
            elif isinstance(sub, ast.ImportFrom):
                mod = from_module(sub, path, module)
                if mod:
                    for a in sub.names:
                        if a.name == "*":
                            stars.append(mod)
                        else:
                            aliases[a.asname or a.name] = f"{mod}.{a.name}"
            elif isinstance(sub, ast.Call) and sub.args:
                fn = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", None)
                if fn in _DYNAMIC_CALLS and (t := _dotted(sub.args[0])) is not None:
                    dynamic.append((top, sub.lineno, t))
                if fn in ("vars", "dir", "locals") and not sub.args:
                    introspective = True
            elif isinstance(sub, ast.Call) and not sub.args:
                fn = getattr(sub.func, "id", None)
                if fn in ("vars", "dir", "locals", "globals"):
                    introspective = True
            elif (
                isinstance(sub, ast.Attribute)
                and sub.attr == "__dict__"
                and (t := _dotted(sub.value)) is not None
            ):
                dynamic.append((top, sub.lineno, t))
            if (
                (isinstance(sub, ast.Name) and sub.id in _SELF_INTROSPECTION)
                or (isinstance(sub, ast.Attribute) and sub.attr in _SELF_INTROSPECTION)
                or (isinstance(sub, _FUNCS) and sub.name in ("__getattr__", "__dir__") and sub in tree.body)
            ):
                introspective = True
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            all_names = tuple(
                e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return FileSymbols(
        tuple(stmts), tuple(funcs), aliases, tuple(stars), tuple(dynamic), all_names, introspective, uses,
        {k: tuple(v) for k, v in lits.items()}, {k: tuple(sorted(v)) for k, v in stores.items()},
    )
