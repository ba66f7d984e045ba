"""Terminal and JSON output helpers.

Everything shown comes from users' files (test ids such as ``test_x[eur]``, messages, paths), so Rich
markup is OFF on every console this module makes: ``[eur]`` prints as ``[eur]``. Styling is explicit,
with :func:`styled` (or a ``rich.text.Text``), never with ``[bold]…[/]`` inside a string; table cells and
titles are ``Text`` too, so they stay verbatim on any console.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def console(stderr: bool = False) -> Console:
    """A console that prints strings verbatim (no markup, no highlighting)."""
    return Console(stderr=stderr, markup=False, highlight=False, soft_wrap=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from plain strings and ``(text, style)`` pairs; the text is never parsed as markup."""
    return Text.assemble(*parts)


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, enums, datetimes and paths into JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (plain print: no Rich markup or wrapping)."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


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
