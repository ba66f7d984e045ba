"""Parse stack traces and fingerprint the innermost frames of the project's own code.

Recognised frame shapes: Python tracebacks (``File "x.py", line 3, in f``) and pytest's short form
(``x.py:3: in f``), JVM (``at a.b.C.m(C.java:3)``), Node (``at f (/x.js:3:5)``), .NET
(``at N.C.M() in /x.cs:line 3``), Go (``pkg.F(...)`` + ``/x.go:3``) and Ruby (``x.rb:3:in 'm'``).
Python lists frames outermost first; the others innermost first — frames are returned innermost
first for all. Framework and standard-library frames (site-packages, node_modules, java.*, junit,
pytest internals ...) are skipped, so the fingerprint names where *our* code was when it failed.
Line numbers are left out of the fingerprint (they move with unrelated edits); the file's last two
path components and the function name stay.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Substrings of a frame's file that mark framework / stdlib frames.
SKIP_PATHS: tuple[str, ...] = (
    "site-packages",
    "dist-packages",
    "/lib/python",
    "\\lib\\python",
    "<frozen",
    "<string>",
    "/_pytest/",
    "/pluggy/",
    "/unittest/",
    "/asyncio/",
    "node_modules",
    "node:internal",
    "/usr/lib/",
    "/usr/local/lib/",
    "/src/runtime/",
    "/src/testing/",
    "/gems/",
    "/rubygems/",
)
#: Prefixes of a frame's qualified function that mark framework / stdlib frames.
SKIP_MODULES: tuple[str, ...] = (
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "kotlinx.",
    "scala.",
    "org.junit.",
    "junit.",
    "org.testng.",
    "org.gradle.",
    "org.apache.maven.",
    "org.mockito.",
    "org.springframework.",
    "org.assertj.",
    "org.hamcrest.",
    "System.",
    "Microsoft.",
    "NUnit.",
    "Xunit.",
    "testing.",
    "runtime.",
)


@dataclass(frozen=True)
class Frame:
    """One frame: file (as written), function, line (None when unknown)."""

    file: str
    function: str
    line: int | None = None

    def key(self) -> str:
        parts = re.split(r"[\\/]", self.file)
        return f"{'/'.join(parts[-2:])}:{self.function}"


_PY = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_PYTEST = re.compile(r"^\s*(?P<file>[^\s:]+\.py):(?P<line>\d+):(?: in (?P<func>\S+))?")
_JVM = re.compile(
    r"^\s*at (?:[\w.-]+/)*(?P<func>[\w$.<>]+)\("
    r"(?:(?P<file>[\w$.-]+\.(?:java|kt|scala|groovy|clj))(?::(?P<line>\d+))?|Native Method|Unknown Source)\)"
)
_NODE = re.compile(
    r"^\s*at (?:(?P<func>[^\s(]+(?: \[as \w+\])?) \()?(?P<file>[^\s()]+?):(?P<line>\d+):\d+\)?\s*$"
)
_DOTNET = re.compile(r"^\s*at (?P<func>[\w.`<>\[\],]+)\(.*?\)(?: in (?P<file>.+?):line (?P<line>\d+))?\s*$")
_GO_FILE = re.compile(r"^\s+(?P<file>\S+\.go):(?P<line>\d+)")
_GO_FUNC = re.compile(r"^(?P<func>[\w./*()-]+)\(.*\)\s*$")
_RUBY = re.compile(r"^\s*(?:from )?(?P<file>[^\s:]+\.rb):(?P<line>\d+):in [`'](?P<func>[^']+)'")


def parse_frames(stack: str) -> list[Frame]:
    """All frames of ``stack``, innermost first (the last traceback of a chained Python one)."""
    lines = stack.splitlines()
    py: list[Frame] = []
    other: list[Frame] = []
    go_func: str | None = None
    for raw in lines:
        if raw.startswith(("During handling of the above exception", "The above exception was")):
            py = []  # the final traceback is the one that surfaced
            continue
        if (m := _PY.match(raw)) or ((m := _PYTEST.match(raw)) and m["func"]):
            py.append(Frame(m["file"], m["func"], int(m["line"])))
        elif (m := _JVM.match(raw)) or (m := _DOTNET.match(raw)):
            other.append(Frame(m["file"] or "?", m["func"], int(m["line"]) if m["line"] else None))
        elif m := _NODE.match(raw):
            other.append(Frame(m["file"], m["func"] or "<anonymous>", int(m["line"])))
        elif m := _RUBY.match(raw):
            other.append(Frame(m["file"], m["func"], int(m["line"])))
        elif m := _GO_FUNC.match(raw):
            go_func = m["func"]
        elif (m := _GO_FILE.match(raw)) and go_func:
            other.append(Frame(m["file"], go_func, int(m["line"])))
            go_func = None
    return list(reversed(py)) + other


def is_framework(
    frame: Frame, skip_paths: Sequence[str] = SKIP_PATHS, skip_modules: Sequence[str] = SKIP_MODULES
) -> bool:
    """True for frames of the standard library, test runners and third-party frameworks."""
    path = frame.file.replace("\\", "/")
    return any(s in path for s in skip_paths) or frame.function.startswith(tuple(skip_modules))


def own_frames(
    stack: str, skip_paths: Sequence[str] = SKIP_PATHS, skip_modules: Sequence[str] = SKIP_MODULES
) -> list[Frame]:
    """Frames of the project's own code, innermost first."""
    return [f for f in parse_frames(stack) if not is_framework(f, skip_paths, skip_modules)]


def stack_fingerprint(
    stack: str | None,
    *,
    frames: int = 2,
    skip_paths: Sequence[str] = SKIP_PATHS,
    skip_modules: Sequence[str] = SKIP_MODULES,
) -> tuple[str | None, list[str]]:
    """Hash of the innermost ``frames`` own frames, and their keys; (None, []) without any."""
    if not stack:
        return None, []
    keys = [f.key() for f in own_frames(stack, skip_paths, skip_modules)[:frames]]
    if not keys:
        return None, []
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16], keys
