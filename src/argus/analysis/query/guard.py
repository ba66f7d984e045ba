"""The one guard every query runs through: parse, check, confine to one project, bound.

:func:`guard` takes a query written against the semantic layer (:mod:`argus.analysis.query.semantic`)
and returns the SQL to run, or raises :class:`QueryRejected` naming the rule the query broke. It works
on the sqlglot syntax tree, never on strings:

- ``syntax``: it must parse in the store's dialect;
- ``single-statement``: exactly one statement;
- ``select-only``: that statement is a SELECT (or a UNION/INTERSECT/EXCEPT of SELECTs);
- ``no-side-effects``: no DDL/DML, SELECT INTO, locking clauses, commands (PRAGMA, ATTACH, COPY, SET...);
- ``function-allowlist``: only known pure functions;
- ``catalogue``: no schema-qualified names, no ``pg_``/``sqlite_``/``information_schema`` objects;
- ``view-allowlist``: every table is a view of the semantic layer or a CTE of the query;
- ``column-allowlist``: every column is a view column or a name the query itself defines;
- ``parameters``: no bind parameters or placeholders;
- ``recursive-cte``: no recursive CTEs;
- ``limit``: a LIMIT, if given, is a literal; it is capped at the guard's maximum.

Then every reference to a view becomes a subquery of the view's definition whose every base table is
filtered on the caller's project (the tenant predicate lives in the tree, so no CTE, subquery or
UNION branch can escape it), and comments are dropped from the SQL that runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from argus.analysis.query.semantic import TENANT, VIEWS_BY_NAME
from argus.core.errors import InputError

#: sqlglot dialect names by SQLAlchemy dialect name.
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}


class QueryRejected(InputError):
    """A query the guard refuses; :attr:`rule` names the rule it broke."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"rejected ({rule}): {detail}")
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True)
class GuardedQuery:
    #: The SQL to run (views expanded, tenant bound, limit capped, no comments).
    sql: str
    #: The views the query reads.
    views: tuple[str, ...]
    limit: int


# Node types that never belong in a read-only query, wherever they appear in the tree.
_FORBIDDEN: tuple[type[exp.Expression], ...] = tuple(
    t for t in (
        getattr(exp, n, None) for n in (
            "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "TruncateTable",
            "Command", "Into", "Lock", "Pragma", "Attach", "Detach", "Copy", "Set", "SetItem", "Transaction",
            "Commit", "Rollback", "Use", "Cache", "Uncache", "Grant", "Revoke", "LoadData", "Analyze",
            "Describe", "Show", "Kill", "Comment", "Refresh", "Install", "Export", "Summarize", "Vacuum",
            "Heredoc", "Returning", "OnConflict", "Lateral", "Unnest", "Tablesample",
        )
    ) if isinstance(t, type)
)

