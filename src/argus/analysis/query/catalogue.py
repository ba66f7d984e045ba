"""Questions Argus answers without a language model: intents matched by keywords, slots filled.

Each :class:`Intent` has keyword sets (every set must match at least one word of the question), an
optional ``top N`` slot and a SQL template over the semantic layer. An intent answers only when its
keywords explain every content word of the question; otherwise the slot parser
(:mod:`argus.analysis.query.slots`: view, metric, measure, filters, time range, branch, author,
grouping) composes the query when it understood enough of the question (``min_confidence``), and
else :func:`match` returns a :class:`Refusal` naming the words it did not understand and the nearest
intents — never a nearby question's answer. The SQL still runs through the guard like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argus.analysis.query import slots


@dataclass(frozen=True)
class Intent:
    name: str
    #: Every group must have a word (or word prefix) in the question.
    keywords: tuple[tuple[str, ...], ...]
    sql: str
    summary: str
    chart: str = "table"
    #: Words that rule the intent out.
    exclude: tuple[str, ...] = ()
    default_n: int = 10


@dataclass(frozen=True)
class Match:
    intent: Intent
    sql: str
    slots: dict[str, str]
    confidence: float = 1.0


@dataclass(frozen=True)
class Refusal:
    """The catalogue cannot answer: what it did not understand and the nearest intents."""

    question: str
    confidence: float
    unexplained: tuple[str, ...]
    nearest: tuple[Intent, ...]
    view: str | None = None

    def message(self) -> str:
        parts = ["I can't answer that from the catalogue"]
        if self.unexplained:
            parts.append(" (not understood: " + ", ".join(repr(w) for w in self.unexplained[:6]) + ")")
        view = self.view or "a view of `argus schema`"
        parts.append(f"; try `argus query \"SELECT … FROM {view} …\"`")
        if self.nearest:
            parts.append("; nearest catalogue questions: " + "; ".join(i.summary.lower() for i in self.nearest))
        return "".join(parts)


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "five": 5, "ten": 10, "twenty": 20}

INTENTS: tuple[Intent, ...] = (
    Intent("flaky_top", (("flaky", "flakiest", "flakey"),),
           "SELECT test, state, probability, wasted_s FROM flaky_states ORDER BY probability DESC, test LIMIT {n}",
           "Most likely flaky tests", "bar", exclude=("quarantin", "wast", "count", "how many", "category")),
    Intent("flaky_count", (("flaky", "flakey"), ("how many", "count", "number")),
           "SELECT COUNT(*) AS flaky_tests FROM flaky_states", "Tests judged flaky", "number",
           exclude=("quarantin",)),
    Intent("flaky_wasted", (("flaky",), ("wast", "cost", "time", "ci second")),
           "SELECT test, wasted_s FROM flaky_states ORDER BY wasted_s DESC, test LIMIT {n}",
           "Flaky tests by CI time wasted", "bar"),
    Intent("flaky_category", (("flaky",), ("category", "categories", "cause")),
           "SELECT category, COUNT(*) AS tests FROM flaky_states GROUP BY category ORDER BY tests DESC, category",
           "Flaky tests by likely cause", "bar"),
    Intent("quarantined", (("quarantin",),),
           "SELECT test, probability, quarantined_at FROM flaky_states WHERE state = 'quarantined' "
           "ORDER BY probability DESC, test LIMIT {n}", "Quarantined tests", "table",
           exclude=("how many", "count", "number")),
    Intent("quarantined_count", (("quarantin",), ("how many", "count", "number")),
           "SELECT COUNT(*) AS quarantined FROM flaky_states WHERE state = 'quarantined'", "Quarantined tests",
           "number"),
    Intent("failing_tests", (("fail", "broke", "break"), ("test",)),
           "SELECT test, COUNT(*) AS failures FROM test_results WHERE outcome IN ('failed', 'error') "
           "GROUP BY test ORDER BY failures DESC, test LIMIT {n}", "Tests with the most failures", "bar",
           exclude=("run", "job", "cluster", "type", "flaky", "pipeline", "deploy", "gate", "how many")),
    Intent("failure_count", (("fail",), ("how many", "count", "number", "total")),
           "SELECT COUNT(*) AS failures FROM test_results WHERE outcome IN ('failed', 'error')",
           "Failed test attempts", "number",
           exclude=("run", "job", "flaky", "pipeline", "deploy", "gate", "build")),
    Intent("slow_tests", (("slow", "longest", "duration"), ("test",)),
           "SELECT test, AVG(duration_s) AS avg_s FROM test_results GROUP BY test ORDER BY avg_s DESC, test LIMIT {n}",
           "Slowest tests (mean duration)", "bar", exclude=("run", "pipeline")),
    Intent("failing_runs_by_job", (("fail",), ("job",)),
           "SELECT ci_job, COUNT(*) AS failed_runs FROM runs WHERE failed + errors > 0 GROUP BY ci_job "
           "ORDER BY failed_runs DESC, ci_job LIMIT {n}", "CI jobs with the most failing runs", "bar"),
    Intent("failed_runs_count", (("run",), ("fail", "red", "broken")),
           "SELECT COUNT(*) AS failed_runs FROM runs WHERE failed + errors > 0", "Runs with a failure", "number",
           exclude=("job",)),
    Intent("run_count", (("run",), ("how many", "count", "number", "total")),
           "SELECT COUNT(*) AS runs FROM runs", "Test runs", "number", exclude=("fail", "red", "broken", "pipeline")),
    Intent("runs_by_branch", (("run",), ("branch",)),
           "SELECT branch, COUNT(*) AS runs FROM runs GROUP BY branch ORDER BY runs DESC, branch LIMIT {n}",
           "Runs per branch", "bar"),
    Intent("clusters_top", (("cluster", "root cause", "failure type", "error type"),),
           "SELECT cluster_id, template, failures FROM clusters ORDER BY failures DESC, cluster_id LIMIT {n}",
           "Biggest failure clusters", "bar", exclude=("how many",)),
    Intent("cluster_count", (("cluster",), ("how many", "count", "number")),
           "SELECT COUNT(*) AS clusters FROM clusters", "Failure clusters", "number"),
    Intent("gate_verdicts", (("gate",), ("verdict", "fail", "pass", "warn", "block", "result")),
           "SELECT verdict, COUNT(*) AS builds FROM gate_verdicts GROUP BY verdict ORDER BY builds DESC, verdict",
           "Gate verdicts", "bar", exclude=("latest", "last", "recent")),
    Intent("gate_latest", (("gate",), ("latest", "last", "recent")),
           "SELECT build, verdict, title, created_at FROM gate_verdicts ORDER BY created_at DESC, insight_id DESC "
           "LIMIT {n}", "Latest gate verdicts", "table"),
    Intent("top_authors", (("author", "who", "contributor", "developer"), ("commit", "change")),
           "SELECT author_name, COUNT(*) AS commits FROM commits GROUP BY author_name "
           "ORDER BY commits DESC, author_name LIMIT {n}", "Most active authors", "bar"),
    Intent("fix_commits", (("fix", "bug"), ("commit",)),
           "SELECT COUNT(*) AS fix_commits FROM commits WHERE is_fix = TRUE", "Bug-fixing commits", "number"),
    Intent("commit_count", (("commit",), ("how many", "count", "number", "total")),
           "SELECT COUNT(*) AS commits FROM commits", "Commits", "number", exclude=("fix", "bug", "file")),
    Intent("hot_files", (("file",), ("change", "churn", "hot", "often", "most")),
           "SELECT path, COUNT(*) AS changes FROM commit_files GROUP BY path ORDER BY changes DESC, path LIMIT {n}",
           "Most frequently changed files", "bar", exclude=("test",)),
    Intent("deploy_count", (("deploy",), ("how many", "count", "number", "frequency", "often")),
           "SELECT environment, COUNT(*) AS deployments FROM deployments GROUP BY environment "
           "ORDER BY deployments DESC, environment", "Deployments per environment (deployment frequency)", "bar",
           exclude=("fail",)),
    Intent("deploy_failures", (("deploy",), ("fail", "failure rate", "unsuccessful")),
           "SELECT COUNT(*) AS deployments, SUM(CASE WHEN result = 'failure' THEN 1 ELSE 0 END) AS failed "
           "FROM deployments", "Deployments and failed deployments (change failure)", "number"),
    Intent("incidents_open", (("incident", "outage"), ("open", "unresolved", "ongoing")),
           "SELECT incident, title, created_at FROM incidents WHERE resolved_at IS NULL "
           "ORDER BY created_at DESC, incident LIMIT {n}", "Open incidents", "table"),
    Intent("incidents_by_service", (("incident", "outage"), ("service", "repo", "which", "most")),
           "SELECT service, COUNT(*) AS incidents FROM incidents GROUP BY service "
           "ORDER BY incidents DESC, service LIMIT {n}", "Incidents per service", "bar", exclude=("open",)),
    Intent("incident_count", (("incident", "outage"), ("how many", "count", "number", "total")),
           "SELECT COUNT(*) AS incidents FROM incidents", "Incidents", "number",
           exclude=("open", "service", "unresolved")),
    Intent("pr_status", (("pull request", "pr", "prs", "merge request"), ("status", "merged", "open", "how many")),
           "SELECT status, COUNT(*) AS pull_requests FROM pull_requests GROUP BY status "
           "ORDER BY pull_requests DESC, status", "Pull requests by status", "bar", exclude=("repo",)),
    Intent("pr_by_repo", (("pull request", "pr", "prs", "merge request"), ("repo", "repository")),
           "SELECT repo, COUNT(*) AS pull_requests FROM pull_requests GROUP BY repo "
           "ORDER BY pull_requests DESC, repo LIMIT {n}", "Pull requests per repository", "bar"),
    Intent("pipeline_duration", (("pipeline",), ("duration", "long", "slow", "time")),
           "SELECT name, AVG(duration_sec) AS avg_sec FROM pipelines GROUP BY name ORDER BY avg_sec DESC, name "
           "LIMIT {n}", "Mean pipeline duration", "bar"),
    Intent("insight_kinds", (("insight", "finding"),),
           "SELECT kind, COUNT(*) AS insights FROM insights WHERE current = 1 GROUP BY kind "
           "ORDER BY insights DESC, kind", "Current insights by kind", "bar"),
)


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9_.\-/ ]+", " ", text.lower()) + " "


def _has(text: str, key: str) -> bool:
    # A keyword matches a word that starts with it ("fail" ~ "failing", "failures").
    return re.search(r"(?<![a-z0-9])" + re.escape(key), text) is not None


def _top_n(text: str, default: int) -> int:
    m = re.search(r"\b(?:top|first|last|the)\s+(\d{1,4}|" + "|".join(_NUMBER_WORDS) + r")\b", text)
    if m is None:
        m = re.search(r"\b(\d{1,4})\s+(?:tests|slowest|most|flakiest|runs|files|authors|clusters)\b", text)
    if m is None:
        # "the most common failing test": a superlative over a singular noun asks for one
        return 1 if slots.singular_superlative(text.split()) else default
    raw = m.group(1)
    return max(1, min(int(raw) if raw.isdigit() else _NUMBER_WORDS[raw], 1000))


#: Words an intent's answer covers beyond its keywords: the top-N slot, nouns of its view.
_GENERIC = frozenset({"how", "often", "ci", "there", "tests", "test"})
#: Words that name what a view's rows are, beyond :data:`slots.NOUNS`.
_VIEW_WORDS: dict[str, frozenset[str]] = {
    "clusters": frozenset({"failure", "failures", "error", "errors", "type", "types", "cause", "causes", "root"}),
    "gate_verdicts": frozenset({"result", "results", "decision", "decisions", "decide", "decided", "build",
                                "builds"}),
    "flaky_states": frozenset({"state", "states"}),
}


def _explained_by_sql(sql: str) -> frozenset[str]:
    """Words the shape of an intent's SQL answers: a count, a mean, a ranking, recency."""
    words: set[str] = set()
    if "COUNT(" in sql:
        words |= slots.COUNT
    if "AVG(" in sql:
        words |= slots.AVG
    if "DESC" in sql:
        words |= slots.RANK
    if re.search(r"ORDER BY \w+_at DESC", sql):
        words |= slots.RECENT
    return frozenset(words)


