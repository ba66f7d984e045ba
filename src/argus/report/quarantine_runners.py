"""Quarantine forms for runners other than pytest: Surefire/Failsafe, Gradle, jest, Go, .NET.

Each form says which tests it could not express and why (:class:`LeftOut`); none drops a test silently.
Which tests a form can express follows from the stored classname/name (see each function):

* Surefire/Failsafe: an excludes file (``-Dsurefire.excludesFile=…`` / ``-Dfailsafe.excludesFile=…``),
  one ``path/to/Class.java#method`` per line, ``#`` comments. Method filters in excludes need a
  Surefire release that supports them; the header also carries the equivalent ``-Dtest='!…'`` value.
* Gradle: a Groovy script (``apply from: 'quarantine.gradle'``) with one ``excludeTestsMatching`` per
  test (class.method) for every ``Test`` task.
* jest: a ``--testNamePattern`` regex that matches every test *except* the quarantined full names
  (``jest -t "$(cat quarantine.jest)"``); jest-junit writes the full name as the test name.
* Go: a ``go test -skip`` regex of the quarantined top-level tests; a subtest (``TestX/case``) cannot
  share one ``-skip`` pattern with other tests and is left out.
* .NET: a ``dotnet test --filter`` expression, ``FullyQualifiedName!=…`` joined by ``&``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argus.analysis.flaky.readmodels import QuarantinedTest

_JAVA_CLASS = re.compile(r"^(?:[a-z_$][\w$]*\.)*[A-Z][\w$]*$")  # packages lower-case by convention
_DOTNET_CLASS = re.compile(r"^(?:[A-Z_][\w]*\.)+[A-Z_][\w]*$")  # namespaces capitalised by convention
_JS_SPECIAL = re.compile(r"[.*+?^${}()|[\]\\]")
_METHOD = re.compile(r"^[A-Za-z_$][\w$]*$")
_GO_TEST = re.compile(r"^(Test|Example|Fuzz|Benchmark)\w*$")
_DOTNET_SPECIAL = re.compile(r"([\\()&|=!~])")


@dataclass(frozen=True)
class LeftOut:
    """A quarantined test a form cannot express, and why."""

    identity: str
    reason: str


@dataclass(frozen=True)
class Rendered:
    """A form's text and the tests it left out."""

    text: str
    left_out: tuple[LeftOut, ...] = ()


def _java(t: QuarantinedTest) -> tuple[str, str] | str:
    """(class, method) of a JVM test, or the reason it is none."""
    cls, name = t.classname or "", t.name or ""
    if not _JAVA_CLASS.match(cls):
        return f"classname {cls!r} is not a Java class name (lower-case package, capitalised class)"
    method = name.split("(", 1)[0].split("[", 1)[0]
    if not _METHOD.match(method):
        return f"name {name!r} is not a method name (display names cannot be excluded by method)"
    return cls, method


def _split(tests: Sequence[QuarantinedTest],
           pick: Callable[[QuarantinedTest], tuple[str, str] | str]) -> tuple[list[tuple[str, str]], list[LeftOut]]:
    ok: list[tuple[str, str]] = []
    out: list[LeftOut] = []
    for t in tests:
        got = pick(t)
        if isinstance(got, str):
            out.append(LeftOut(t.identity, got))
        elif got not in ok:
            ok.append(got)
    return ok, out


def surefire(tests: Sequence[QuarantinedTest], header: str) -> Rendered:
    ok, out = _split(tests, _java)
    dtest = ",".join(f"!{cls}#{m}" for cls, m in ok)
    lines = [f"# {header}", "# mvn test -Dsurefire.excludesFile=<this file>  (Failsafe: -Dfailsafe.excludesFile)",
             f"# or, the same as -Dtest: -Dtest='{dtest}'" if ok else "# (no JVM test is quarantined)"]
    lines += [f"{cls.replace('.', '/')}.java#{m}" for cls, m in ok]
    return Rendered("\n".join(lines) + "\n", tuple(out))


def gradle(tests: Sequence[QuarantinedTest], header: str) -> Rendered:
    ok, out = _split(tests, _java)
    body = "".join(f'        excludeTestsMatching("{cls}.{m}")\n' for cls, m in ok)
    text = (f"// {header}\n// build.gradle: apply from: 'quarantine.gradle'   "
            "(build.gradle.kts: apply(from = \"quarantine.gradle\"))\n"
            "tasks.withType(Test).configureEach {\n    filter {\n        failOnNoMatchingTests = false\n"
            f"{body}    }}\n}}\n")
    return Rendered(text, tuple(out))


def _jest_name(t: QuarantinedTest) -> tuple[str, str] | str:
    cls = t.classname or ""
    if not t.name or " " not in t.name or t.node_id or _JAVA_CLASS.match(cls) or _DOTNET_CLASS.match(cls):
        return "not a jest full name (describe block and test title, as jest-junit writes it)"
    return t.name, t.name


def jest(tests: Sequence[QuarantinedTest], header: str) -> Rendered:
    del header  # the file is one argument value: no room for a comment
    ok, out = _split(tests, _jest_name)
    if not ok:
        return Rendered("", tuple(out))
    names = "|".join(_JS_SPECIAL.sub(lambda m: "\\" + m.group(0), n) for n, _ in ok)
    return Rendered(f"^(?!(?:{names})$).*\n", tuple(out))


def _go_name(t: QuarantinedTest) -> tuple[str, str] | str:
    name, package = t.name or "", t.classname or ""
    if not package or package != package.lower() or " " in package:
        return f"classname {package!r} is not a Go package path"
    if "/" in name:
        return "a Go subtest: one -skip pattern cannot skip it alongside other tests (its parent would match all)"
    if not _GO_TEST.match(name):
        return f"name {name!r} is not a Go test function"
    return name, name


def go(tests: Sequence[QuarantinedTest], header: str) -> Rendered:
    del header
    ok, out = _split(tests, _go_name)
    if not ok:
        return Rendered("", tuple(out))
    return Rendered(f"^({'|'.join(n for n, _ in ok)})$\n", tuple(out))


def _dotnet_name(t: QuarantinedTest) -> tuple[str, str] | str:
    cls, name = t.classname or "", t.name or ""
    if not _DOTNET_CLASS.match(cls) or not name:
        return f"classname {cls!r} is not a .NET class (capitalised Namespace.Class)"
    method = name if name.startswith(cls + ".") else f"{cls}.{name}"
    return method.split("(", 1)[0], ""


def dotnet(tests: Sequence[QuarantinedTest], header: str) -> Rendered:
    del header
    ok, out = _split(tests, _dotnet_name)
    expr = "&".join("FullyQualifiedName!=" + _DOTNET_SPECIAL.sub(r"\\\1", fq) for fq, _ in ok)
    return Rendered(expr + "\n" if expr else "", tuple(out))
