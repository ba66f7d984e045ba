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
    root.command("ask-feedback")(ask_feedback)


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


def ask_feedback(
    ctx: typer.Context,
    example_id: int | None = typer.Argument(None, help="Id of a remembered pair (example_id of `argus ask --json`)."),
    verdict: str | None = typer.Argument(None, help="good or bad (a bad pair is never offered to the model again)."),
    question: str | None = typer.Option(None, "--question", help="Add a pair written by hand: the question..."),
    sql: str | None = typer.Option(None, "--sql", help="...and its SQL (guarded and run first; stored as good)."),
    list_: bool = typer.Option(False, "--list", help="List the project's remembered pairs."),
    project: str | None = _PROJECT,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Mark remembered question → SQL pairs good or bad, add one by hand, or list them."""
    from argus.core.errors import InputError

    rt = state(ctx).runtime
    c = console()
    if list_:
        rows = uc.examples(rt, project)
        if json_out:
            print_json([vars(e) for e in rows])
            return
        for e in rows:
            c.print(f"{e.id:>5}  {e.feedback or '-':<4}  {e.source:<6}  {e.question[:60]}", soft_wrap=True,
                    markup=False, highlight=False)
        if not rows:
            c.print("no remembered pairs", soft_wrap=True)
        return
    if question is not None or sql is not None:
        if question is None or sql is None or example_id is not None:
            raise InputError("give both --question and --sql (and no id) to add a pair")
        new = uc.add_example(rt, project, question, sql)
        if json_out:
            print_json({"id": new, "feedback": "good"})
            return
        c.print(f"remembered pair {new} (good)", soft_wrap=True)
        return
    if example_id is None or verdict not in ("good", "bad"):
        raise InputError("usage: argus ask-feedback ID good|bad, --question Q --sql S, or --list")
    uc.feedback(rt, project, example_id, verdict == "good")
    if json_out:
        print_json({"id": example_id, "feedback": verdict})
        return
    c.print(f"pair {example_id} marked {verdict}", soft_wrap=True)
