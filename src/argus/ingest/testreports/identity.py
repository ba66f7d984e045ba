"""A test's identity: one normalised key, stable across runs and report dialects.

``identity = <scope>::<name>`` where *scope* is the class (``classname``), else the suite, else the
file. Normalisation removes what differs between runs or dialects but not between tests:

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

MAX_IDENTITY = 1000  # = length of TestCase.identity

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,16}")
_PY_PATH = re.compile(r"^(?P<path>[\w./\\-]+?)\.py(?:$|::(?P<rest>.*)$)")
_NEEDS_WORK = re.compile(r"0x[0-9a-fA-F]{6}|[^\x00-\x7f]")


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


def make_identity(suite: str | None, classname: str | None, name: str, file: str | None) -> str:
    """The stable key of a test (see the module docstring)."""
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
    key = f"{scope}::{normalise_text(name)}"
    if len(key) > MAX_IDENTITY:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        key = f"{key[: MAX_IDENTITY - 17]}#{digest}"
    return key
