"""Guarded queries and questions on a real database (SQLite, or PostgreSQL with ARGUS_TEST_DATABASE_URL):
two projects, each sees only its own rows; hostile queries refused before the database; a query
cannot write; ``ask`` from the catalogue and from a fake OpenAI-compatible model on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from argus.analysis.query.guard import QueryRejected
from argus.analysis.query.service import QueryFailed, run
from argus.app.query import AskRequest, QueryRequest, ask, query
from argus.app.runtime import ProjectScope, Runtime
from argus.core.settings import Settings
from argus.store.models import DeliveryIncident, TestCase, TestResult, TestRun
from argus.testing.http import JsonHandler, serve
from argus.testing.query_corpus import hostile_queries

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(scope: ProjectScope, prefix: str, runs: int, incidents: int) -> None:
    s, pid = scope.session, scope.project.id
    case = TestCase(project_id=pid, identity=f"{prefix}::test_a", name="test_a")
    s.add(case)
    s.flush()
    for i in range(runs):
        r = TestRun(project_id=pid, branch="main", ci_job=f"{prefix}-job", started_at=T0 + timedelta(hours=i), tests=1,
                    failed=i % 2, passed=1 - i % 2)
        s.add(r)
        s.flush()
        s.add(TestResult(project_id=pid, run_id=r.id, test_case_id=case.id, outcome="failed" if i % 2 else "passed",
                         duration_s=1.0 + i))
    for i in range(incidents):
        s.add(DeliveryIncident(project_id=pid, ext_id=f"{prefix}-inc-{i}", title=f"{prefix} incident {i}", status="open",
                               created_at=T0, repo_or_service=f"{prefix}-svc"))


@pytest.fixture
def runtime(engine: Engine, settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(settings)
    rt.in_project("alpha", lambda sc: _fill(sc, "alpha", 4, 1), create=True)
    rt.in_project("beta", lambda sc: _fill(sc, "beta", 6, 3), create=True)
    yield rt
    rt.close()


def _pid(rt: Runtime, project: str) -> int:
    return rt.in_project(project, lambda sc: int(sc.project.id))


def test_each_project_sees_only_its_rows(runtime: Runtime) -> None:
    a = query(runtime, QueryRequest("SELECT COUNT(*) AS n FROM runs", "alpha"))
    b = query(runtime, QueryRequest("SELECT COUNT(*) AS n FROM runs", "beta"))
    assert a.rows == ((4,),) and b.rows == ((6,),)
    u = query(runtime, QueryRequest(
        "WITH x AS (SELECT ci_job FROM runs) SELECT ci_job FROM x UNION SELECT service FROM incidents "
        "UNION SELECT test FROM (SELECT test FROM test_results) AS t", "alpha"))
    assert {r[0] for r in u.rows} == {"alpha-job", "alpha-svc", "alpha::test_a"}


def test_query_returns_typed_plain_values(runtime: Runtime) -> None:
    r = query(runtime, QueryRequest("SELECT test, outcome, duration_s, started_at FROM test_results "
                                    "ORDER BY duration_s LIMIT 2", "beta"))
    assert r.columns == ("test", "outcome", "duration_s", "started_at")
    assert r.rows[0][:3] == ("beta::test_a", "passed", 1.0)
    assert isinstance(r.rows[0][3], str)


def test_hostile_queries_never_reach_the_database(runtime: Runtime) -> None:
    engine, pid = runtime.engine(), _pid(runtime, "alpha")
    for sql in hostile_queries():
        with pytest.raises(QueryRejected):
            run(engine, sql, project_id=pid, max_rows=10, timeout_s=5)
    # nothing was changed
    assert query(runtime, QueryRequest("SELECT COUNT(*) FROM runs", "alpha")).rows == ((4,),)


def test_limit_caps_rows_and_reports_truncation(runtime: Runtime) -> None:
    r = run(runtime.engine(), "SELECT run_id FROM runs", project_id=_pid(runtime, "beta"), max_rows=3, timeout_s=5)
    assert len(r.rows) == 3 and r.truncated


def test_a_database_error_is_a_query_failure(runtime: Runtime) -> None:
    with pytest.raises(QueryFailed) as err:
        query(runtime, QueryRequest("SELECT started_at FROM runs AS a, test_results AS b", "alpha"))
    assert err.value.rule == "database"


def test_a_slow_query_is_interrupted(runtime: Runtime) -> None:
    big = ("SELECT COUNT(*) FROM test_results AS a, test_results AS b, test_results AS c, test_results AS d, "
           "test_results AS e, test_results AS f, test_results AS g")
    with pytest.raises(QueryFailed) as err:
        run(runtime.engine(), big, project_id=_pid(runtime, "beta"), max_rows=10, timeout_s=0.001)
    assert err.value.rule == "timeout"
    # the connection is usable (and writable by the application) afterwards
    runtime.in_project("beta", lambda sc: _fill(sc, "beta2", 1, 0))


def test_ask_from_the_catalogue(runtime: Runtime) -> None:
    a = ask(runtime, AskRequest("how many incidents", "beta"))
    assert a.answered and a.source == "catalogue" and a.result is not None and a.result.rows == ((3,),)
    assert a.chart == "number"
    b = ask(runtime, AskRequest("top 1 failing tests", "beta"))
    assert b.result is not None and b.result.rows == (("beta::test_a", 3),)


def test_ask_says_when_it_cannot_answer(runtime: Runtime) -> None:
    a = ask(runtime, AskRequest("what is the meaning of life", "alpha"))
    assert not a.answered and a.source == "none" and "cannot answer" in a.summary


class FakeModel:
    """Scripted OpenAI-compatible answers, one per request; ``"HANG"`` never answers in time."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        model = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                model.requests.append(body)
                answer = model.answers.pop(0) if model.answers else "SELECT 1"
                if answer == "HANG":
                    model.release.wait(10)
                    return
                self.reply(200, {}, {"choices": [{"message": {"role": "assistant", "content": answer}}]})

        return Handler


