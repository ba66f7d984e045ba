"""Markdown helpers shared by every report: escaping, tables, truncation to a size limit."""

from __future__ import annotations

from collections.abc import Sequence

#: GitHub rejects issue comments longer than 65536 characters.
GITHUB_COMMENT_LIMIT = 65536


def _line(text: object, limit: int) -> str:
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("|", "\\|")  # GFM tables need \| even inside code spans


def cell(text: object, limit: int = 200) -> str:
    """One table cell / inline text: single line, pipes escaped, ``<``, ``>`` and ``&`` as entities
    (GitHub would otherwise take ``<*>`` for HTML), shortened to ``limit`` characters."""
    s = _line(str(text).replace("\\", "\\\\"), limit)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: object, limit: int = 200) -> str:
    """Inline code that survives backticks inside ``text`` (no entities: code spans show them raw)."""
    s = _line(text, limit)
    fence = "``" if "`" in s else "`"
    pad = " " if "`" in s else ""
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
