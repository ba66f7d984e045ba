"""Name the likely cause of a test's flakiness from failure text, timing and environment (rules).

Each failing attempt's type + message + top of stack is matched against the patterns below; a
category's score is the share of categorised failures that point to it. Two structural rules add
to that: *timing* (failing attempts take ≥ 2× the median passing duration: something waited and
gave up) and *unordered collection* (an equality assertion whose two sides hold the same items in
another order). *Environment* is the fallback when text says nothing but every failure happened in
one environment while passes were seen in others. Patterns are case-insensitive.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from statistics import median

from argus.analysis.flaky.schemas import Category, CategoryResult, FailureSample, RunObs, RunStatus

_RULES: tuple[tuple[Category, str], ...] = (  # checked in this order: most specific first
    (Category.ASYNC_WAIT, r"not met within|did(?:n't| not) \w+(?: \S+)? within|"
     r"within \d+(?:\.\d+)? ?(?:ms|s|sec|seconds|minutes)\b|still (?:in state|pending|running|waiting)|"
     r"waiting for|wait_?for|waituntil|condition (?:not met|timeout)"),
    (Category.RESOURCE_LEAK, r"too many open files|emfile|out ?of ?memory|memoryerror|\boom(kill\w*)?\b|"
     r"resourcewarning|no space left|pool (exhausted|timeout|is full)|heap space|"
     r"address already in use|eaddrinuse|cannot allocate|resource temporarily unavailable|leak"),
    (Category.NETWORK, r"connection ?(refused|reset|aborted|error)|econn|name or service not known|"
     r"getaddrinfo|temporary failure in name resolution|dns|\b50[234]\b|bad gateway|"
     r"service unavailable|ssl|socket|unreachable|http(s)?error|remote end closed|"
     r"broken pipe|proxy|rate limit|\b429\b|connectionpool|requests\.exceptions|urllib3|java\.net\.|"
     r"read timed out|max retries exceeded|newconnectionerror|\bhost=|https?://"),
    (Category.ASYNC_WAIT, r"time[d ]?out|timed out|deadline exceeded|wait(ing)? for|waitfor|"
     r"not (visible|clickable|present)|stale ?element|element .*not found|no such element|"
     r"took longer than|still pending|asyncio\.|eventually"),
    (Category.CONCURRENCY, r"\brace( condition)?\b|deadlock|concurrent ?modification|\block(ed)?\b|lock wait|"
     r"database is locked|thread|mutex|atomic|serializ(ation|able) failure|could not serialize|"
     r"interleav|goroutine|data race|optimistic lock|concurren\w*|lost updates?|parallel|simultaneous|"
     r"while iterating"),
    (Category.ORDER_DEPENDENCY, r"test (order|pollution|isolation)|left ?over|not cleaned|"
     r"state (leak|from (a )?previous)|already (exists|registered|initiali[sz]ed)|"
     r"depends on (another|previous) test|expected empty|global state|shared state|singleton|"
     r"expected:? <?(?:0|\[\]|\{\}|empty)>? but (?:was|got)"),
    (Category.TIME_DATE, r"timezone|tzinfo|\butc\b|\bdst\b|daylight|leap|midnight|"
     r"datetime|date mismatch|day of (the )?week|clock|strftime|epoch|end of (the )?month|"
     r"\d{4}-\d\d-\d\d\b.*\d{4}-\d\d-\d\d\b|\b(?:europe|america|asia|africa|australia|pacific)/[a-z_]+|\bzone\b"),
    (Category.RANDOMNESS, r"random|\bseed\b(?! data)|shuffle|uuid|nondeterministic|falsifying example|"
     r"hypothesis|flaky generator|collid\w*|collision"),
    (Category.FLOATING_POINT, r"approx|almost ?equal|isclose|rel_?tol|abs_?tol|tolerance|ulp|"
     r"floating|precision|\d\.\d*0000000\d|\d\.\d*9999999\d|\bnan\b|\binf\b"),
    (Category.UNORDERED_COLLECTION, r"order (of|differs)|unordered|sorted|set\(|frozenset|"
     r"hash ?(seed|order)|dict(ionary)? order|iteration order"),
    (Category.IO, r"filenotfound|no such file|permission ?(denied|error)|ioerror|\boserror|"
     r"eof(error)?|unexpected end of (file|stream)|disk|read-only file system|is a directory|"
     r"file (is )?(locked|in use)"),
    (Category.DATA_SETUP, r"fixture|setup|set_up|setUp|before(each|all)|teardown|integrityerror|"
     r"duplicate key|unique constraint|foreign key|does not exist|no such table|relation .* does not|"
     r"seed data|factory|not found in (db|database)|missing (row|record|data)|keyerror|migration"),
    (Category.ENVIRONMENT, r"command not found|not found in path|no module named|importerror|"
     r"unsupported (platform|os)|locale|encoding|unicode(de|en)codeerror|version mismatch|"
     r"environment variable|env var|platform"),
)
_COMPILED = tuple((cat, re.compile(pat, re.IGNORECASE)) for cat, pat in _RULES)
_EQ = re.compile(r"(\[[^\[\]]*\]|\{[^{}]*\}|\([^()]*\))\s*(?:==|!=)\s*(\[[^\[\]]*\]|\{[^{}]*\}|\([^()]*\))")
_TIMING_RATIO = 2.0
_TEXT_CHARS = 4000


def _items(s: str) -> list[str]:
    return sorted(x.strip() for x in s[1:-1].split(",") if x.strip())


def unordered_equal(text: str) -> bool:
    """True when an equality assertion compares the same items in a different order."""
    return any(a != b and _items(a) and _items(a) == _items(b) for a, b in _EQ.findall(text))


_FRAME = re.compile(r"^\s*(?:at |File \"|\.\.\.|[\w./\\-]+:\d+: in |\w[\w.$]*\()")


def _texts(f: FailureSample) -> tuple[str, str]:
    """(type + message, exception lines of the stack): the stack is only consulted when the message says nothing.

    Frame lines (``at pkg.Cls.m(...)``, ``File "x.py", line 3``, ``x.py:3: in f``) are dropped: their
    function and class names would match rules by accident.
    """
    head = "\n".join(p for p in (f.failure_type or "", f.message or "") if p)
    lines = (f.stack or "")[:_TEXT_CHARS].splitlines()
    return head, "\n".join(ln for ln in lines if not _FRAME.match(ln))


def _match(text: str) -> tuple[Category, str] | None:
    for cat, rx in _COMPILED:
        m = rx.search(text)
        if m:
            return cat, m.group(0)
    return None


def categorise(
    failures: Sequence[FailureSample], runs: Sequence[RunObs], failing: Sequence[RunObs]
) -> CategoryResult:
    """The most supported category with its reasons (UNKNOWN when nothing points anywhere)."""
    votes: Counter[Category] = Counter()
    reasons: dict[Category, list[str]] = defaultdict(list)
    ids: dict[Category, list[int]] = defaultdict(list)
    for f in failures:
        head, stack = _texts(f)
        if unordered_equal(f"{head}\n{stack}"):
            votes[Category.UNORDERED_COLLECTION] += 2
            ids[Category.UNORDERED_COLLECTION].append(f.result_id)
            if not reasons[Category.UNORDERED_COLLECTION]:
                reasons[Category.UNORDERED_COLLECTION].append(
                    "both sides of an equality hold the same items in another order"
                )
            continue
        # first matching rule wins (rules are ordered most specific first); message before stack
        hit, where = _match(head), "message"
        if hit is None:
            hit, where = _match(stack), "stack trace"
        if hit is None:
            continue
        cat, word = hit
        votes[cat] += 1
        ids[cat].append(f.result_id)
        if len(reasons[cat]) < 3:
            reason = f"{word!r} in the {where}"
            if reason not in reasons[cat]:
                reasons[cat].append(reason)
    _timing_vote(failures, runs, failing, votes, reasons)
    total = sum(votes.values())
    if total == 0:
        env = _environment_reason(runs, failing)
        if env:
            return CategoryResult(Category.ENVIRONMENT, 1.0, (env,))
        return CategoryResult(Category.UNKNOWN, 0.0, (_undecided(failures),))
    cat, n = max(votes.items(), key=lambda kv: (kv[1], -list(Category).index(kv[0])))
    env = _environment_reason(runs, failing)
    extra = (env,) if env else ()
    return CategoryResult(cat, n / total, (*reasons[cat], *extra), tuple(ids[cat][:20]))


def _undecided(failures: Sequence[FailureSample]) -> str:
    """Why no category: no failure text at all, or text that matched no known cause (quoted)."""
    if not failures:
        return "no failure left to read once outage runs were set aside"
    texts = [t for t in (" ".join(" ".join(_texts(f)).split()) for f in failures) if t]
    if not texts:
        return f"no failure message or stack trace recorded in {len(failures)} failure(s)"
    first = texts[0] if len(texts[0]) <= 80 else texts[0][:77] + "..."
    return f"no known cause in {len(texts)} failure message(s), e.g. {first!r}"


def _timing_vote(
    failures: Sequence[FailureSample],
    runs: Sequence[RunObs],
    failing: Sequence[RunObs],
    votes: Counter[Category],
    reasons: dict[Category, list[str]],
) -> None:
    passing = [r.duration_s for r in runs if r.status is RunStatus.PASS and r.duration_s]
    failed = [f.duration_s for f in failures if f.duration_s] or [r.duration_s for r in failing if r.duration_s]
    if len(passing) < 3 or len(failed) < 2:
        return
    mp, mf = median(passing), median(failed)
    if mp > 0 and mf >= _TIMING_RATIO * mp:
        votes[Category.ASYNC_WAIT] += max(1, len(failed) // 2)
        reasons[Category.ASYNC_WAIT].append(
            f"failing attempts take {mf:.2f} s (median) vs {mp:.2f} s when passing: a wait that gave up"
        )


def _environment_reason(runs: Sequence[RunObs], failing: Sequence[RunObs]) -> str | None:
    """A sentence when every failure happened in one environment and passes were seen elsewhere too."""
    if len(failing) < 2:
        return None
    envs = {r.env_key for r in failing}
    if len(envs) != 1:
        return None
    env = next(iter(envs))
    other = {r.env_key for r in runs if r.status is RunStatus.PASS and r.env_key != env}
    if not other:
        return None
    return f"all {len(failing)} failures happened in environment [{env or 'unknown'}]; it passes in {len(other)} other(s)"