# Pure functions a query may call, by sqlglot class name (sqlglot normalises many dialect spellings).
_FUNCTIONS = frozenset({
    "Count", "Sum", "Avg", "Min", "Max", "Coalesce", "Cast", "TryCast", "Lower", "Upper", "Length", "Substring",
    "Round", "Abs", "Nullif", "If", "Case", "Trim", "Concat", "ConcatWs", "Replace", "Greatest", "Least", "Floor",
    "Ceil", "Sqrt", "Ln", "Log", "Pow", "Exp", "Sign", "Mod", "Stddev", "StddevPop", "StddevSamp", "Variance",
    "VariancePop", "CountIf", "Date", "DateTrunc", "TimestampTrunc", "Extract", "StrToTime", "TimeToStr",
    "CurrentDate", "CurrentTimestamp", "CurrentTime", "DateAdd", "DateSub", "DateDiff", "TsOrDsAdd", "TsOrDsToDate",
    "TimeStrToTime", "TimeStrToUnix", "UnixToTime", "StrPosition", "Left", "Right", "Initcap", "Lpad", "Rpad",
    "PercentileCont", "PercentileDisc", "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile",
    "Lag", "Lead", "FirstValue", "LastValue", "NthValue", "GroupConcat", "ArrayAgg", "StringAgg", "Median",
    "Quantile", "ApproxDistinct", "AnyValue", "Epoch", "StrToDate", "TimestampDiff", "DayOfWeek", "DayOfMonth",
    "DayOfYear", "Year", "Month", "Day", "Week", "Quarter", "Hour", "ToChar", "Interval", "JSONExtract",
    "JSONExtractScalar", "Iif", "And", "Or", "Xor", "Collate", "Exists", "Any", "All",
})
# Functions sqlglot does not know, by lower-case name, that are pure in SQLite or PostgreSQL.
_ANONYMOUS = frozenset({
    "julianday", "strftime", "datetime", "date", "time", "unixepoch", "ifnull", "instr", "printf", "total",
    "date_part", "to_timestamp", "age", "justify_interval", "percentile_cont", "median", "char_length",
    "octet_length", "btrim", "ltrim", "rtrim", "nullif", "typeof", "iif", "split_part",
})
# Types a CAST may convert to (no regclass, regproc & co: they look objects up in the catalogue).
_CAST_TYPES = frozenset({
    "INT", "TINYINT", "SMALLINT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "TEXT", "VARCHAR", "CHAR", "NCHAR",
    "NVARCHAR", "DATE", "DATETIME", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ", "TIME", "BOOLEAN", "INTERVAL",
    "REAL", "NUMERIC", "DOUBLE PRECISION", "BIGDECIMAL",
})
_CATALOGUE_PREFIXES = ("pg_", "sqlite_", "information_schema", "sqlite")


def _reject(rule: str, detail: str) -> QueryRejected:
    return QueryRejected(rule, detail)


def _parse(sql: str, dialect: str) -> exp.Expression:
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its "falling back to Command" warnings
    if "\x00" in sql:
        raise _reject("syntax", "the query contains a NUL character")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        raise _reject("syntax", str(exc).splitlines()[0][:300]) from None
    except Exception as exc:  # sqlglot raises a few others on odd input
        raise _reject("syntax", f"{type(exc).__name__}: {str(exc)[:200]}") from None
    if len(statements) != 1:
        raise _reject("single-statement", f"exactly one statement is allowed, got {len(statements)}")
    return cast("exp.Expression", statements[0])


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise _reject("no-side-effects", f"{type(node).__name__.upper()} is not allowed")
        if isinstance(node, (exp.Placeholder, exp.Parameter, exp.SessionParameter)):
            raise _reject("parameters", "bind parameters and session variables are not allowed")
        if isinstance(node, exp.Anonymous):
            name = str(node.name).lower()
            if name.startswith(_CATALOGUE_PREFIXES):
                raise _reject("catalogue", f"catalogue function {name}() is not allowed")
            if name not in _ANONYMOUS:
                raise _reject("function-allowlist", f"function {name}() is not allowed")
        elif isinstance(node, exp.Func) and type(node).__name__ not in _FUNCTIONS:
            raise _reject("function-allowlist", f"function {type(node).__name__} is not allowed")
        if isinstance(node, (exp.Cast, exp.TryCast)):
            to = node.args.get("to")
            kind = to.this if isinstance(to, exp.DataType) else None
            if not isinstance(kind, exp.DataType.Type) or kind.value not in _CAST_TYPES:
                raise _reject("function-allowlist", f"CAST to {to.sql() if to is not None else '?'} is not allowed")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise _reject("recursive-cte", "recursive CTEs are not allowed")
        if isinstance(node, exp.Select) and node.args.get("locks"):
            raise _reject("no-side-effects", "locking clauses are not allowed")


def _defined_names(tree: exp.Expression) -> tuple[set[str], set[str]]:
    """CTE names and every name the query defines (CTE names and columns, aliases)."""
    ctes: set[str] = set()
    names: set[str] = set()
    for cte in tree.find_all(exp.CTE):
        ctes.add(cte.alias_or_name.lower())
        names.add(cte.alias_or_name.lower())
        alias = cte.args.get("alias")
        if isinstance(alias, exp.TableAlias):
            names.update(c.name.lower() for c in alias.columns)
    for a in tree.find_all(exp.Alias):
        names.add(a.alias.lower())
    for ta in tree.find_all(exp.TableAlias):
        names.add(ta.name.lower())
        names.update(c.name.lower() for c in ta.columns)
    return ctes, names


