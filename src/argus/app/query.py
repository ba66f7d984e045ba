"""Use cases of ``argus schema``, ``argus query`` and ``argus ask``: every query through one guard.

The project is resolved in a project unit of work; the query then runs on its own read-only
connection (:func:`argus.analysis.query.service.run`), confined to that project by the guard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from argus.analysis.query.catalogue import Match, match
from argus.analysis.query.service import QueryFailed, QueryResult, run
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime
    from argus.core.llm import AnthropicClient, ModelClient

T = TypeVar("T")
#: Attempts the model gets after a guard or database error, and after an empty result.
SYNTAX_REPAIRS = 3
EMPTY_REPAIRS = 2


@dataclass(frozen=True)
class QueryRequest:
    sql: str
    project: str | None = None
    org: str | None = None


@dataclass(frozen=True)
class AskRequest:
    question: str
    project: str | None = None
    org: str | None = None
    #: Use the configured model when the catalogue has no answer.
    use_model: bool = True
    #: Try the catalogue first (False: straight to the model; the benchmark's model-only figure).
    use_catalogue: bool = True


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    source: str  # catalogue | model | none
    summary: str
    chart: str
    result: QueryResult | None = None
    intent: str | None = None
    attempts: tuple[dict[str, str], ...] = field(default_factory=tuple)
    #: The remembered question → SQL pair (model answers only); feedback with :func:`feedback`.
    example_id: int | None = None
    #: Catalogue answers and refusals: share of the question's words understood, slots filled, and
    #: (refusals) the nearest catalogue intents.
    confidence: float | None = None
    slots: dict[str, str] = field(default_factory=dict)
    nearest: tuple[str, ...] = ()


def _project_id(runtime: Runtime, project: str | None, org: str | None) -> int:
    def work(scope: ProjectScope) -> int:
        return int(scope.project.id)

    return runtime.in_project(project, work, org=org)


def _in_project_id(runtime: Runtime, pid: int, work: Callable[[ProjectScope], T]) -> T:
    """Run ``work`` in the unit of work of the project with id ``pid`` (resolved by :func:`_project_id`)."""
    from argus.store.models import Organisation, Project
    from argus.store.session import unscoped

    with runtime.unit_of_work() as s, unscoped(s, reason="query: the project the caller already reached"):
        row = s.execute(select(Project.slug, Organisation.slug).join(Organisation, Organisation.id == Project.org_id)
                        .where(Project.id == pid)).one()
    return runtime.in_project(row[0], work, org=row[1])


def _examples(runtime: Runtime, pid: int) -> list[tuple[str, str]]:
    from argus.analysis.query.queries import examples

    return _in_project_id(runtime, pid, lambda sc: examples(sc.session))


def _remember(runtime: Runtime, pid: int, question: str, sql: str, rows: int) -> int:
    from argus.analysis.query.queries import remember

    return _in_project_id(runtime, pid, lambda sc: remember(sc.session, pid, question, sql, rows))


@dataclass(frozen=True)
class Example:
    id: int
    question: str
    sql: str
    source: str
    rows: int
    feedback: str | None
    created_at: str


def examples(runtime: Runtime, project: str | None, limit: int = 50) -> list[Example]:
    """The project's remembered question → SQL pairs (``argus ask-feedback --list``)."""
    from argus.analysis.query.queries import listing

    def work(sc: ProjectScope) -> list[Example]:
        return [Example(int(e.id), e.question, e.sql, e.source, int(e.rows), e.feedback, e.created_at.isoformat())
                for e in listing(sc.session, limit)]

    return runtime.in_project(project, work)


def add_example(runtime: Runtime, project: str | None, question: str, sql: str) -> int:
    """Remember a question → SQL pair written by a person (marked good, offered first to the model).
    The SQL must pass the guard and run on the project's data."""
    from argus.analysis.query.queries import add

    if not question.strip():
        raise InputError("the question is empty")
    pid = _project_id(runtime, project, None)
    result = _run(runtime, sql, pid)
    return _in_project_id(runtime, pid, lambda sc: add(sc.session, pid, question.strip(), sql, len(result.rows)))


