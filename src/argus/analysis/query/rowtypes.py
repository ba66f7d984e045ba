"""Result rows validated against the semantic layer's declared column types (Pydantic).

Every column of a view has a type (``integer``, ``number``, ``text``, ``boolean``, ``timestamp``).
An output column that is a plain reference to a view's column — in the outermost SELECT, whose
sources are all views (``SELECT *`` included) — is checked against that type before the rows leave
the executor; computed columns (``COUNT(*)``, expressions, columns of a CTE or subquery) carry no
declared type and pass unchecked. A mismatch is :class:`RowTypeError`, naming the row, the column,
the declared type and the value. Booleans come out as ``true``/``false`` on both dialects (SQLite
stores 0/1).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import sqlglot
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError, create_model
from sqlglot import exp

from argus.analysis.query.semantic import VIEWS_BY_NAME

#: The Python type a declared column type is validated as (None always allowed).
_PY: dict[str, Any] = {"integer": StrictInt, "number": float, "text": StrictStr, "boolean": bool,
                       "timestamp": dt.datetime | str}


class RowTypeError(ValueError):
    """A result value that does not have its column's declared type."""


def _outer_select(tree: Any) -> exp.Select | None:
    while isinstance(tree, (exp.Union, exp.Intersect, exp.Except)):
        tree = tree.this
    return tree if isinstance(tree, exp.Select) else None


def declared_types(sql: str, dialect: str) -> tuple[str | None, ...] | None:
    """Declared type of each output column of ``sql`` (None: computed), or None when ``SELECT *``
    (then :func:`types_by_name` is used on the returned column names)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except sqlglot.errors.ParseError:
        return ()
    sel = _outer_select(tree)
    if sel is None:
        return ()
    sources: dict[str, str] = {}
    for node in [sel.args.get("from_") or sel.args.get("from"), *(sel.args.get("joins") or [])]:
        if node is None:
            continue
        t = node.this
        if not isinstance(t, exp.Table) or t.name.lower() not in VIEWS_BY_NAME:
            return tuple(None for _ in sel.expressions)  # a CTE or subquery: nothing declared
        sources[(t.alias or t.name).lower()] = t.name.lower()
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in sel.expressions):
        return None
    out: list[str | None] = []
    for e in sel.expressions:
        col = e.this if isinstance(e, exp.Alias) else e
        if not isinstance(col, exp.Column):
            out.append(None)
            continue
        views = [sources[col.table.lower()]] if col.table and col.table.lower() in sources else list(sources.values())
        types = {c.type for v in views for c in VIEWS_BY_NAME[v].columns if c.name == col.name.lower()}
        out.append(types.pop() if len(types) == 1 else None)
    return tuple(out)


def types_by_name(columns: tuple[str, ...], views: tuple[str, ...]) -> tuple[str | None, ...]:
    out: list[str | None] = []
    for name in columns:
        types = {c.type for v in views for c in VIEWS_BY_NAME[v].columns if c.name == name}
        out.append(types.pop() if len(types) == 1 else None)
    return tuple(out)


@cache
def _model(types: tuple[str | None, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {f"c{i}": ((_PY[t] | None) if t else Any, None) for i, t in enumerate(types)}
    return create_model("Row", __config__=ConfigDict(extra="forbid"), **fields)


def validate_rows(columns: tuple[str, ...], rows: tuple[tuple[Any, ...], ...],
                  types: tuple[str | None, ...]) -> tuple[tuple[Any, ...], ...]:
    """``rows`` checked against ``types`` (booleans normalised), or :class:`RowTypeError`."""
    if not any(types):
        return rows
    model = _model(types)
    bools = [i for i, t in enumerate(types) if t == "boolean"]
    out = []
    for n, row in enumerate(rows):
        try:
            model.model_validate({f"c{i}": v for i, v in enumerate(row)})
        except ValidationError as exc:
            err = exc.errors()[0]
            i = int(str(err["loc"][0])[1:])
            raise RowTypeError(f"row {n + 1}, column {columns[i]}: declared {types[i]}, got "
                               f"{type(row[i]).__name__} {str(row[i])[:60]!r}") from None
        out.append(tuple(bool(v) if i in bools and v is not None else v for i, v in enumerate(row)) if bools else row)
    return tuple(out)
