"""Which project modules a file runs in a subprocess (AST only, nothing executed; pure).

A test that launches the project in a child process (``python -m pkg``, ``[sys.executable, "-m",
"pkg.cli"]``, ``python pkg/cli.py``, a console script the project declares, ``python -c "import
pkg; …"``) executes code the per-test coverage map does not see (coverage.py measures the test's own
process unless subprocess measurement is configured). Such a file depends on the module it runs —
``pkg/__main__.py`` for a package, the entry point's module for a script — and, through the import
graph, on what that module imports. ``runpy.run_module``/``run_path`` run the module in the test's
own process (the map does see them); they are recorded as in-process runs, evidence like an import.

Spellings recognised, in any string constant or list/tuple literal of the file:

* ``-m MODULE`` (a list element ``"-m"`` followed by the module, or ``-m MODULE`` inside a command
  string) naming a module of the project;
* ``-c CODE``: the code's imports of project modules;
* a path to a project ``.py`` file (``"pkg/cli.py"``, ``os.path.join(HERE, "..", "pkg", "cli.py")``)
  — only in a file that launches processes (it mentions ``subprocess``, ``sys.executable``,
  ``os.system`` …, itself or in a module it imports);
* a console or GUI script the project declares (``[project.scripts]``, ``[project.gui-scripts]`` in
  ``pyproject.toml``, ``entry_points`` in ``setup.cfg`` or ``setup.py``) as the first element of a
  list/tuple literal, the first word of a command string, or the argument of ``shutil.which`` — in a
  file that launches processes;
* ``runpy.run_module(MODULE)`` / ``runpy.run_path(PATH)`` (in process).
"""

from __future__ import annotations

import ast
import configparser
import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from argus.analysis.selection.astparse import parse_python

#: identifiers whose mention says a file launches processes
LAUNCHERS = frozenset({
    "subprocess", "Popen", "check_output", "check_call", "getoutput", "getstatusoutput", "system", "popen",
    "spawnv", "spawnvp", "spawnl", "spawnlp", "execv", "execvp", "execl", "execlp", "execve",
    "create_subprocess_exec", "create_subprocess_shell", "executable", "pexpect", "spawn", "run_process",
})
_M_IN_TEXT = re.compile(r"(?:^|\s)-m\s*([A-Za-z_][\w.]*)")
_SCRIPT_SPEC = re.compile(r"^\s*([\w.]+)\s*(?::\s*([\w.]+))?")


@dataclass(frozen=True)
class Launch:
    """One module a file runs: ``targets`` are the files run (the module, its packages' ``__init__``),
    ``what`` says how (for reasons), ``in_process`` for ``runpy`` (the coverage map sees it)."""

    targets: tuple[str, ...]
    what: str
    in_process: bool = False
    function: str | None = None  # a script's entry function (in ``targets[0]``)
    #: the file's top-level functions/classes holding the launch ("": module-level code — the whole file)
    tops: frozenset[str] = frozenset({""})


# ------------------------------------------------------------------------------------------ declared scripts


def _parse_spec(spec: str) -> tuple[str, str | None] | None:
    m = _SCRIPT_SPEC.match(spec)
    return (m.group(1), m.group(2)) if m else None


