"""Slots of a question: what it counts or ranks, over which view, filtered and grouped how.

A question is read word by word. Each word is either *explained* — a stop word, a word of the
vocabulary of a view (its nouns), a measure, a filter, a grouping, a ranking or a number/date the
parser consumed — or not. :class:`Parse` keeps the slots and the words left unexplained;
``confidence`` is the share of the question's content words that were explained. The catalogue
(:mod:`argus.analysis.query.catalogue`) answers only at full confidence (by default): a question
with a word the parser does not understand is refused, never answered as a nearby question.

Everything here is derived from the semantic layer's views and a small vocabulary written from the
schema's descriptions and the *dev* questions only (bench/query_eval.py); the held-out sets were not
used to write it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

STOP = frozenset([
    "a", "an", "the", "of", "in", "on", "at", "for", "to", "from", "is", "are", "was", "were", "be", "been",
    "do", "does", "did", "have", "has", "had", "there", "their", "which", "what", "who", "whom", "how", "me",
    "show", "list", "give", "tell", "all", "our", "we", "my", "i", "you", "please", "with", "and", "that",
    "this", "these", "those", "it", "its", "get", "find", "any", "so", "far", "ever", "overall", "currently",
    "now", "per", "by", "each", "every", "as",
])

_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"], 1)}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twenty": 20}


@dataclass(frozen=True)
class Noun:
    """A word naming rows of a view; ``column`` is what a ranking or distinct count is over."""

    view: str
    column: str | None = None


#: Nouns (singular and plural written out; matched on whole words).
NOUNS: dict[str, Noun] = {
    **{w: Noun("runs", "run_id") for w in ("run", "runs", "build", "builds")},
    **{w: Noun("tests", "test") for w in ("test", "tests", "testcase", "testcases")},
    **{w: Noun("test_results", None) for w in ("failure", "failures", "attempt", "attempts", "result",
                                                "results", "retry", "retries")},
    **{w: Noun("commits", "sha") for w in ("commit", "commits", "change", "changes")},
    **{w: Noun("commits", "author_name") for w in ("author", "authors", "developer", "developers",
                                                    "contributor", "contributors")},
    **{w: Noun("commit_files", "path") for w in ("file", "files")},
    **{w: Noun("clusters", "cluster_id") for w in ("cluster", "clusters")},
    **{w: Noun("insights", "insight_id") for w in ("insight", "insights", "finding", "findings")},
    **{w: Noun("gate_verdicts", "build") for w in ("verdict", "verdicts", "gate")},
    **{w: Noun("deployments", "deployment") for w in ("deployment", "deployments", "deploy", "deploys")},
    **{w: Noun("incidents", "incident") for w in ("incident", "incidents", "outage", "outages")},
    **{w: Noun("pull_requests", "pull_request") for w in ("pr", "prs")},
    **{w: Noun("pipelines", "pipeline") for w in ("pipeline", "pipelines")},
    **{w: Noun("flaky_states", "test") for w in ("flaky", "flakey")},
}
#: Two-word nouns (checked before single words).
NOUNS2: dict[str, Noun] = {
    "pull request": Noun("pull_requests", "pull_request"), "pull requests": Noun("pull_requests", "pull_request"),
    "merge request": Noun("pull_requests", "pull_request"), "merge requests": Noun("pull_requests", "pull_request"),
    "test run": Noun("runs", "run_id"), "test runs": Noun("runs", "run_id"),
    "ci job": Noun("runs", "ci_job"), "ci jobs": Noun("runs", "ci_job"),
}

#: Grouping words → column, per view (``per branch``, ``by author``, ``for each suite``).
DIMENSIONS: dict[str, dict[str, str]] = {
    "runs": {"branch": "branch", "job": "ci_job", "provider": "ci_provider"},
    "tests": {"suite": "suite", "class": "classname", "file": "file"},
    "test_results": {"test": "test", "branch": "branch", "job": "ci_job", "outcome": "outcome",
                     "type": "failure_type", "cluster": "cluster_id", "run": "run_id"},
    "flaky_states": {"category": "category", "state": "state", "cause": "category", "action": "action"},
    "clusters": {"type": "failure_type"},
    "insights": {"kind": "kind", "tier": "review_tier", "subject": "subject_type"},
    "gate_verdicts": {"verdict": "verdict"},
    "commits": {"author": "author_name", "branch": "branch", "developer": "author_name"},
    "commit_files": {"file": "path", "path": "path", "type": "change_type"},
    "deployments": {"environment": "environment", "result": "result", "status": "result"},
    "incidents": {"service": "service", "status": "status"},
    "pull_requests": {"repo": "repo", "repository": "repo", "status": "status", "branch": "base_branch"},
    "pipelines": {"name": "name", "type": "type", "result": "result", "environment": "environment"},
}
#: The time column of each view (time-range filters and ``per day``).
TIME: dict[str, str] = {
    "runs": "started_at", "tests": "first_seen_at", "test_results": "started_at", "flaky_states": "detected_at",
    "clusters": "first_seen_at", "insights": "created_at", "gate_verdicts": "created_at",
    "commits": "author_time", "deployments": "started_at", "incidents": "created_at",
    "pull_requests": "created_at", "pipelines": "started_at",
}
#: Numeric measures a question can average/sum/maximise, per view: word → column.
MEASURES: dict[str, dict[str, str]] = {
    "runs": {"duration": "duration_s", "time": "duration_s", "tests": "tests", "failures": "failed"},
    "test_results": {"duration": "duration_s", "time": "duration_s"},
    "flaky_states": {"probability": "probability", "wasted": "wasted_s", "waste": "wasted_s"},
    "clusters": {"failures": "failures", "size": "failures"},
    "insights": {"confidence": "confidence"},
    "gate_verdicts": {"confidence": "confidence"},
    "commit_files": {"lines": "lines_added"},
    "pipelines": {"duration": "duration_sec", "time": "duration_sec"},
}
#: Filter words → SQL condition, per view. ``{v}`` is not used: conditions are literal.
FILTERS: dict[str, dict[str, str]] = {
    "runs": {"failed": "failed + errors > 0", "failing": "failed + errors > 0", "red": "failed + errors > 0",
             "broken": "failed + errors > 0", "passed": "failed + errors = 0", "green": "failed + errors = 0",
             "passing": "failed + errors = 0"},
    "test_results": {"failed": "outcome IN ('failed', 'error')", "failing": "outcome IN ('failed', 'error')",
                     "failures": "outcome IN ('failed', 'error')", "failure": "outcome IN ('failed', 'error')",
                     "fail": "outcome IN ('failed', 'error')",
                     "errored": "outcome = 'error'", "error": "outcome = 'error'", "errors": "outcome = 'error'",
                     "skipped": "outcome = 'skipped'", "passed": "outcome = 'passed'"},
    "flaky_states": {"quarantined": "state = 'quarantined'"},
    "commits": {"merge": "is_merge = TRUE", "fix": "is_fix = TRUE", "fixes": "is_fix = TRUE",
                "bugfix": "is_fix = TRUE"},
    "insights": {"current": "current = 1"},
    # the verdict column's values as the schema documents them ("pass | warn | fail") and their participles
    "gate_verdicts": {"failed": "verdict = 'fail'", "passed": "verdict = 'pass'", "warned": "verdict = 'warn'",
                      "fail": "verdict = 'fail'", "pass": "verdict = 'pass'", "warn": "verdict = 'warn'"},
    "deployments": {"failed": "result = 'failure'", "successful": "result = 'success'",
                    "production": "environment = 'production'", "staging": "environment = 'staging'"},
    "incidents": {"open": "resolved_at IS NULL", "unresolved": "resolved_at IS NULL",
                  "resolved": "resolved_at IS NOT NULL"},
    "pull_requests": {"merged": "status = 'merged'", "open": "status = 'open'", "closed": "status = 'closed'"},
    "pipelines": {"failed": "result = 'failure'", "successful": "result = 'success'"},
}
#: Words of a count, an average, a sum, a maximum, a ranking and recency.
COUNT = frozenset({"many", "count", "number", "total"})
AVG = frozenset({"average", "mean", "avg", "typical"})
SUM = frozenset({"sum", "total"})
RANK = frozenset({"most", "top", "highest", "biggest", "largest", "often", "frequently", "common", "worst"})
LEAST = frozenset({"least", "fewest", "lowest", "smallest"})
RECENT = frozenset({"latest", "recent", "newest", "last"})
DISTINCT = frozenset({"distinct", "different", "unique"})


@dataclass
class Parse:
    """What the parser understood of a question (module doc)."""

    words: list[str]
    content: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    view: str | None = None
    noun: Noun | None = None
    filters: list[str] = field(default_factory=list)
    group: str | None = None
    per_day: bool = False
    since: str | None = None
    until: str | None = None
    branch: str | None = None
    author: str | None = None
    n: int | None = None
    metric: str = "list"  # count | count_distinct | avg | sum | rank | least | recent | list
    measure: str | None = None

    @property
    def confidence(self) -> float:
        return 1.0 if not self.content else round(1 - len(self.unexplained) / len(self.content), 3)


def tokens(text: str) -> list[str]:
    return re.findall(r"\d{4}-\d{2}-\d{2}|[a-z0-9_][a-z0-9_.\-/\[\]]*", text.lower())


def _date(s: str) -> str | None:
    try:
        return dt.date.fromisoformat(s).isoformat()
    except ValueError:
        return None


def _singular(w: str) -> str:
    return w[:-1] if w.endswith("s") and len(w) > 3 else w


def parse(question: str) -> Parse:
    """Read ``question`` into slots (see module doc); nothing is guessed for an unknown word."""
    words = tokens(question)
    p = Parse(words)
    used: set[int] = set()
    # authors named in the question: "by Ines Duarte", "did Ines Duarte make"
    for m in re.finditer(r"\b(?:by|did|from|of)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)", question):
        p.author = m.group(1)
        for part in m.group(1).lower().split():
            for i, w in enumerate(words):
                if w == part:
                    used.add(i)
    # two-word nouns first
    for i in range(len(words) - 1):
        two = f"{words[i]} {words[i + 1]}"
        if two in NOUNS2 and p.noun is None:
            p.noun, p.view = NOUNS2[two], NOUNS2[two].view
            used.update({i, i + 1})
    for i, w in enumerate(words):
        if p.noun is None and w in ("flaky", "flakey", "flakiest") and i not in used:
            p.noun, p.view = NOUNS["flaky"], "flaky_states"
            used.add(i)
    for i, w in enumerate(words):
        if i in used:
            continue
        if p.noun is None and w in NOUNS:
            # "flaky tests": the adjective decides the view, the noun after it is part of it
            p.noun, p.view = NOUNS[w], NOUNS[w].view
            used.add(i)
    if p.view is None:
        p.content = [w for w in words if w not in STOP]
        p.unexplained = list(p.content)
        return p
    view = p.view
    # "tests" with an outcome/duration word are about results, not the test catalogue
    outcome_words = set(FILTERS["test_results"]) | {"slow", "slowest", "duration", "retry", "retries"}
    if view == "tests" and any(w in outcome_words for w in words):
        view = p.view = "test_results"
    if view == "flaky_states":
        for i, w in enumerate(words):
            if w in ("test", "tests"):
                used.add(i)
    for i, w in enumerate(words):
        if i in used:
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        prev = words[i - 1] if i > 0 else ""
        if w in NOUNS and NOUNS[w].view == view:
            used.add(i)
        elif w in ("since", "after", "from") and _date(nxt):
            p.since = _date(nxt)
            used.update({i, i + 1})
        elif w in ("before", "until") and _date(nxt):
            p.until = _date(nxt)
            used.update({i, i + 1})
        elif w in _MONTHS and nxt.isdigit() and len(nxt) == 4:
            start = dt.date(int(nxt), _MONTHS[w], 1)
            end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            p.since, p.until = start.isoformat(), end.isoformat()
            used.update({i, i + 1})
        elif w == "on" and nxt and nxt not in STOP and view in ("runs", "test_results", "commits") \
                and not nxt.isdigit() and nxt not in NOUNS:
            p.branch = nxt
            used.update({i, i + 1})
        elif w in ("per", "by", "each") and nxt:
            col = DIMENSIONS.get(view, {}).get(_singular(nxt)) or DIMENSIONS.get(view, {}).get(nxt)
            if nxt == "day" or nxt == "days":
                p.per_day = True
                used.update({i, i + 1})
            elif col is not None:
                p.group = col
                used.update({i, i + 1})
                if nxt == "failure" or (prev == "failure" and nxt == "type"):
                    pass
        elif w in ("top", "first", "last") and (nxt.isdigit() or nxt in _NUMBER_WORDS):
            p.n = int(nxt) if nxt.isdigit() else _NUMBER_WORDS[nxt]
            p.metric = "recent" if w == "last" else "rank"
            used.update({i, i + 1})
        elif (w.isdigit() or w in _NUMBER_WORDS) and p.n is None and not (len(w) == 4 and w.isdigit()):
            p.n = int(w) if w.isdigit() else _NUMBER_WORDS[w]
            used.add(i)
    # "failure type": group by the failure type on results and clusters
    for i, w in enumerate(words):
        if w == "type" and i > 0 and words[i - 1] in ("failure", "error", "exception") and view in (
                "test_results", "clusters") and i - 2 >= 0 and words[i - 2] in ("by", "per", "each"):
            p.group = "failure_type"
            used.update({i - 2, i - 1, i})
    for i, w in enumerate(words):
        if i in used:
            continue
        f = FILTERS.get(view, {})
        if w in f and f[w] not in p.filters:
            p.filters.append(f[w])
            used.add(i)
        elif w in f:
            used.add(i)
        elif w in DISTINCT:
            p.metric = "count_distinct"
            used.add(i)
        elif w in COUNT and p.metric not in ("count_distinct", "avg"):
            if w == "total" and any(x in MEASURES.get(view, {}) for x in words):
                p.metric = "sum"
            elif w != "many" or (i > 0 and words[i - 1] == "how"):
                p.metric = "count"
            used.add(i)
        elif w in AVG:
            p.metric = "avg"
            used.add(i)
        elif w in MEASURES.get(view, {}) and p.measure is None:
            p.measure = MEASURES[view][w]
            used.add(i)
        elif w in RANK and p.metric in ("list", "rank"):
            p.metric = "rank"
            used.add(i)
        elif w in LEAST and p.metric == "list":
            p.metric = "least"
            used.add(i)
        elif w in RECENT and p.metric == "list":
            p.metric = "recent"
            used.add(i)
        elif w in ("slowest", "longest", "slow") and "duration_s" in MEASURES.get(view, {}).values():
            p.measure = MEASURES[view]["duration"]
            p.metric = "rank" if p.metric in ("list", "rank") else p.metric
            used.add(i)
        elif w == "ci" and view in ("runs", "test_results"):
            used.add(i)
    if p.n is None and p.metric in ("rank", "least") and singular_superlative(words):
        p.n = 1
    if "how" in words and "many" in words and p.metric == "list":
        p.metric = "count"
    p.content = [w for w in words if w not in STOP]
    p.unexplained = [w for i, w in enumerate(words) if w not in STOP and i not in used]
    return p


def singular_superlative(words: list[str]) -> bool:
    """A superlative whose noun phrase ends in a singular noun ("the most common failing test")."""
    for i, w in enumerate(words):
        if w in RANK or (w.endswith("est") and len(w) > 4):
            j = next((k for k in range(i + 1, len(words)) if words[k] in NOUNS), None)
            if j is None:
                return False
            while j + 1 < len(words) and words[j + 1] in NOUNS:
                j += 1
            return not words[j].endswith("s")
    return False


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def compose(p: Parse) -> tuple[str, str, str] | None:
    """SQL, a title and a chart for a parse with a view, or None when the slots do not make a query."""
    if p.view is None:
        return None
    view = p.view
    where = list(p.filters)
    tcol = TIME.get(view)
    if p.since and tcol:
        where.append(f"{tcol} >= {_q(p.since)}")
    if p.until and tcol:
        where.append(f"{tcol} < {_q(p.until)}")
    if p.branch:
        col = "branch" if view in ("runs", "test_results", "commits") else None
        if col is None:
            return None
        where.append(f"{col} = {_q(p.branch)}")
    if p.author:
        if view != "commits":
            return None
        where.append(f"author_name = {_q(p.author)}")
    w = (" WHERE " + " AND ".join(where)) if where else ""
    noun_col = p.noun.column if p.noun is not None else None
    if view == "test_results" and noun_col is None:
        noun_col = None
    elif view == "test_results":
        noun_col = "test"
    group = p.group
    if p.per_day and tcol:
        group = f"DATE({tcol})"
    agg = "COUNT(*)"
    if p.metric == "count_distinct":
        if noun_col is None:
            return None
        agg = f"COUNT(DISTINCT {noun_col})"
    elif p.metric in ("avg", "sum"):
        if p.measure is None:
            return None
        agg = f"{'AVG' if p.metric == 'avg' else 'SUM'}({p.measure})"
    elif p.metric == "count" and view == "test_results" and noun_col == "test" and p.filters:
        agg = "COUNT(DISTINCT test)"
    title = view.replace("_", " ")
    if group is not None:
        if p.metric not in ("count", "count_distinct", "avg", "sum", "list", "rank"):
            return None
        if p.metric == "rank" and p.measure:
            agg = f"AVG({p.measure})"
        lim = f" LIMIT {p.n}" if p.n else ""
        return (f"SELECT {group} AS {_alias(group)}, {agg} AS value FROM {view}{w} GROUP BY {group} "
                f"ORDER BY value DESC, {_alias(group)}{lim}", f"{title} per {_alias(group)}", "bar")
    if p.metric in ("count", "count_distinct", "avg", "sum"):
        return f"SELECT {agg} AS value FROM {view}{w}", f"{title}: {agg.lower()}", "number"
    n = p.n or 10
    if p.metric in ("rank", "least"):
        order = "DESC" if p.metric == "rank" else "ASC"
        if p.measure is not None:
            if view == "test_results":
                return (f"SELECT test, AVG({p.measure}) AS value FROM {view}{w} GROUP BY test "
                        f"ORDER BY value {order}, test LIMIT {n}", f"tests by mean {p.measure}", "bar")
            if noun_col is None:
                return None
            return (f"SELECT {noun_col}, {p.measure} FROM {view}{w} ORDER BY {p.measure} {order}, {noun_col} "
                    f"LIMIT {n}", f"{title} by {p.measure}", "bar")
        if view == "test_results":
            return (f"SELECT test, COUNT(*) AS value FROM {view}{w} GROUP BY test ORDER BY value {order}, test "
                    f"LIMIT {n}", "tests by count", "bar")
        if noun_col is None or view in ("tests",):
            return None
        if view in ("runs", "commits", "clusters", "insights", "gate_verdicts", "deployments",
                    "incidents", "pull_requests", "pipelines", "flaky_states") and noun_col in (
                "run_id", "sha", "cluster_id", "insight_id", "build", "deployment", "incident", "pull_request",
                "pipeline", "test"):
            return None  # "most runs": most of what? not a ranking the slots define
        return (f"SELECT {noun_col}, COUNT(*) AS value FROM {view}{w} GROUP BY {noun_col} "
                f"ORDER BY value {order}, {noun_col} LIMIT {n}", f"{title} by count", "bar")
    if p.metric == "recent" and tcol and noun_col:
        return (f"SELECT {noun_col}, {tcol} FROM {view}{w} ORDER BY {tcol} DESC, {noun_col} DESC LIMIT {n}",
                f"latest {title}", "table")
    if p.metric == "list" and noun_col and (where or view == "flaky_states"):
        return f"SELECT {noun_col} FROM {view}{w} ORDER BY {noun_col} LIMIT {n if p.n else 1000}", title, "table"
    return None


def _alias(expr: str) -> str:
    m = re.match(r"DATE\((\w+)\)", expr)
    return "day" if m else expr
