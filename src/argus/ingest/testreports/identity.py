"""A test's identity: one normalised key, stable across runs and report dialects.

``identity = <scope>::<name>`` where *scope* is the class (``classname``), else the suite, else the
file. The class identifies a test in the xUnit dialects (a module or fully qualified class: pytest,
Surefire, Gradle, .NET, Go, PHPUnit …), but not in the *describe-style* JavaScript ones (jest,
vitest, mocha), where it is a ``describe`` title that other files repeat. So when the test's file is
known — the ``file`` attribute, else (without one) a suite named by a path — and it is a relative JavaScript or
TypeScript file (``.js``, ``.jsx``, ``.ts``, ``.tsx``, ``.mjs``, ``.cjs``, ``.mts``, ``.cts``,
``.vue``, ``.svelte``) whose name does not already occur in the class, the scope is
``<file>::<class>``. Identities of the other dialects are unchanged by this rule; absolute paths
(machine-dependent) are never used. Normalisation removes what differs between runs or dialects but
not between tests:

* a Python file path used as class (``tests/test_a.py::TestX`` from some pytest plugins) becomes the
  dotted module path pytest itself writes (``tests.test_a.TestX``), so xunit1 and xunit2 reports of
  the same test agree (the ``file`` attribute of xunit1 is kept as data, never part of the key);
* TRX/.NET assembly qualifiers after a comma (``Ns.Class, Assembly, Version=...``) are dropped;
* memory addresses in parameter ids (``<object at 0x7f3a...>``) become ``0x?``;
* text is Unicode NFC, without leading/trailing whitespace. Inner whitespace is kept: ``"a  b"`` and
  ``"a b"`` can be different parameters.

Parameter values themselves are kept: ``test_x[1]`` and ``test_x[2]`` are different tests. Keys longer
than :data:`MAX_IDENTITY` characters are cut and suffixed with a hash of the full key.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

MAX_IDENTITY = 1000  # = length of TestCase.identity

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}")
_PY_PATH = re.compile(r"^(?P<path>[\w./\\-]+?)\.py(?:$|::(?P<rest>.*)$)")
_NEEDS_WORK = re.compile(r"0x[0-9a-fA-F]{6}|[^\x00-\x7f]")
#: Extensions of describe-style test files (see the module docstring), lower case.
DESCRIBE_EXTENSIONS = frozenset((".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts", ".vue", ".svelte"))
_ABSOLUTE = re.compile(r"^(?:[/\\~]|[A-Za-z]:[/\\])")


def normalise_text(text: str) -> str:
    """Mask memory addresses, NFC-normalise, strip the ends (cheap for plain ASCII)."""
    if _NEEDS_WORK.search(text) is None:
        return text.strip()
    text = unicodedata.normalize("NFC", text)
    return _ADDRESS.sub("0x?", text).strip()


def normalise_classname(classname: str) -> str:
    """Dotted class path: ``a/b/test_c.py::K`` → ``a.b.test_c.K``; ``Ns.C, Asm, Version=1`` → ``Ns.C``."""
    text = normalise_text(classname)
    if ".py" in text:
        match = _PY_PATH.match(text)
        if match:
            module = match.group("path").replace("\\", "/").strip("/").replace("/", ".")
            rest = match.group("rest")
            text = f"{module}.{rest.replace('::', '.')}" if rest else module
    elif ", " in text and "Version=" in text:
        text = text.split(",", 1)[0]
    return text


_DESCRIBE_PATHS: dict[str, str | None] = {}  # path -> describe_file(path): suites and files repeat
_UNSEEN = ""  # a cached value is None or a non-empty path, never ""


def describe_file(path: str) -> str | None:
    """``path`` normalised (``/``, no ``./``) if it is a relative describe-style test file, else ``None``."""
    dot = path.rfind(".")
    result: str | None = None
    if dot >= 0 and path[dot:].lower() in DESCRIBE_EXTENSIONS and not _ABSOLUTE.match(path):
        result = normalise_text(path).replace("\\", "/")
        while result.startswith("./"):
            result = result[2:]
        result = result or None
    if len(_DESCRIBE_PATHS) < 65_536:
        _DESCRIBE_PATHS[path] = result
    return result


def _file_scope(path: str, classname: str) -> str | None:
    """The describe-style file to put before ``classname``, or ``None`` when the class names it."""
    stem = path.rsplit("/", 1)[-1]
    stem = stem[: stem.rfind(".")]
    return None if stem and stem in classname else path


@lru_cache(maxsize=65_536)  # reports repeat a handful of classes over thousands of cases
def _plain_scope(where: str | None, classname: str) -> str:
    """The class as the scope of a plain identity (``<class>::<name>``), or "" when the pair needs the
    general rules (describe-style file, ``.py`` path, assembly, non-ASCII, address)."""
    if ".py" in classname or "Version=" in classname or not classname.isascii() or "0x" in classname:
        return ""
    path = describe_file(where) if where else None
    return "" if path and classname.strip() and _file_scope(path, classname) is not None else classname.strip()


def make_identity(suite: str | None, classname: str | None, name: str, file: str | None) -> str:
    """The stable key of a test (see the module docstring)."""
    if classname:  # the common case first: a plain class and an ASCII name (what the rules below give it)
        scope = _plain_scope(file or suite, classname)
        if scope and len(classname) + len(name) <= MAX_IDENTITY - 2 and name.isascii() and "0x" not in name:
            return f"{scope}::{name.strip()}"
    return _general_identity(suite, classname, name, file)


def _general_identity(suite: str | None, classname: str | None, name: str, file: str | None) -> str:
    if classname and (file or suite):
        # the file attribute, else a suite named by a path (dict look-ups first: this runs per result)
        where = file or suite or ""  # a file attribute that is no describe-style file settles it
        path = _DESCRIBE_PATHS.get(where, _UNSEEN)
        if path == _UNSEEN:
            path = describe_file(where)
        if path and classname.strip():
            scope_file = _file_scope(path, classname)
            if scope_file is not None:
                return bounded(f"{scope_file}::{normalise_classname(classname)}::{normalise_text(name)}")
    if classname and ".py" not in classname and "Version=" not in classname:  # fast path: plain text
        key = f"{classname}::{name}"
        # ASCII without "0x" cannot match _NEEDS_WORK (str methods: cheaper than the regex per result)
        if len(key) <= MAX_IDENTITY and key.isascii() and "0x" not in key:
            scope = classname.strip()
            if scope:
                return f"{scope}::{name.strip()}"
    scope = normalise_classname(classname) if classname else ""
    if not scope:
        scope = normalise_text(suite) if suite else ""
    if not scope and file:
        scope = normalise_text(file)
    return bounded(f"{scope}::{normalise_text(name)}")


def bounded(key: str) -> str:
    """``key``, cut to :data:`MAX_IDENTITY` characters with a hash of the whole when longer."""
    if len(key) > MAX_IDENTITY:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        key = f"{key[: MAX_IDENTITY - 17]}#{digest}"
    return key
