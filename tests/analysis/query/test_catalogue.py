"""The catalogue's slot parser: slots read from questions, and refusals instead of nearby answers.

The questions here are made up for the tests; none is from bench/query_eval.py's held-out sets."""

from __future__ import annotations

import pytest

from argus.analysis.query.catalogue import Match, Refusal, match
from argus.analysis.query.guard import guard
from argus.analysis.query.slots import parse


def test_slots_are_read() -> None:
    p = parse("how many commits by Freya Lindqvist since 2026-01-05")
    assert (p.view, p.metric, p.author, p.since, p.confidence) == ("commits", "count", "Freya Lindqvist",
                                                                    "2026-01-05", 1.0)
    p = parse("failed test attempts per job in March 2026")
    assert (p.view, p.group, p.since, p.until) == ("test_results", "ci_job", "2026-03-01", "2026-04-01")
    assert p.filters == ["outcome IN ('failed', 'error')"]
    p = parse("average test duration on main")
    assert (p.metric, p.measure, p.branch) == ("avg", "duration_s", "main")


@pytest.mark.parametrize(("question", "want"), [
    ("how many incidents are open", "SELECT COUNT(*) AS value FROM incidents WHERE resolved_at IS NULL"),
    ("pull requests merged per repo", "SELECT repo AS repo, COUNT(*) AS value FROM pull_requests "
     "WHERE status = 'merged' GROUP BY repo ORDER BY value DESC, repo"),
    ("top 3 authors", "SELECT author_name, COUNT(*) AS value FROM commits GROUP BY author_name "
     "ORDER BY value DESC, author_name LIMIT 3"),
])
def test_composed_queries(question: str, want: str) -> None:
    m = match(question)
    assert isinstance(m, Match) and m.intent.name == "composed" and m.sql == want
    guard(m.sql, dialect="sqlite", project_id=1, max_rows=10)


def test_an_intent_answers_only_what_its_words_cover() -> None:
    m = match("how many flaky tests are there")
    assert isinstance(m, Match) and m.intent.name == "flaky_count" and m.confidence == 1.0
    # a word the intent does not cover: not answered as the nearby "count runs"
    r = match("how many runs per moon phase")
    assert isinstance(r, Refusal) and "moon" in r.unexplained and r.nearest
    assert "argus query" in r.message() and "nearest catalogue questions" in r.message()


@pytest.mark.parametrize("question", [
    "what is the meaning of life", "which tests are flaky on tuesdays because of the weather",
    "median time between deploys per quarter", "who reviewed the most pull requests",
])
def test_refused(question: str) -> None:
    assert isinstance(match(question), Refusal)


def test_a_lower_threshold_answers_more() -> None:
    q = "how many runs failed last weekend"
    assert isinstance(match(q), Refusal)
    assert isinstance(match(q, min_confidence=0.5), Match)


def test_an_intent_does_not_answer_when_it_cannot_apply_a_slot() -> None:
    # a grouping the intent's SQL does not group by: the count is not the answer
    loose = match("how many flaky tests are in each state", strict_intents=False)
    assert isinstance(loose, Match) and loose.intent.name == "flaky_count"
    strict = match("how many flaky tests are in each state")
    assert isinstance(strict, Match) and strict.intent.name == "composed" and "GROUP BY state" in strict.sql
    # a filter value of the column the intent only groups by ("pass | warn | fail")
    m = match("how many gate verdicts were warn")
    assert isinstance(m, Match) and m.intent.name == "composed" and "verdict = 'warn'" in m.sql
    # a filter the intent already applies keeps the intent
    m = match("how many quarantined tests")
    assert isinstance(m, Match) and m.intent.name == "quarantined_count"