def _with_model(runtime: Runtime, url: str) -> Runtime:
    s = runtime.settings.model_copy(update={"query": runtime.settings.query.model_copy(
        update={"llm_base_url": url + "/v1", "llm_model": "fake", "llm_timeout_s": 0.5})})
    return Runtime(s, runtime.engine())


QUESTION = "which ci job of ours ran the longest overall"


def test_model_sql_is_guarded_and_repaired(runtime: Runtime) -> None:
    fake = FakeModel([
        "```sql\nSELECT * FROM test_run; DROP TABLE test_run\n```",  # malicious: refused, fed back
        "SELECT ci_jobb FROM runs",  # wrong column: database error, fed back
        "SELECT ci_job FROM runs WHERE branch = 'nope'",  # empty: asked again
        "```sql\nSELECT ci_job, SUM(duration_s) AS s FROM runs GROUP BY ci_job ORDER BY s DESC\n```",
    ])
    with serve(fake.handler(), fake.release.set) as url:
        a = ask(_with_model(runtime, url), AskRequest(QUESTION, "alpha"))
    assert a.answered and a.source == "model" and a.result is not None
    assert a.result.rows[0][0] == "alpha-job"
    assert [x["error"] != "" for x in a.attempts] == [True, True, True, False]
    assert "single-statement" in a.attempts[0]["error"]
    # the model saw the semantic layer and, when repairing, the error
    assert "test_results" in fake.requests[0]["messages"][0]["content"]
    assert "single-statement" in fake.requests[1]["messages"][-1]["content"]
    assert query(runtime, QueryRequest("SELECT COUNT(*) FROM runs", "alpha")).rows == ((4,),)


def test_model_that_keeps_failing_gives_up(runtime: Runtime) -> None:
    fake = FakeModel(["DELETE FROM runs"] * 10)
    with serve(fake.handler(), fake.release.set) as url:
        a = ask(_with_model(runtime, url), AskRequest(QUESTION, "alpha"))
    assert not a.answered and len(fake.requests) == 4  # first try + 3 repairs


def test_model_timeout_is_a_clear_no_answer(runtime: Runtime) -> None:
    fake = FakeModel(["HANG"])
    with serve(fake.handler(), fake.release.set) as url:
        a = ask(_with_model(runtime, url), AskRequest(QUESTION, "alpha"))
    assert not a.answered and "model failed" in a.summary