def _check_tables(tree: exp.Expression) -> tuple[list[exp.Table], set[str]]:
    ctes, names = _defined_names(tree)
    views: list[exp.Table] = []
    view_columns: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise _reject("view-allowlist", "table functions and computed tables are not allowed")
        name = table.name.lower()
        if table.args.get("db") is not None or table.args.get("catalog") is not None:
            raise _reject("catalogue", f"qualified name {table.sql()} is not allowed")
        if name.startswith(_CATALOGUE_PREFIXES):
            raise _reject("catalogue", f"catalogue object {name} is not allowed")
        if name in ctes:
            if name in VIEWS_BY_NAME:
                raise _reject("view-allowlist", f"a CTE may not shadow the view {name}")
            continue
        view = VIEWS_BY_NAME.get(name)
        if view is None:
            raise _reject("view-allowlist", f"{name} is not a view of the semantic layer (see `argus schema`)")
        if table.args.get("joins") or table.args.get("laterals") or table.args.get("pivots"):
            raise _reject("view-allowlist", "pivots on a view are not allowed")
        views.append(table)
        view_columns |= view.column_names()
    allowed = view_columns | names
    for col in tree.find_all(exp.Column):
        if not isinstance(col.this, (exp.Identifier, exp.Star)):
            raise _reject("column-allowlist", f"column {col.sql()} is not allowed")
        if col.args.get("db") is not None or col.args.get("catalog") is not None:
            raise _reject("catalogue", f"qualified column {col.sql()} is not allowed")
        if isinstance(col.this, exp.Star):
            continue
        if col.name.lower() not in allowed:
            raise _reject("column-allowlist", f"column {col.name} is in none of the views the query reads")
    return views, ctes


def _view_subquery(name: str, dialect: str, project_id: int) -> exp.Expression:
    tree = cast("exp.Expression", sqlglot.parse_one(VIEWS_BY_NAME[name].sql(dialect), read=dialect))
    for ph in list(tree.find_all(exp.Placeholder)):
        if ph.name != TENANT:
            raise AssertionError(f"view {name} has an unknown placeholder {ph.name}")
        ph.replace(exp.Literal.number(int(project_id)))
    return tree


def _cap_limit(tree: exp.Expression, max_rows: int) -> int:
    limit = tree.args.get("limit")
    if limit is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(max_rows)))
        return max_rows
    value = limit.args.get("expression")
    if not (isinstance(value, exp.Literal) and value.is_int):
        raise _reject("limit", "LIMIT must be a whole number")
    n = min(int(value.this), max_rows)
    limit.set("expression", exp.Literal.number(n))
    return n


def guard(sql: str, *, dialect: str, project_id: int, max_rows: int) -> GuardedQuery:
    """The SQL to run for ``sql`` confined to ``project_id`` (module doc), or :class:`QueryRejected`."""
    if not sql or not sql.strip():
        raise _reject("syntax", "the query is empty")
    if len(sql) > 20_000:
        raise _reject("syntax", "the query is longer than 20000 characters")
    tree = _parse(sql, dialect)
    if not isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        raise _reject("select-only", f"only SELECT is allowed, not {type(tree).__name__.upper()}")
    _check_nodes(tree)
    views, _ = _check_tables(tree)
    names = []
    for table in views:
        name = table.name.lower()
        names.append(name)
        alias = table.alias or name
        sub = exp.Subquery(this=_view_subquery(name, dialect, project_id), alias=exp.TableAlias(this=exp.to_identifier(alias)))
        table.replace(sub)
    n = _cap_limit(tree, max_rows)
    out = tree.sql(dialect=dialect, comments=False)
    return GuardedQuery(out, tuple(sorted(set(names))), n)
