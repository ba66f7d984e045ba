"""``argus schema``, ``argus query "SELECT …"``, ``argus ask "question"``: guarded read-only questions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from argus.app import query as uc
from argus.cli.context import state
from argus.cli.output import console, print_json

if TYPE_CHECKING:
    from argus.analysis.query.service import QueryResult
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
#: Widest cell printed in the terminal table.
_CELL = 30


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("schema")(schema)
    root.command("query")(query_cmd)
    root.command("ask")(ask_cmd)


def schema(json_out: bool = typer.Option(False, "--json")) -> None:
    """The semantic layer: the read-only views queries and questions use."""
    from argus.analysis.query.semantic import schema_doc, schema_text

    if json_out:
        print_json(schema_doc())
        return
    console().print(schema_text(), soft_wrap=True, markup=False, highlight=False)


def _cell(v: Any) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= _CELL else s[: _CELL - 1] + "…"


def _print_rows(r: QueryResult) -> None:
    c = console()
    if not r.rows:
        c.print("no rows", soft_wrap=True)
        return
    cells = [[_cell(x) for x in r.columns]] + [[_cell(v) for v in row] for row in r.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(r.columns))]
    for row in cells:
        line = "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        c.print(line[:80], soft_wrap=True, markup=False, highlight=False)
    if r.truncated:
        c.print(f"(stopped at {len(r.rows)} rows)", soft_wrap=True)


def query_cmd(
    ctx: typer.Context,
    sql: str = typer.Argument(..., help="One SELECT over the views of `argus schema`."),
    project: str | None = _PROJECT,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run one read-only SELECT over the semantic layer (guarded, confined to the project)."""
    r = uc.query(state(ctx).runtime, uc.QueryRequest(sql, project))
    if json_out:
        print_json(uc.result_json(r))
        return
    _print_rows(r)


def ask_cmd(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="A question in plain words."),
    project: str | None = _PROJECT,
    no_model: bool = typer.Option(False, "--no-model", help="Only the catalogue, even if a model is configured."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Ask a question in plain words: catalogue questions, or a configured model; SQL always guarded."""
    a = uc.ask(state(ctx).runtime, uc.AskRequest(question, project, use_model=not no_model))
    if json_out:
        print_json(uc.answer_json(a))
        if not a.answered:
            raise typer.Exit(1)
        return
    c = console()
    c.print(a.summary, soft_wrap=True, markup=False, highlight=False)
    if a.result is not None:
        c.print(f"SQL: {a.result.sql}", soft_wrap=True, markup=False, highlight=False)
        c.print(f"chart: {a.chart}", soft_wrap=True)
        _print_rows(a.result)
    if not a.answered:
        raise typer.Exit(1)
