"""A scripted language model served over real HTTP on 127.0.0.1 (OpenAI-compatible
``/v1/chat/completions`` and Anthropic ``/v1/messages``), and scripts derived from reference SQL.

:class:`ScriptedModel` answers each conversation from a script keyed by the question (the first user
turn): the n-th answer for a request that already holds n assistant turns, the last one repeated
after the script ends. It is stateless per request, so the same script replays the same way through
either API.

:func:`make_scripts` gives each question of a set one :class:`Kind` of first answer — a syntax
error, a raw base table instead of the tenant-safe view, a ``pg_catalog``/``sqlite_master`` read,
another tenant's ``project_id``, a view or column that does not exist, a destructive statement, a
wrong filter, two failures in a row, a model that never stops writing destructive SQL — in fixed
proportions (:data:`PROPORTIONS`), shuffled with a seed, then the reference SQL. What it measures is
the guard and the repair loop, not a model: the script always knows the right SQL.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler

import sqlglot
from sqlglot import exp

from argus.testing.http import JsonHandler


class Kind(StrEnum):
    RIGHT = "right"  # the reference SQL at once
    SYNTAX = "syntax"  # a syntax error, then the reference
    RAW_TABLE = "raw_table"  # the store's base table instead of the view (malicious: bypasses the tenant view)
    CATALOGUE = "catalogue"  # pg_catalog / sqlite_master (malicious)
    OTHER_TENANT = "other_tenant"  # WHERE project_id = 2 (malicious)
    UNKNOWN_VIEW = "unknown_view"  # a view name the layer does not have
    UNKNOWN_COLUMN = "unknown_column"  # a column name the view does not have
    DESTRUCTIVE = "destructive"  # DELETE / DROP / UPDATE / INSERT / stacked DROP (malicious)
    EMPTY_FILTER = "empty_filter"  # a filter on a value that does not exist
    TWICE = "twice"  # a syntax error, then a destructive statement, then the reference
    GIVES_UP = "gives_up"  # destructive SQL on every turn: the loop must give up


#: Share of questions whose first answer is of each kind (sums to 1).
PROPORTIONS: dict[Kind, float] = {
    Kind.RIGHT: 0.20, Kind.SYNTAX: 0.15, Kind.RAW_TABLE: 0.10, Kind.CATALOGUE: 0.05, Kind.OTHER_TENANT: 0.05,
    Kind.UNKNOWN_VIEW: 0.05, Kind.UNKNOWN_COLUMN: 0.10, Kind.DESTRUCTIVE: 0.10, Kind.EMPTY_FILTER: 0.10,
    Kind.TWICE: 0.05, Kind.GIVES_UP: 0.05,
}
MALICIOUS = frozenset({Kind.RAW_TABLE, Kind.CATALOGUE, Kind.OTHER_TENANT, Kind.DESTRUCTIVE})


@dataclass(frozen=True)
class Attempt:
    sql: str
    kind: Kind
    malicious: bool


@dataclass(frozen=True)
class Script:
    question: str
    kind: Kind
    attempts: tuple[Attempt, ...]

    def answers(self) -> list[str]:
        return [f"```sql\n{a.sql}\n```" for a in self.attempts]


def _base_tables() -> dict[str, str]:
    from argus.analysis.query.semantic import VIEWS

    out = {}
    for v in VIEWS:
        m = re.search(r"\bFROM\s+\"?(\w+)\"?", v.definition)
        if m:
            out[v.name] = m.group(1)
    return out


def _first_view(sql: str) -> str:
    from argus.analysis.query.semantic import VIEWS_BY_NAME

    for t in sqlglot.parse_one(sql).find_all(exp.Table):
        if t.name in VIEWS_BY_NAME:
            return t.name
    return "runs"


def _sub_first(pattern: str, repl: str, sql: str) -> str:
    return re.sub(pattern, repl, sql, count=1)


def _add_where(sql: str, cond: str) -> str:
    """``cond`` ANDed into the first SELECT that reads a view directly."""
    from argus.analysis.query.semantic import VIEWS_BY_NAME

    tree = sqlglot.parse_one(sql)
    for sel in tree.find_all(exp.Select):
        src = sel.args.get("from") or sel.args.get("from_")
        if src is not None and isinstance(src.this, exp.Table) and src.this.name in VIEWS_BY_NAME:
            sel.where(cond, append=True, copy=False)
            return tree.sql()
    return f"SELECT * FROM ({sql}) AS q WHERE {cond}"


def _text_column(view: str) -> str:
    from argus.analysis.query.semantic import VIEWS_BY_NAME

    cols = [c for c in VIEWS_BY_NAME[view].columns if c.type == "text"]
    return cols[0].name if cols else VIEWS_BY_NAME[view].columns[0].name


def _wrong(kind: Kind, ref: str, rng: random.Random) -> Attempt:
    view = _first_view(ref)
    base = _base_tables().get(view, "test_run")
    if kind is Kind.SYNTAX:
        sql = rng.choice([_sub_first(r"\s+FROM\s", ", FROM ", ref), _sub_first(r"^SELECT\b", "SELEC", ref),
                          ref + " ORDER BY"])
    elif kind is Kind.RAW_TABLE:
        sql = _sub_first(rf"\b{view}\b", f'"{base}"' if base == "commit" else base, ref)
    elif kind is Kind.CATALOGUE:
        sql = rng.choice(["SELECT tablename FROM pg_catalog.pg_tables", "SELECT name, sql FROM sqlite_master",
                          "SELECT table_name FROM information_schema.tables"])
    elif kind is Kind.OTHER_TENANT:
        sql = _add_where(ref, "project_id = 2")
    elif kind is Kind.UNKNOWN_VIEW:
        sql = _sub_first(rf"\b{view}\b", view[:-1] if view.endswith("s") else view + "s", ref)
        if sql == ref:
            sql = ref.replace(view, view + "_view", 1)
    elif kind is Kind.UNKNOWN_COLUMN:
        cols = [c.name for c in sqlglot.parse_one(ref).find_all(exp.Column)]
        sql = _sub_first(rf"\b{re.escape(cols[0])}\b", cols[0] + "_name", ref) if cols else \
            _sub_first(r"COUNT\(\*\)", "COUNT(id)", ref)
        if sql == ref:
            sql = _add_where(ref, "id > 0")
    elif kind is Kind.DESTRUCTIVE:
        sql = rng.choice([f"DELETE FROM {view}", f"DROP TABLE {base}", f"UPDATE {view} SET {_text_column(view)} = 'x'",
                          f"{ref}; DROP TABLE {base}", f"INSERT INTO {view} SELECT * FROM {view}",
                          f"WITH gone AS (DELETE FROM {base} RETURNING 1) SELECT COUNT(*) FROM gone"])
    elif kind is Kind.EMPTY_FILTER:
        sql = _add_where(ref, f"{_text_column(view)} = 'no-such-value'")
    else:  # pragma: no cover - the composite kinds are built from the others
        raise ValueError(kind)
    return Attempt(sql, kind, kind in MALICIOUS)


def make_scripts(questions: Sequence[tuple[str, str]], seed: int = 22) -> list[Script]:
    """One :class:`Script` per (question, reference SQL): kinds in :data:`PROPORTIONS` (largest
    remainder over the whole set), assigned by a seeded shuffle."""
    rng = random.Random(seed)
    n = len(questions)
    counts = {k: int(p * n) for k, p in PROPORTIONS.items()}
    for k in sorted(PROPORTIONS, key=lambda k: -(PROPORTIONS[k] * n - counts[k]))[: n - sum(counts.values())]:
        counts[k] += 1
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    out = []
    for (question, ref), kind in zip(questions, kinds, strict=True):
        right = Attempt(ref, Kind.RIGHT, False)
        if kind is Kind.RIGHT:
            attempts: tuple[Attempt, ...] = (right,)
        elif kind is Kind.TWICE:
            attempts = (_wrong(Kind.SYNTAX, ref, rng), _wrong(Kind.DESTRUCTIVE, ref, rng), right)
        elif kind is Kind.GIVES_UP:
            attempts = tuple(_wrong(Kind.DESTRUCTIVE, ref, rng) for _ in range(6))
        else:
            attempts = (_wrong(kind, ref, rng), right)
        out.append(Script(question, kind, attempts))
    return out


class ScriptedModel:
    """OpenAI-compatible and Anthropic endpoints answering from scripts keyed by question (module doc);
    ``requests`` records (path, body) of every call."""

    def __init__(self, scripts: dict[str, list[str]], default: str = "SELECT 1") -> None:
        self.scripts = scripts
        self.default = default
        self.requests: list[tuple[str, dict[str, object]]] = []

    def answer(self, messages: list[dict[str, object]]) -> str:
        def text(m: dict[str, object]) -> str:
            c = m.get("content")
            if isinstance(c, list):
                return "".join(str(b.get("text", "")) for b in c if isinstance(b, dict))
            return str(c)

        users = [text(m) for m in messages if m.get("role") == "user"]
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        script = self.scripts.get(users[0] if users else "", [self.default])
        return script[min(turn, len(script) - 1)]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        model = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                model.requests.append((self.path, body))
                answer = model.answer(body.get("messages", []))
                if self.path.endswith("/messages"):
                    data = {"id": "msg_scripted", "type": "message", "role": "assistant", "model": "scripted",
                            "stop_reason": "end_turn", "content": [{"type": "text", "text": answer}]}
                else:
                    data = {"choices": [{"message": {"role": "assistant", "content": answer}}]}
                self.reply(200, {}, data)

        return Handler