def _entry_lines(text: str) -> dict[str, str]:
    """``name = module:func`` lines (setup.cfg's console_scripts value, setup.py's list items)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line:
            name, _, spec = line.partition("=")
            if name.strip() and spec.strip():
                out[name.strip()] = spec.strip()
    return out


def _setup_py_scripts(source: str) -> dict[str, str]:
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return {}
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=False):
                if isinstance(k, ast.Constant) and k.value in ("console_scripts", "gui_scripts"):
                    items = v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v]
                    for e in items:
                        if isinstance(e, ast.Constant) and isinstance(e.value, str):
                            out.update(_entry_lines(e.value))
        elif isinstance(node, ast.keyword) and node.arg == "entry_points" and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):  # the ini-style string form
            out.update(_cfg_scripts(node.value.value, section_prefix=""))
    return out


def _cfg_scripts(text: str, section_prefix: str = "options.entry_points") -> dict[str, str]:
    cp = configparser.ConfigParser(interpolation=None)
    try:
        cp.read_string(text)
    except configparser.Error:
        return {}
    out: dict[str, str] = {}
    if section_prefix:
        if cp.has_section(section_prefix):
            for key in ("console_scripts", "gui_scripts"):
                out.update(_entry_lines(cp.get(section_prefix, key, fallback="")))
    else:
        for key in ("console_scripts", "gui_scripts"):
            if cp.has_section(key):
                out.update(dict(cp.items(key)))
    return out


def declared_scripts(files: Mapping[str, str]) -> dict[str, str]:
    """Script name → ``module:function`` from the project's metadata (``files``: relative path → text of
    ``pyproject.toml``, ``setup.cfg``, ``setup.py`` at the root; unreadable ones are skipped)."""
    out: dict[str, str] = {}
    if (text := files.get("setup.py")) is not None:
        out.update(_setup_py_scripts(text))
    if (text := files.get("setup.cfg")) is not None:
        out.update(_cfg_scripts(text))
    if (text := files.get("pyproject.toml")) is not None:
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            doc = {}
        got = doc.get("project")
        proj: dict[str, object] = got if isinstance(got, dict) else {}
        for key in ("scripts", "gui-scripts"):
            table = proj.get(key)
            if isinstance(table, dict):
                out.update({str(k): str(v) for k, v in table.items() if isinstance(v, str)})
        tool = doc.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        table = poetry.get("scripts") if isinstance(poetry, dict) else None
        if isinstance(table, dict):
            out.update({str(k): str(v) for k, v in table.items() if isinstance(v, str)})
    return out


def read_metadata(root: Path) -> dict[str, str]:
    """The texts :func:`declared_scripts` reads, from ``root`` (missing or unreadable: left out)."""
    out: dict[str, str] = {}
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        try:
            out[name] = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return out


# ---------------------------------------------------------------------------------------------- detection


def _strings(node: ast.AST) -> Iterable[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            yield n.value


def _walk(stmt: ast.stmt) -> Iterable[ast.AST]:
    """The nodes of ``stmt``, without docstrings and other bare string statements (prose, not commands)."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _const_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _joined_path(node: ast.AST) -> list[str] | None:
    """The string parts of ``os.path.join(..., "pkg", "cli.py")`` or ``Path(...) / "pkg" / "cli.py"``."""
    if isinstance(node, ast.Call) and _call_name(node) == "join":
        parts = [_const_str(a) for a in node.args]
        return [p for p in parts if p is not None]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = _joined_path(node.left) or ([s] if (s := _const_str(node.left)) is not None else [])
        right = _const_str(node.right)
        return [*left, right] if right is not None else None
    return None


@dataclass(frozen=True)
class LaunchEvent:
    """One spelling :func:`launch_events` found in a file, before it is resolved against the project:
    ``kind`` ``module`` (a module name run), ``code`` (a ``-c`` code string), ``path`` (path parts of a
    ``.py`` file), ``run_path`` (``runpy.run_path``'s argument), ``script`` (a possible script name);
    ``top`` the file's top-level function/class holding it (""); ``spawn``: counted only in a file that
    launches processes. Plain data: the per-file scan cache stores it (argus.analysis.selection.facts)."""

    kind: str
    top: str
    args: tuple[str, ...]
    how: str = ""  # ``module``: the text of the reason, with ``{}`` for the name
    in_process: bool = False
    spawn: bool = False


def launch_events(tree: ast.Module) -> tuple[LaunchEvent, ...]:
    """The launch spellings of ``tree``, in source order (what :func:`resolve_launches` replays): a pure
    function of the file, whatever the rest of the project is."""
    out: list[LaunchEvent] = []

    def ev(kind: str, args: tuple[str, ...], how: str = "", in_process: bool = False, spawn: bool = False) -> None:
        out.append(LaunchEvent(kind, top, args, how, in_process, spawn))

    def a_path(parts: list[str]) -> None:  # a_path's own early exit, done here: the event is dropped
        if parts and parts[-1].endswith(".py"):
            ev("path", tuple(parts), spawn=True)

    for stmt in tree.body:
        top = stmt.name if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else ""
        for node in _walk(stmt):
            if isinstance(node, (ast.List, ast.Tuple)):
                elts = node.elts
                for i, e in enumerate(elts[:-1]):
                    flag = _const_str(e)
                    nxt = _const_str(elts[i + 1])
                    if nxt is None:
                        continue
                    if flag == "-m":
                        ev("module", (nxt,), "python -m {}")
                    elif flag == "-c":
                        ev("code", (nxt,))
                if elts and (first := _const_str(elts[0])) is not None:
                    ev("script", (first,), spawn=True)
            elif isinstance(node, ast.Call):
                name = _call_name(node)
                arg = _const_str(node.args[0]) if node.args else None
                if name == "run_module" and arg is not None:
                    ev("module", (arg,), "runpy.run_module({!r})", in_process=True)
                elif name == "run_path" and arg is not None:
                    if arg.endswith(".py"):
                        ev("run_path", (arg,))
                elif name == "which" and arg is not None:
                    ev("script", (arg,), spawn=True)
                elif name == "join":
                    a_path(_joined_path(node) or [])
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
                a_path(_joined_path(node) or [])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                for m in _M_IN_TEXT.finditer(text):
                    ev("module", (m.group(1),), "python -m {}")
                if text.endswith(".py") and " " not in text.strip():
                    a_path([text])
                else:
                    words = text.split()
                    if len(words) > 1:
                        ev("script", (words[0],), spawn=True)
                    for w in words[1:]:
                        if w.endswith(".py"):
                            a_path([w])
    return tuple(out)


