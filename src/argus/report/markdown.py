"""Markdown helpers shared by every report: escaping, tables, truncation to a size limit."""

from __future__ import annotations

import re
from collections.abc import Sequence

#: GitHub rejects issue comments longer than 65536 characters.
GITHUB_COMMENT_LIMIT = 65536


#: ASCII punctuation that starts inline Markdown (emphasis, code, links, strikethrough, table pipes,
#: headings) or escapes it; backslash-escaped, which CommonMark renders as the character itself.
_SPECIAL = re.compile(r"([\\`*_\[\]~#|])")


def _flat(text: object, limit: int) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def escape(text: object) -> str:
    """Escape ``text`` for inline Markdown (GitHub, GitLab, CommonMark) so that it renders as written.

    ``\\ ` * _ [ ] ~ # |`` get a backslash (``|`` also splits GFM table cells); ``&``, ``<`` and ``>``
    become entities, so ``<*>`` or ``<script>`` is text, not HTML. Every Markdown renderer routes
    user-supplied strings (test names, messages, templates, paths, notes) through here or :func:`cell`.
    Not handled: ``@mentions`` and ``#123`` references, which GitHub links after rendering.
    """
    s = _SPECIAL.sub(r"\\\1", str(text))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(text: object, limit: int = 200) -> str:
    """One table cell / inline text: a single line shortened to ``limit`` characters, then :func:`escape`."""
    return escape(_flat(text, limit))


def code(text: object, limit: int = 200) -> str:
    """Inline code that survives backticks inside ``text`` (no entities: code spans show them raw).

    The fence is one backtick longer than the longest run inside; ``|`` is written ``\\|`` as GFM
    tables require (GitHub shows it as ``|`` in a table cell).
    """
    s = _flat(text, limit).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def truncate(text: str, limit: int = GITHUB_COMMENT_LIMIT, footer: str = "") -> str:
    """Cut ``text`` at a line boundary so that it and ``footer`` fit in ``limit`` characters."""
    if len(text) + len(footer) <= limit:
        return text + footer
    note = "\n\n_… report truncated to fit the size limit._\n"
    room = limit - len(footer) - len(note)
    cut = text.rfind("\n", 0, room)
    return text[: cut if cut > 0 else room] + note + footer