def _view_of(sql: str) -> str | None:
    m = re.search(r"\bFROM\s+(\w+)", sql)
    return m.group(1) if m else None


def _intent_coverage(intent: Intent, words: list[str]) -> tuple[float, list[str]]:
    """Share of the content words of the question an intent explains, and the words it does not."""
    view = _view_of(intent.sql)
    keys = [k for group in intent.keywords for k in group]
    generic = _GENERIC | _explained_by_sql(intent.sql) | _VIEW_WORDS.get(view or "", frozenset())
    content = [w for w in words if w not in slots.STOP]
    left = []
    for w in content:
        if any(w.startswith(k) for k in keys if " " not in k):
            continue
        if any(w in k.split() and f" {k} " in f" {' '.join(words)} " for k in keys if " " in k):
            continue
        if any(w.startswith(g) for g in generic) or w.isdigit() or w in _NUMBER_WORDS:
            continue
        if w in slots.NOUNS and slots.NOUNS[w].view == view:
            continue
        left.append(w)
    return (1.0 if not content else 1 - len(left) / len(content)), left


def _keyword_score(intent: Intent, text: str) -> int:
    return sum(max((len(k) for k in group if _has(text, k)), default=0) for group in intent.keywords)


def nearest(question: str, k: int = 3) -> list[Intent]:
    """The intents sharing the most keywords with ``question`` (offered when it is refused)."""
    text = _words(question)
    scored = sorted(((_keyword_score(i, text), n, i) for n, i in enumerate(INTENTS)), key=lambda x: (-x[0], x[1]))
    return [i for s, _, i in scored[:k] if s > 0]