def launches(
    tree: ast.Module,
    path: str,
    resolve: Callable[[str], tuple[str, ...]],
    files: Iterable[str],
    scripts: Mapping[str, str],
    launches_processes: bool,
    imports_of_code: Callable[[str], set[str]],
) -> tuple[Launch, ...]:
    """What ``tree`` (the file ``path``) runs. ``resolve`` maps a dotted module name to the files running it
    executes (none: not a project module); ``files`` are the project's files; ``scripts`` the declared scripts;
    ``launches_processes`` whether the file (or a module it imports) launches processes;
    ``imports_of_code`` the dotted names a ``-c`` code string imports."""
    return resolve_launches(launch_events(tree), path, resolve, files, scripts, launches_processes, imports_of_code)


def resolve_launches(
    events: Iterable[LaunchEvent],
    path: str,
    resolve: Callable[[str], tuple[str, ...]],
    files: Iterable[str],
    scripts: Mapping[str, str],
    launches_processes: bool,
    imports_of_code: Callable[[str], set[str]],
) -> tuple[Launch, ...]:
    """The launches of a file's :func:`launch_events` against the project (the arguments of :func:`launches`)."""
    found: dict[tuple[str, ...], Launch] = {}
    tops: dict[tuple[str, ...], set[str]] = {}
    file_set = files if isinstance(files, (set, frozenset)) else set(files)
    top = ""

    def add(targets: tuple[str, ...], what: str, in_process: bool = False, function: str | None = None) -> None:
        if not targets:
            return
        if targets not in found:
            found[targets] = Launch(targets, what, in_process, function)
        tops.setdefault(targets, set()).add(top)

    def a_path(parts: tuple[str, ...]) -> None:
        if not parts or not parts[-1].endswith(".py"):
            return
        rel = posixpath.normpath("/".join(p.replace("\\", "/") for p in parts if p)).lstrip("./")
        here = posixpath.normpath(posixpath.join(posixpath.dirname(path), *parts))
        for cand in (here, rel):
            if cand in file_set:
                add((cand,), f"python {cand}")
                return
        if "/" in rel:
            hits = sorted(f for f in file_set if f.endswith("/" + rel))
            if len(hits) == 1:
                add((hits[0],), f"python {hits[0]}")

    for e in events:
        if e.spawn and not launches_processes:
            continue
        top = e.top
        if e.kind == "module":
            add(resolve(e.args[0]), e.how.format(e.args[0]), e.in_process)
        elif e.kind == "code":
            for name in sorted(imports_of_code(e.args[0])):
                t = resolve(name)
                if t:
                    add(t, f"python -c '…import {name}…'")
        elif e.kind == "path":
            a_path(e.args)
        elif e.kind == "run_path":
            before = len(found)
            a_path(e.args)
            if len(found) > before:  # in process, like an import
                key = list(found)[-1]
                found[key] = Launch(key, f"runpy.run_path({e.args[0]!r})", True)
        elif e.kind == "script":
            spec = scripts.get(e.args[0])
            parsed = _parse_spec(spec) if spec else None
            if parsed is not None:
                mod, func = parsed
                name = e.args[0]
                add(resolve(mod), f"script {name} ({mod}:{func})" if func else f"script {name} ({mod})",
                    function=func.split(".")[0] if func else None)
    return tuple(Launch(la.targets, la.what, la.in_process, la.function, frozenset(tops[k])) for k, la in found.items())
