"""Plausible source and test file contents, and edits to them.

A file is a tuple of lines. Edits are line-level: insert a function block, rewrite body lines,
delete body lines, so ``git diff --numstat`` gives realistic added/deleted counts. The code is
meant to look real in ``git show``, not to run.
"""

from __future__ import annotations

import random

from argus.sim.names import OBJECTS, VERBS, base_verb, camel
from argus.sim.rng import unit_hash

Lines = tuple[str, ...]

_PY_EXPR = ("{a} * Decimal(\"1.{n:02d}\")", "sum(item.{b} for item in {a}s)", "{a}.get(\"{b}\", {n})",
            "max({n}, len({a}))", "_normalise({a}, strict={flag})", "self._repo.find_{b}({a}.id)",
            "round({a} / {n}, 2)", "[x for x in {a}s if x.{b} is not None]", "{a}.replace(tzinfo=UTC)",
            "await self._client.fetch_{b}({a})", "{a}.{b} or DEFAULT_{B}")
_JAVA_EXPR = ("{a}.multiply(BigDecimal.valueOf({n}))", "{a}s.stream().filter(x -> x.get{C}() != null).toList()",
              "Math.max({n}, {a}.size())", "repository.find{C}({a}.getId())", "{a}.orElse(DEFAULT_{B})",
              "client.fetch{C}({a}, Duration.ofSeconds({n}))", "Objects.requireNonNullElse({a}, {n})")
_NAMES = ("amount", "order", "entry", "record", "item", "request", "batch", "account", "line", "event", "total")
_FIELDS = ("status", "currency", "created_at", "owner", "quantity", "version", "region", "limit", "price")


def _fill(rng: random.Random, template: str) -> str:
    a, b = rng.choice(_NAMES), rng.choice(_FIELDS)
    return template.format(a=a, b=b, B=b.upper(), C=camel(b, True), n=rng.randint(2, 99),
                           flag=rng.choice(("True", "False")))


def body_line(rng: random.Random, lang: str) -> str:
    """One statement inside a function body."""
    if lang == "py":
        return f"    {rng.choice(_NAMES)}_{rng.randint(1, 9)} = {_fill(rng, rng.choice(_PY_EXPR))}"
    return f"        var {rng.choice(_NAMES)}{rng.randint(1, 9)} = {_fill(rng, rng.choice(_JAVA_EXPR))};"


def function_block(rng: random.Random, lang: str, module: str, body: int) -> list[str]:
    """A function (Python) or method (Java) with ``body`` statements."""
    verb, obj = base_verb(rng.choice(VERBS)), rng.choice(OBJECTS)
    arg = rng.choice(_NAMES)
    stmts = [body_line(rng, lang) for _ in range(body)]
    if lang == "py":
        return ["", "", f"def {verb}_{obj}({arg}, *, strict: bool = False):",
                f'    """{verb.capitalize()} the {obj.replace("_", " ")} for {module.replace("_", " ")}."""',
                *stmts, f"    return {arg}"]
    return ["", f"    public Object {camel(verb + '_' + obj)}(Object {arg}) {{", *stmts, f"        return {arg};",
            "    }"]


def new_source(rng: random.Random, lang: str, module: str, package: str, functions: int) -> Lines:
    """A fresh module (Python) or class (Java) with ``functions`` functions."""
    out: list[str]
    if lang == "py":
        out = [f'"""{module.replace("_", " ").capitalize()}: domain logic of {package}."""', "",
               "from __future__ import annotations", "", "from datetime import UTC", "from decimal import Decimal",
               "", f"from {package}.core.errors import DomainError", "", f"DEFAULT_LIMIT = {rng.randint(10, 500)}"]
        for _ in range(functions):
            out += function_block(rng, lang, module, rng.randint(2, 7))
        return tuple([*out, ""])
    cls = camel(module, True)
    out = [f"package {package};", "", "import java.math.BigDecimal;", "import java.time.Duration;",
           "import java.util.Objects;", "", f"public class {cls} {{",
           f"    private static final int DEFAULT_LIMIT = {rng.randint(10, 500)};"]
    for _ in range(functions):
        out += function_block(rng, lang, module, rng.randint(2, 7))
    return tuple([*out, "}", ""])


