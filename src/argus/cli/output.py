"""Terminal and JSON output helpers.

Everything shown comes from users' files (test ids such as ``test_x[eur]``, messages, paths), so Rich
markup is OFF on every console this module makes: ``[eur]`` prints as ``[eur]``. Styling is explicit,
with :func:`styled` (or a ``rich.text.Text``), never with ``[bold]…[/]`` inside a string; table cells and
titles are ``Text`` too, so they stay verbatim on any console.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from argus.report.jsonable import to_jsonable

T = TypeVar("T")

__all__ = ["console", "print_cards", "print_json", "print_lines", "styled", "table", "to_jsonable"]


def console(stderr: bool = False) -> Console:
    """A console that prints strings verbatim (no markup, no highlighting)."""
    return Console(stderr=stderr, markup=False, highlight=False, soft_wrap=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from plain strings and ``(text, style)`` pairs; the text is never parsed as markup."""
    return Text.assemble(*parts)


def print_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (plain print: no Rich markup or wrapping)."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def print_lines(lines: Iterable[str]) -> None:
    """Print each line verbatim on stdout (long lines wrap rather than being cut)."""
    out = console()
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def print_cards(items: Sequence[T], card: Callable[[T], list[str]], empty: str) -> None:
    """Print each item as its card (``card(item)``: a heading line, then indented detail lines), or
    ``empty`` when there is none: the human output of ``list`` commands whose rows do not fit columns."""
    if not items:
        print_lines([empty])
    for item in items:
        print_lines(card(item))


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    """A table whose title, headers and cells print verbatim (``Text``, not markup) on any console."""
    t = Table(title=None if title is None else Text(title), show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(Text(c), overflow="fold")
    for r in rows:
        t.add_row(*[v if isinstance(v, Text) else Text("" if v is None else str(v)) for v in r])
    return t


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"