def test_successful_pairs_are_remembered_and_offered_per_project(runtime: Runtime) -> None:
    from argus.app.query import feedback

    good = "SELECT ci_job, SUM(duration_s) AS s FROM runs GROUP BY ci_job ORDER BY s DESC"
    fake = FakeModel([good, good, good])
    with serve(fake.handler(), fake.release.set) as url:
        rt = _with_model(runtime, url)
        first = ask(rt, AskRequest(QUESTION, "alpha"))
        assert first.example_id is not None
        ask(rt, AskRequest(QUESTION + " again", "alpha"))
        assert good in fake.requests[1]["messages"][0]["content"]  # offered as an example
        ask(rt, AskRequest(QUESTION, "beta"))
        assert good not in fake.requests[2]["messages"][0]["content"]  # not to another project
        feedback(rt, "alpha", first.example_id, good=False)


def test_readonly_role_is_refused_writes_by_postgresql_itself(runtime: Runtime) -> None:
    """Even SQL that bypassed the guard, in a transaction that is not read-only, cannot write or read
    tables outside the semantic layer once the connection switched to the read-only role."""
    import uuid

    from sqlalchemy.exc import ProgrammingError

    from argus.app.query import create_readonly_role
    from argus.core.errors import ConfigError

    if runtime.engine().dialect.name != "postgresql":
        with pytest.raises(ConfigError):
            create_readonly_role(runtime, "argus_ro_test")
        pytest.skip("the read-only role is PostgreSQL's (set ARGUS_TEST_DATABASE_URL)")
    role = f"argus_ro_{uuid.uuid4().hex[:10]}"
    out = create_readonly_role(runtime, role)
    try:
        assert out["created"] and "test_run" in out["tables"] and "api_token" not in out["tables"]
        assert create_readonly_role(runtime, role)["created"] is False  # idempotent
        for sql in ("INSERT INTO test_run (project_id, branch, tests, passed, failed, errors, skipped) "
                    "VALUES (1, 'x', 0, 0, 0, 0, 0)", "DELETE FROM test_run", "UPDATE test_run SET branch = 'x'",
                    "SELECT * FROM project", "CREATE TABLE evil (x int)"):
            with runtime.engine().connect() as conn:
                conn.exec_driver_sql(f'SET LOCAL ROLE "{role}"')
                with pytest.raises(ProgrammingError, match="permission denied"):
                    conn.exec_driver_sql(sql)
                conn.rollback()
        # guarded queries run under the role and still see the project's rows
        s = runtime.settings.model_copy(update={"query": runtime.settings.query.model_copy(update={"pg_role": role})})
        rt = Runtime(s, runtime.engine())
        assert query(rt, QueryRequest("SELECT COUNT(*) FROM runs", "alpha")).rows == ((4,),)
        assert query(rt, QueryRequest("SELECT COUNT(*) FROM incidents", "beta")).rows == ((3,),)
    finally:
        with runtime.engine().begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')