def edit(rng: random.Random, lines: Lines, lang: str, module: str, size: int,
         small_fix: bool = False) -> tuple[Lines, int, int]:
    """Change about ``size`` lines of ``lines``; return (new lines, added, deleted).

    Files past ~400 lines mostly shrink (statements deleted) so they stay a plausible size. A
    ``small_fix`` only rewrites statements (no new functions), as bug fixes mostly do.
    """
    work = list(lines)
    added = deleted = 0
    body_idx = [i for i, ln in enumerate(work) if _is_body(ln, lang)]
    while added + deleted < size:
        roll = rng.random()
        big = len(work) > 400
        if (roll < 0.35 and not big and not small_fix) or not body_idx:  # new function at the end (before Java's closing brace)
            block = function_block(rng, lang, module, max(1, min(8, size - added - deleted)))
            at = len(work) - 2 if lang == "java" else len(work) - 1
            work[at:at] = block
            body_idx = [j + len(block) if j >= at else j for j in body_idx]
            body_idx += [at + k for k, ln in enumerate(block) if _is_body(ln, lang)]
            body_idx.sort()
            added += len(block)
        elif (roll < 0.8 and not big) or len(work) < 40:  # rewrite a statement
            i = rng.choice(body_idx)
            work[i] = body_line(rng, lang)
            added += 1
            deleted += 1
        else:  # delete a statement
            i = rng.choice(body_idx)
            del work[i]
            body_idx = [j if j < i else j - 1 for j in body_idx if j != i]
            deleted += 1
    return tuple(work), added, deleted


def _is_body(line: str, lang: str) -> bool:
    return line.startswith("    ") and "=" in line and not line.lstrip().startswith(("def ", "public ", "return"))


def is_executable(line: str) -> bool:
    """Whether a coverage tool would list this line (not blank, comment, docstring, signature or brace)."""
    s = line.strip()
    if not s or s in ("}", "{") or s.startswith(("#", '"""', "//", "*", "package ", "@", "public class")):
        return False
    return not s.startswith(("import ", "from __future__"))


def line_hits(path: str, line: str, number: int, covered: float) -> int:
    """Hits of an executable line: 0 with probability ``1 - covered``, stable as the file evolves."""
    h = unit_hash(path, line.strip())
    if h >= covered:
        return 0
    return 1 + int(unit_hash(path, number) * 40)


def test_file_lines(lang: str, module: str, package: str, functions: list[tuple[str, tuple[str, ...]]],
                    extras: tuple[str, ...] = ()) -> Lines:
    """A test module / test class with the given (function, parameters) entries and helper ``extras``."""
    out: list[str]
    if lang == "py":
        out = [f'"""Tests of {package}.{module}."""', "", "import pytest", "",
               f"from {package} import {module}", ""]
        for fn, params in functions:
            if params:
                out += ["", f"@pytest.mark.parametrize(\"value\", [{', '.join(repr(p) for p in params)}])",
                        f"def {fn}(value, {module}_factory):"]
            else:
                out += ["", f"def {fn}({module}_factory):"]
            out += [f"    subject = {module}_factory()", f"    result = {module}.process(subject)",
                    "    assert result.ok, result.errors", ""]
        return tuple(out) + extras
    cls = camel(module, True)
    out = [f"package {package};", "", "import static org.junit.jupiter.api.Assertions.*;", "",
           "import org.junit.jupiter.api.Test;", "import org.junit.jupiter.params.ParameterizedTest;",
           "import org.junit.jupiter.params.provider.ValueSource;", "", f"class {cls}Test {{",
           f"    private final {cls} subject = new {cls}();"]
    for fn, params in functions:
        if params:
            vals = ", ".join(f'"{p}"' for p in params)
            out += ["", "    @ParameterizedTest", f"    @ValueSource(strings = {{{vals}}})",
                    f"    void {fn}(String value) {{"]
        else:
            out += ["", "    @Test", f"    void {fn}() {{"]
        out += ["        var result = subject.process(fixture());", "        assertTrue(result.isOk());", "    }"]
    return tuple([*out, *extras, "}", ""])


def helper_lines(rng: random.Random, lang: str, module: str) -> tuple[str, ...]:
    """A small test helper (what a commit that "adds tests" appends to a test file)."""
    n = rng.randint(1, 999)
    if lang == "py":
        return ("", f"def _{module}_case_{n}():", f'    return {{"id": {n}, "state": "{rng.choice(_FIELDS)}"}}', "")
    return ("", f"    private static Object case{n}() {{", f'        return Map.of("id", {n});', "    }")