def feedback(runtime: Runtime, project: str | None, example_id: int, good: bool) -> None:
    """Mark a remembered pair good or bad (a bad one is never offered to the model again)."""
    from argus.analysis.query.queries import set_feedback
    from argus.core.errors import NotFoundError

    if not runtime.in_project(project, lambda sc: set_feedback(sc.session, example_id, good)):
        raise NotFoundError(f"no remembered question {example_id}")


def _run(runtime: Runtime, sql: str, pid: int, max_rows: int | None = None) -> QueryResult:
    s = runtime.settings.query
    return run(runtime.engine(), sql, project_id=pid, max_rows=max_rows or s.max_rows, timeout_s=s.timeout_s,
               pg_role=s.pg_role)


def create_readonly_role(runtime: Runtime, role: str | None = None) -> dict[str, object]:
    """``argus db create-readonly-role``: the PostgreSQL role queries switch to (docs/query.md)."""
    from argus.analysis.query.readonly import DEFAULT_ROLE
    from argus.analysis.query.readonly import create_readonly_role as create

    return create(runtime.engine(), role or runtime.settings.query.pg_role or DEFAULT_ROLE)


def query(runtime: Runtime, req: QueryRequest) -> QueryResult:
    """Run one SELECT over the semantic layer, guarded, read-only, confined to the project."""
    pid = _project_id(runtime, req.project, req.org)
    return _run(runtime, req.sql, pid)


def model_client(runtime: Runtime) -> ModelClient | AnthropicClient | None:
    """The configured model (``query.llm_provider``), or None when none is configured."""
    from argus.core.llm import ANTHROPIC_URL, AnthropicClient, ModelClient
    from argus.core.settings.query import LlmProvider

    s = runtime.settings.query
    key = s.llm_api_key.get_secret_value() if s.llm_api_key is not None else None
    if s.llm_provider is LlmProvider.ANTHROPIC:
        if not s.llm_base_url and not key:
            return None
        return AnthropicClient(s.llm_base_url or ANTHROPIC_URL, s.llm_model, key, s.llm_timeout_s,
                               s.anthropic_version, s.llm_max_tokens)
    if not s.llm_base_url:
        return None
    return ModelClient(s.llm_base_url, s.llm_model, key, s.llm_timeout_s)


def _chart(result: QueryResult) -> str:
    if len(result.columns) == 1 and len(result.rows) == 1:
        return "number"
    if len(result.columns) == 2 and result.rows and isinstance(result.rows[0][1], (int, float)):
        return "bar"
    return "table"


def _summary(title: str, result: QueryResult) -> str:
    if not result.rows:
        return f"{title}: no rows"
    if len(result.columns) == 1 and len(result.rows) == 1:
        return f"{title}: {result.rows[0][0]}"
    first = ", ".join(f"{c}={v}" for c, v in zip(result.columns, result.rows[0], strict=False))
    return f"{title}: {len(result.rows)} rows; first: {first}"[:200]


def _implausible(result: QueryResult) -> bool:
    """One row of only zeros and NULLs (a count or sum under a filter that matched nothing): asked
    again like an empty result, and accepted once the empty-result repairs are spent."""
    return len(result.rows) == 1 and all(v is None or (not isinstance(v, bool) and v == 0) for v in result.rows[0])


