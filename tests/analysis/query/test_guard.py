"""The guard alone (no database): every hostile query refused on both dialects, with the rule it
broke; views expanded with the tenant bound on every base table; limits capped; comments dropped."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

from argus.analysis.query.catalogue import INTENTS
from argus.analysis.query.guard import QueryRejected, guard
from argus.analysis.query.semantic import DIALECT_HOLES, VIEWS, schema_doc
from argus.testing.query_corpus import QUESTIONS, hostile_queries

DIALECTS = ("sqlite", "postgres")
HOSTILE = hostile_queries()


def test_corpus_is_big_enough() -> None:
    assert len(HOSTILE) >= 200


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_query_is_refused(sql: str, dialect: str) -> None:
    with pytest.raises(QueryRejected) as err:
        guard(sql, dialect=dialect, project_id=1, max_rows=100)
    assert err.value.rule in {"syntax", "single-statement", "select-only", "no-side-effects", "function-allowlist",
                              "catalogue", "view-allowlist", "column-allowlist", "parameters", "recursive-cte",
                              "limit"}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_every_base_table_of_every_view_is_filtered_on_the_tenant(view: object, dialect: str) -> None:
    from argus.analysis.query.semantic import View

    assert isinstance(view, View)
    tree = sqlglot.parse_one(view.sql(dialect), read=dialect)
    aliases = {t.alias_or_name for t in tree.find_all(exp.Table)}
    bound = {eq.this.table for eq in tree.args["where"].find_all(exp.EQ)
             if isinstance(eq.this, exp.Column) and eq.this.name == "project_id"
             and isinstance(eq.expression, exp.Placeholder) and eq.expression.name == "tenant"}
    assert aliases == bound, view.name


@pytest.mark.parametrize("dialect", DIALECTS)
def test_tenant_is_bound_inside_ctes_subqueries_and_unions(dialect: str) -> None:
    sql = ("WITH f AS (SELECT test FROM flaky_states) SELECT test FROM f UNION "
           "SELECT test FROM (SELECT test FROM tests) AS t WHERE test IN (SELECT test FROM test_results)")
    out = guard(sql, dialect=dialect, project_id=42, max_rows=10).sql
    # flaky_states (2 tables) + tests (1) + test_results (3): six predicates, all on project 42
    assert len(re.findall(r"\.project_id = 42\b", out)) == 6
    assert "project_id = 1" not in out
    assert ":tenant" not in out


@pytest.mark.parametrize("dialect", DIALECTS)
def test_limit_is_added_and_capped(dialect: str) -> None:
    assert guard("SELECT * FROM runs", dialect=dialect, project_id=1, max_rows=7).sql.endswith("LIMIT 7")
    assert guard("SELECT * FROM runs LIMIT 5000", dialect=dialect, project_id=1, max_rows=7).sql.endswith("LIMIT 7")
    assert guard("SELECT * FROM runs LIMIT 3", dialect=dialect, project_id=1, max_rows=7).limit == 3


def test_comments_do_not_reach_the_database() -> None:
    out = guard("SELECT /* hi */ run_id FROM runs -- bye", dialect="sqlite", project_id=1, max_rows=5).sql
    assert "/*" not in out and "--" not in out


def test_rejection_names_the_rule() -> None:
    with pytest.raises(QueryRejected, match=r"rejected \(view-allowlist\): test_run is not a view"):
        guard("SELECT * FROM test_run", dialect="sqlite", project_id=1, max_rows=5)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("intent", INTENTS, ids=lambda i: i.name)
def test_catalogue_sql_passes_the_guard(intent: object, dialect: str) -> None:
    from argus.analysis.query.catalogue import Intent

    assert isinstance(intent, Intent)
    guard(intent.sql.format(n=5), dialect=dialect, project_id=1, max_rows=100)


def test_schema_describes_every_column() -> None:
    doc = schema_doc()
    assert doc["version"]
    for v in VIEWS:
        assert v.description and v.version and v.examples
        assert all(c.description and c.type for c in v.columns)
    assert set(DIALECT_HOLES) == set(DIALECTS)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sql", [q[2] for q in QUESTIONS])
def test_reference_sql_is_not_blocked(sql: str, dialect: str) -> None:
    guard(sql, dialect=dialect, project_id=1, max_rows=100)