class FakeAnthropic:
    """Anthropic's Messages API on 127.0.0.1: checks the headers, answers with content blocks."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, answer = fake.answers.pop(0)
                if self.headers.get("x-api-key") != "sk-ant-test" or not self.headers.get("anthropic-version"):
                    status, answer = 401, {"type": "error", "error": {"type": "authentication_error",
                                                                        "message": "invalid x-api-key"}}
                self.reply(status, {}, answer)

        return Handler


def _text(text: str) -> tuple[int, dict[str, Any]]:
    return 200, {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
                 "stop_reason": "end_turn",
                 "content": [{"type": "thinking", "thinking": "SELECT nothing"}, {"type": "text", "text": text}]}


def _with_anthropic(runtime: Runtime, url: str, key: str = "sk-ant-test") -> Runtime:
    from argus.core.settings.query import LlmProvider

    s = runtime.settings.model_copy(update={"query": runtime.settings.query.model_copy(update={
        "llm_provider": LlmProvider.ANTHROPIC, "llm_base_url": url, "llm_model": "claude-test",
        "llm_api_key": SecretStr(key), "llm_timeout_s": 2.0})})
    return Runtime(s, runtime.engine())


def test_anthropic_messages_api(runtime: Runtime) -> None:
    fake = FakeAnthropic([
        _text("```sql\nSELECT ci_jobb FROM runs\n```"),  # wrong column: repaired
        _text("```sql\nSELECT ci_job, SUM(duration_s) AS s FROM runs GROUP BY ci_job ORDER BY s DESC\n```"),
    ])
    with serve(fake.handler()) as url:
        a = ask(_with_anthropic(runtime, url), AskRequest(QUESTION, "alpha"))
    assert a.answered and a.source == "model" and a.result is not None and a.result.rows[0][0] == "alpha-job"
    path, headers, body = fake.requests[0]
    assert path == "/v1/messages" and headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers
    assert body["model"] == "claude-test" and body["max_tokens"] > 0
    assert "test_results" in body["system"]  # the semantic layer, as the top-level system prompt
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert body["messages"][0]["content"] == [{"type": "text", "text": QUESTION}]
    # the repair turn: the assistant's answer, then the database's error, as content blocks
    roles = [m["role"] for m in fake.requests[1][2]["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert "ci_jobb" in fake.requests[1][2]["messages"][2]["content"][0]["text"]


def test_anthropic_errors_are_a_clear_no_answer(runtime: Runtime) -> None:
    overloaded = (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    fake = FakeAnthropic([overloaded])
    with serve(fake.handler()) as url:
        a = ask(_with_anthropic(runtime, url), AskRequest(QUESTION, "alpha"))
    assert not a.answered and "overloaded_error" in a.summary
    fake = FakeAnthropic([_text("SELECT 1")])
    with serve(fake.handler()) as url:
        b = ask(_with_anthropic(runtime, url, key="wrong"), AskRequest(QUESTION, "alpha"))
    assert not b.answered and "authentication_error" in b.summary


def test_every_view_validates_against_its_declared_types(runtime: Runtime) -> None:
    from argus.analysis.query.semantic import VIEWS

    for view in VIEWS:
        query(runtime, QueryRequest(f"SELECT * FROM {view.name}", "beta"))
    r = query(runtime, QueryRequest("SELECT is_flaky_rerun FROM test_results LIMIT 1", "beta"))
    assert r.rows[0][0] is None or type(r.rows[0][0]) is bool


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_scripted_model_replays_per_question_and_malicious_sql_is_always_refused(runtime: Runtime,
                                                                                provider: str) -> None:
    """The benchmark's scripted model (argus.testing.llm): every kind of wrong first answer is refused
    or repaired; every malicious one is refused by the guard; nothing is written."""
    from argus.core.settings.query import LlmProvider
    from argus.testing.llm import PROPORTIONS, Kind, ScriptedModel, make_scripts

    ref = "SELECT ci_job, COUNT(*) AS n FROM runs GROUP BY ci_job"
    items = [(f"{QUESTION} #{i}", ref) for i in range(20)]
    scripts = make_scripts(items, seed=1)
    assert {s.kind for s in scripts} == set(PROPORTIONS)
    model = ScriptedModel({s.question: s.answers() for s in scripts})
    with serve(model.handler()) as url:
        prov = LlmProvider.ANTHROPIC if provider == "anthropic" else LlmProvider.OPENAI
        s = runtime.settings.model_copy(update={"query": runtime.settings.query.model_copy(update={
            "llm_provider": prov, "llm_base_url": url + ("/v1" if provider == "openai" else ""),
            "llm_model": "scripted", "llm_api_key": SecretStr("sk-ant-test"), "llm_timeout_s": 5.0})})
        rt = Runtime(s, runtime.engine())
        for script in scripts:
            a = ask(rt, AskRequest(script.question, "alpha", use_catalogue=False))
            for sent, got in zip(script.attempts, a.attempts, strict=False):
                if sent.malicious:
                    assert got["error"].startswith("rejected ("), (sent.sql, got)
            if script.kind is Kind.GIVES_UP:
                assert not a.answered and len(a.attempts) == 4
            else:
                assert a.answered and a.result is not None and a.result.rows == (("alpha-job", 4),), script
    assert query(runtime, QueryRequest("SELECT COUNT(*) FROM runs", "alpha")).rows == ((4,),)


def test_a_zero_only_result_is_asked_again(runtime: Runtime) -> None:
    fake = FakeModel(["SELECT COUNT(*) FROM runs WHERE branch = 'nope'", "SELECT COUNT(*) FROM runs"])
    with serve(fake.handler(), fake.release.set) as url:
        a = ask(_with_model(runtime, url), AskRequest(QUESTION, "alpha"))
    assert a.answered and a.result is not None and a.result.rows == ((4,),)
    assert "only zero or NULL" in a.attempts[0]["error"]
