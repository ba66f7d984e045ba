"""``ast.parse`` for the selection's scans, one call at a time.

CPython 3.11 keeps the AST constructor's recursion counter in interpreter-wide state, so two threads
parsing at once (two ``argus select`` requests in the server's thread pool, or concurrent scans sharing
a cache) can fail with ``SystemError: AST constructor recursion depth mismatch`` (python/cpython
gh-106905). Parsing holds the GIL almost throughout, so serialising it costs next to nothing.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``, serialised; raises what ``ast.parse`` raises."""
    with _LOCK:
        return ast.parse(source, filename=filename)
