"""Read coverage.py's JSON report with contexts into a coverage map (pure).

Input: ``coverage json --show-contexts`` (``files.<path>.contexts`` maps each executed line to the
contexts that ran it). Output: per test, per file, the executed lines as ranges
(:mod:`ranges`), plus per file the lines run outside any test (import time).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from argus.analysis.selection.contexts import ref_of_context
from argus.analysis.selection.ranges import encode
from argus.core.errors import InputError


@dataclass
class ParsedMap:
    """A coverage map as read from one report: tests, files and the (test, file) line ranges."""

    #: identity → pytest node id (None when the context gave none).
    tests: dict[str, str | None] = field(default_factory=dict)
    #: identities whose context stood for every parametrisation (``test_function`` contexts).
    all_params: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    #: (test identity, file) → encoded line ranges.
    entries: dict[tuple[str, str], str] = field(default_factory=dict)
    #: file → encoded lines run outside any test context (import time).
    import_lines: dict[str, str] = field(default_factory=dict)
    lines: int = 0  # (test, line) pairs
    contexts_skipped: int = 0


def _norm_path(path: str, strip_prefix: str | None) -> str:
    p = path.replace("\\", "/")
    if strip_prefix:
        pre = strip_prefix.replace("\\", "/").rstrip("/") + "/"
        if p.startswith(pre):
            p = p[len(pre):]
    while p.startswith("./"):
        p = p[2:]
    return p


def parse_coverage_json(data: bytes | str | dict[str, Any], *, source: str = "<input>",
                        strip_prefix: str | None = None) -> ParsedMap:
    """The coverage map of a coverage.py JSON report with contexts (:class:`InputError` if it is none)."""
    if isinstance(data, dict):
        doc: Any = data
    else:
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: not JSON ({exc})") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        raise InputError(f"{source}: no 'files' object: expected coverage.py's JSON report "
                         "(`coverage json --show-contexts`)")
    out = ParsedMap()
    any_contexts = False
    cache: dict[str, Any] = {}
    for raw_path, info in files.items():
        if not isinstance(info, dict):
            raise InputError(f"{source}: files[{raw_path!r}] is not an object")
        ctxs = info.get("contexts")
        if ctxs is None:
            continue
        if not isinstance(ctxs, dict):
            raise InputError(f"{source}: files[{raw_path!r}].contexts is not an object")
        any_contexts = True
        path = _norm_path(str(raw_path), strip_prefix)
        out.files.append(path)
        per_test: dict[str, set[int]] = defaultdict(set)
        imports: set[int] = set()
        for line_s, names in ctxs.items():
            try:
                line = int(line_s)
            except ValueError:
                raise InputError(f"{source}: files[{raw_path!r}].contexts: {line_s!r} is no line number") from None
            if not isinstance(names, list):
                raise InputError(f"{source}: files[{raw_path!r}].contexts[{line_s}] is not a list")
            for name in names:
                if name in cache:
                    ref = cache[name]
                else:
                    ref = cache[name] = ref_of_context(str(name))
                    if ref is None and str(name).strip():
                        out.contexts_skipped += 1
                if ref is None:
                    if not str(name).strip():
                        imports.add(line)
                    continue
                per_test[ref.identity].add(line)
                if ref.identity not in out.tests or out.tests[ref.identity] is None:
                    out.tests[ref.identity] = ref.node_id
                if ref.all_params:
                    out.all_params.add(ref.identity)
        for ident, lines in per_test.items():
            out.entries[(ident, path)] = encode(lines)
            out.lines += len(lines)
        if imports:
            out.import_lines[path] = encode(imports)
    if files and not any_contexts:
        raise InputError(f"{source}: the report has no contexts: run `coverage json --show-contexts` on data "
                         "measured with `pytest --cov --cov-context=test` (or dynamic_context = test_function)")
    return out
