"""Seeded mutation testing of a Python source tree: find mutation sites (AST), apply one, run the suite.

Operators (each on a single-line statement, so that a mutant is a one-line diff): flipped comparison,
off-by-one integer constant, negated ``if``/``while`` condition, ``return X`` → ``return None``,
a removed statement (→ ``pass``), ``and`` ↔ ``or``. Used by ``bench/eval_selection.py``.
"""

from __future__ import annotations

import ast
import random
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from argus.ingest.testreports.identity import make_identity

_FLIP = {ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=", ast.GtE: "<", ast.Eq: "!=", ast.NotEq: "==",
         ast.In: "not in", ast.NotIn: "in", ast.Is: "is not", ast.IsNot: "is"}


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int  # 1-based
    op: str
    new_line: str


def _single(node: ast.AST) -> bool:
    return getattr(node, "lineno", 0) == getattr(node, "end_lineno", -1)


def _replace(line: str, start: int, end: int, text: str) -> str:
    b = line.encode("utf-8")
    return (b[:start] + text.encode() + b[end:]).decode("utf-8", "replace")


def sites(path: str, source: str) -> list[Mutant]:
    """Every mutant of one file."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines()
    out: list[Mutant] = []
    for node in ast.walk(tree):
        if not _single(node) or not hasattr(node, "lineno"):
            continue
        ln = node.lineno
        text = lines[ln - 1]
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _FLIP:
            left, right = node.left, node.comparators[0]
            seg_l = ast.get_source_segment(source, left)
            seg_r = ast.get_source_segment(source, right)
            if seg_l and seg_r and _single(left) and _single(right):
                new = f"{seg_l} {_FLIP[type(node.ops[0])]} {seg_r}"
                out.append(Mutant(path, ln, "flip_compare", _replace(text, node.col_offset, node.end_col_offset or 0, new)))
        elif isinstance(node, ast.Constant) and type(node.value) is int and not isinstance(node.value, bool):
            out.append(Mutant(path, ln, "off_by_one",
                              _replace(text, node.col_offset, node.end_col_offset or 0, str(node.value + 1))))
        elif isinstance(node, (ast.If, ast.While)) and _single(node.test):
            seg = ast.get_source_segment(source, node.test)
            if seg:
                t = node.test
                out.append(Mutant(path, t.lineno, "negate_condition",
                                  _replace(lines[t.lineno - 1], t.col_offset, t.end_col_offset or 0, f"not ({seg})")))
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            out.append(Mutant(path, ln, "return_none",
                              _replace(text, node.col_offset, node.end_col_offset or 0, "return None")))
        elif isinstance(node, ast.BoolOp):
            seg = ast.get_source_segment(source, node)
            op = " or " if isinstance(node.op, ast.And) else " and "
            parts = [ast.get_source_segment(source, v) for v in node.values]
            if seg and all(parts):
                out.append(Mutant(path, ln, "swap_boolop",
                                  _replace(text, node.col_offset, node.end_col_offset or 0, op.join(f"({p})" for p in parts))))
        if isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.Return, ast.Raise)) and not (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            indent = text[: len(text) - len(text.lstrip())]
            if text.strip() and node.col_offset == len(indent):
                out.append(Mutant(path, ln, "remove_statement", indent + "pass"))
    return [m for m in out if m.new_line != lines[m.line - 1]]


def sample(files: dict[str, str], n: int, rng: random.Random) -> list[Mutant]:
    """``n`` mutants: a file drawn uniformly, then a site of it (so big data tables do not dominate)."""
    per = {f: sites(f, s) for f, s in sorted(files.items())}
    per = {f: v for f, v in per.items() if v}
    names = sorted(per)
    out: list[Mutant] = []
    seen: set[tuple[str, int, str]] = set()
    tries = 0
    while len(out) < n and tries < n * 50 and names:
        tries += 1
        f = rng.choice(names)
        m = rng.choice(per[f])
        key = (m.file, m.line, m.new_line)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def junit_failures(path: Path, module_tests: dict[str, list[str]]) -> tuple[set[str], set[str]] | None:
    """(failing identities, all identities) of a pytest JUnit file; a collection error of a module
    counts as every test of that module failing (``module_tests``: dotted module → identities)."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return None
    failing: set[str] = set()
    seen: set[str] = set()
    for tc in root.iter("testcase"):
        cls, name = tc.get("classname") or "", tc.get("name") or ""
        bad = any(ch.tag in ("failure", "error") for ch in tc)
        if not cls and bad:  # collection error: name is the module
            failing.update(module_tests.get(name, ()))
            continue
        ident = make_identity(None, cls, name, None)
        seen.add(ident)
        if bad:
            failing.add(ident)
    return failing, seen


def run_suite(python: str, cwd: Path, pythonpath: str, junit: Path, timeout: float, extra: list[str]) -> int | None:
    """Run the whole suite (exit code; ``None`` on timeout)."""
    import os

    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
                               f"--junitxml={junit}", "-o", "junit_family=xunit2", *extra], cwd=cwd, env=env,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return proc.returncode