def _ask_model(runtime: Runtime, client: ModelClient | AnthropicClient, question: str, pid: int) -> Answer:
    from argus.analysis.query.llm import extract_sql, first_messages
    from argus.core.llm import ModelUnavailable
    messages = first_messages(question, _examples(runtime, pid))
    attempts: list[dict[str, str]] = []
    syntax_left, empty_left = SYNTAX_REPAIRS, EMPTY_REPAIRS
    while True:
        try:
            reply = client.complete(messages)
        except ModelUnavailable as exc:
            attempts.append({"sql": "", "error": f"model unavailable: {exc}"})
            return Answer(question, False, "none", f"cannot answer: the model failed ({exc})", "table",
                          attempts=tuple(attempts))
        sql = extract_sql(reply)
        messages.append({"role": "assistant", "content": reply})
        try:
            result = _run(runtime, sql, pid)
        except InputError as exc:  # the guard's QueryRejected or the database's QueryFailed
            attempts.append({"sql": sql, "error": str(exc)})
            syntax_left -= 1
            if syntax_left < 0:
                return Answer(question, False, "none", "cannot answer: the model's SQL kept failing", "table",
                              attempts=tuple(attempts))
            messages.append({"role": "user", "content": f"That SQL failed: {exc}. Fix it; answer with SQL only."})
            continue
        if (not result.rows or _implausible(result)) and empty_left > 0:
            empty_left -= 1
            what = "no rows" if not result.rows else "only zero or NULL"
            attempts.append({"sql": sql, "error": f"empty result ({what})"})
            messages.append({"role": "user", "content": f"That SQL returned {what}; check the filters and values."})
            continue
        attempts.append({"sql": sql, "error": ""})
        n = len(result.rows)
        example = _remember(runtime, pid, question, sql, n)
        return Answer(question, True, "model", _summary("Answer", result), _chart(result), result,
                      attempts=tuple(attempts), example_id=example)


def _missing_value(runtime: Runtime, pid: int, m: Match) -> str | None:
    """A branch or author slot the project's data does not have (then the question is refused)."""
    view = m.slots.get("view")
    for slot, column in (("branch", "branch"), ("author", "author_name")):
        value = m.slots.get(slot)
        if value is None or view is None:
            continue
        lit = "'" + value.replace("'", "''") + "'"
        r = _run(runtime, f"SELECT COUNT(*) FROM {view} WHERE {column} = {lit}", pid, max_rows=1)
        if not r.rows or not r.rows[0][0]:
            return f"no {slot} {value!r} in {view}"
    return None


def ask(runtime: Runtime, req: AskRequest) -> Answer:
    """Answer a question from the catalogue, else (if configured) from the model; else say it cannot."""
    question = req.question.strip()
    if not question:
        raise InputError("the question is empty")
    pid = _project_id(runtime, req.project, req.org)
    s = runtime.settings.query
    if not req.use_catalogue:
        client = model_client(runtime) if req.use_model else None
        if client is None:
            return Answer(question, False, "none", "cannot answer: no model configured and the catalogue is off",
                          "table")
        return _ask_model(runtime, client, question, pid)
    m = match(question, s.catalogue_min_confidence, s.catalogue_strict_intents)
    if isinstance(m, Match) and (missing := _missing_value(runtime, pid, m)) is not None:
        return Answer(question, False, "none", f"cannot answer: {missing}; try `argus query` over `argus schema`",
                      "table", confidence=m.confidence, slots=dict(m.slots))
    if isinstance(m, Match):
        result = _run(runtime, m.sql, pid)
        return Answer(question, True, "catalogue", _summary(m.intent.summary, result), m.intent.chart, result,
                      m.intent.name, confidence=m.confidence, slots=dict(m.slots))
    client = model_client(runtime) if req.use_model else None
    if client is None:
        return Answer(question, False, "none", "cannot answer: " + m.message(), "table", confidence=m.confidence,
                      nearest=tuple(i.name for i in m.nearest))
    return _ask_model(runtime, client, question, pid)


def answer_json(a: Answer) -> dict[str, Any]:
    return {
        "question": a.question, "answered": a.answered, "source": a.source, "intent": a.intent,
        "summary": a.summary, "chart": a.chart, "attempts": list(a.attempts), "example_id": a.example_id,
        "confidence": a.confidence, "slots": dict(a.slots), "nearest": list(a.nearest),
        "result": result_json(a.result) if a.result is not None else None,
    }


def result_json(r: QueryResult) -> dict[str, Any]:
    return {"sql": r.sql, "executed_sql": r.executed_sql, "views": list(r.views), "columns": list(r.columns),
            "rows": [list(x) for x in r.rows], "truncated": r.truncated}


__all__ = ["Answer", "AskRequest", "Example", "QueryFailed", "QueryRequest", "add_example", "answer_json", "ask",
           "examples", "feedback", "query", "result_json"]