def _keyword_match(question: str) -> Intent | None:
    text = _words(question)
    best: tuple[int, Intent] | None = None
    for intent in INTENTS:
        if any(_has(text, x) for x in intent.exclude):
            continue
        if not all(any(_has(text, k) for k in group) for group in intent.keywords):
            continue
        score = _keyword_score(intent, text)
        if best is None or score > best[0]:
            best = (score, intent)
    return best[1] if best is not None else None


def unexpressed_slots(intent: Intent, p: slots.Parse) -> list[str]:
    """Slots the parser found in the question that ``intent``'s SQL does not apply: a grouping it does
    not group by, a filter it does not have, a time range, a branch, an author ("count the flaky tests
    per state" is not "count the flaky tests")."""
    sql = intent.sql
    missing = []
    if p.group is not None and f"GROUP BY {p.group}" not in sql:
        missing.append(f"group={p.group}")
    if p.per_day:
        missing.append("group=day")
    missing += [f"filter={f}" for f in p.filters if f not in sql]
    missing += [f"{k}={v}" for k, v in (("since", p.since), ("until", p.until), ("branch", p.branch),
                                        ("author", p.author)) if v is not None]
    return missing


def match(question: str, min_confidence: float = 1.0, strict_intents: bool = True) -> Match | Refusal:
    """The answer of the catalogue for ``question`` (module doc), or a :class:`Refusal`.

    1. A named intent whose keywords explain every content word of the question (confidence 1.0) and
       that applies every slot the parser found (:func:`unexpressed_slots`; ``strict_intents=False``
       skips that check, the behaviour before it, kept for the benchmark's before/after);
    2. else the slot parser's composition (:func:`argus.analysis.query.slots.compose`) when its
       confidence — the share of content words it understood — is at least ``min_confidence``;
    3. else a refusal naming the words not understood and the nearest intents.
    """
    text = _words(question)
    words = slots.tokens(question)
    intent = _keyword_match(question)
    unexplained: list[str] = []
    p = slots.parse(question)
    if intent is not None:
        cov, unexplained = _intent_coverage(intent, words)
        if cov >= 1.0 and not (strict_intents and unexpressed_slots(intent, p)):
            n = _top_n(text, intent.default_n)
            return Match(intent, intent.sql.format(n=n), {"n": str(n)}, 1.0)
    composed = slots.compose(p)
    if composed is not None and p.confidence >= min_confidence:
        sql, title, chart = composed
        filled = {k: str(v) for k, v in (("view", p.view), ("metric", p.metric), ("measure", p.measure),
                                        ("group", p.group or ("day" if p.per_day else None)), ("since", p.since),
                                        ("until", p.until), ("branch", p.branch), ("author", p.author),
                                        ("n", p.n), ("filters", " AND ".join(p.filters) or None)) if v}
        return Match(Intent("composed", (), sql, title, chart), sql, filled, p.confidence)
    left = p.unexplained if p.view is not None else (unexplained or p.unexplained)
    return Refusal(question, p.confidence if p.view is not None else 0.0, tuple(left), tuple(nearest(question)),
                   p.view)
