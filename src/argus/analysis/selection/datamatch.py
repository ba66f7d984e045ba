"""Data evidence: link the data a change touches to the tests exercising that data (pure).

Data-driven suites (``pytest.mark.parametrize`` over word pairs, table-driven tests) run the same code
for many inputs; when a change touches *data* — a literal on the changed line, an entry of a rule table,
the body of a function the module calls at import with literal arguments (``_irregular('person',
'people')``) — every test running that code ties on coverage, yet only the tests whose own data meets
the changed data are likely to fail. This is a ranking signal among tests already at risk, in the spirit
of IR-based test prioritisation (Peng et al., ISSTA 2020: the change as a query, the tests as documents,
rarer terms weighing more):

* the **query**: the string and number literals on the changed lines; for a changed line in the body of
  a module-level function that module-level code calls (at import: a registry filled by calls), the
  literals of those calling statements too;
* the **documents**: each test's parametrisation id (``test_x[person-people]``: the whole id and its
  ``-``-separated parts) and the literals of its own definition (decorators, ``parametrize`` lists, body);
* **terms**: case-folded alphanumeric words (a dotted number such as a version ``3.10`` is one word);
  a literal that looks like a regular expression (it has a metacharacter and compiles) is instead
  *applied* to the test's values (``(?i)(quiz)$`` matches the parameter ``quiz``) — only patterns
  without nested or alternated repetition or back-references (catastrophic backtracking), with at most
  :data:`MAX_REPEATS` repetitions, not matching the empty string, at most :data:`MAX_PATTERNS` of them
  and :data:`MAX_SEARCHES` searches, on values of at most :data:`MAX_SUBJECT` characters; words shorter
  than :data:`MIN_TOKEN` are left out;
* **weight**: a test's score is the sum over matched terms of the BM25 idf
  ``ln(1 + (N − df + ½) / (df + ½))`` over the *N* tests of the suite, divided by the idf of a term only one
  test has and capped at 1 (one rare match is full evidence, a term every test has is almost none). Only
  the candidates (tests already at risk) get a weight: the signal reorders them and adds no test.
"""

from __future__ import annotations

import math
import re
import re._parser as sre_parse  # the stdlib's own regex parser: checks a pattern before it runs
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from argus.analysis.selection.imports import ImportGraph
from argus.analysis.selection.symbols import FileSymbols, Stmt

MAX_PATTERNS = 32  # regular expressions applied per selection
MAX_SUBJECT = 100  # longest test value a pattern is applied to
MAX_PATTERN_LEN = 300  # longer literals are only tokenised
MAX_DATA = 2000  # literals taken from one change (calls included)
MAX_SEARCHES = 200_000  # pattern applications per selection (patterns × distinct test values)
MAX_REPEATS = 2  # repetitions per pattern: a search costs at most ~MAX_SUBJECT ** MAX_REPEATS steps
MIN_TOKEN = 2  # shorter words (``i`` of ``(?i)``, ``1``) are too common to tell tests apart
_MAX_REPEAT_BOUND = 1000
_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")  # a decimal or dotted number is one token: 3.10 is not 3 and 10
_META = re.compile(r"[\\^$*+?()\[\]{}|]")
_FUNCS = ("FunctionDef", "AsyncFunctionDef")


def tokens(text: str) -> frozenset[str]:
    """The case-folded alphanumeric words of ``text`` (``"Person-People_2"`` → person, people, 2); a number
    with dots stays whole (``"3.10"`` → 3.10, not 3 and 10)."""
    return frozenset(m.group().casefold() for m in _WORD.finditer(text))


def _repeats(items: Iterable[tuple[Any, Any]]) -> int:
    """How many repetitions (``*``, ``+``, ``{2,}`` …, not ``?``) a parsed pattern holds, at any depth."""
    count = 0
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            count += (av[1] is sre_parse.MAXREPEAT or av[1] > 1) + _repeats(av[2])
        elif name == "BRANCH":
            count += sum(_repeats(alt) for alt in av[1])
        elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
            count += _repeats(av[-1] if isinstance(av, tuple) else av)
    return count


def _unsafe(items: Iterable[tuple[Any, Any]], under_repeat: bool = False) -> bool:
    r"""Whether a parsed pattern may backtrack catastrophically: a repetition inside a repetition, an
    alternation inside one, a back-reference, or a huge bound. (Polynomial backtracking — ``\d+\d+\d+x``
    — is bounded by :data:`MAX_REPEATS`.)"""
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            unbounded = hi is sre_parse.MAXREPEAT
            if lo > _MAX_REPEAT_BOUND or (not unbounded and hi > _MAX_REPEAT_BOUND):
                return True
            repeats = unbounded or hi > 1
            if repeats and under_repeat:
                return True
            if _unsafe(sub, under_repeat or repeats):
                return True
        elif name == "BRANCH":
            if under_repeat:
                return True
            if any(_unsafe(alt, under_repeat) for alt in av[1]):
                return True
        elif name == "SUBPATTERN":
            if _unsafe(av[-1], under_repeat):
                return True
        elif name in ("ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
            sub = av[-1] if isinstance(av, tuple) else av
            if _unsafe(sub, under_repeat):
                return True
        elif name in ("GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE", "GROUPREF_LOC_IGNORE", "GROUPREF_UNI_IGNORE"):
            return True
    return False


def safe_pattern(text: str) -> re.Pattern[str] | None:
    """``text`` compiled as a regular expression when it looks like one (a metacharacter), compiles, cannot
    backtrack catastrophically (see :func:`_unsafe`) and does not match the empty string (``$``, ``.*``
    match anything); ``None`` otherwise (it is then only tokenised)."""
    if len(text) > MAX_PATTERN_LEN or not _META.search(text):
        return None
    try:
        parsed = sre_parse.parse(text)
        if _unsafe(parsed) or _repeats(parsed) > MAX_REPEATS:
            return None
        pat = re.compile(text)
        return None if pat.search("") else pat  # it matches anything (``$``, ``.*``): no evidence
    except (re.error, RecursionError, OverflowError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Datum:
    """A literal a change touches and where it comes from (for the reason text)."""

    value: str
    where: str


def _outer_function(fs: FileSymbols, line: int) -> str | None:
    """The module-level function whose body holds ``line``."""
    outer = min((f for f in fs.funcs if f.first <= line <= f.last), key=lambda f: f.first, default=None)
    if outer is None:
        return None
    if not any(s.name == outer.top and s.kind in _FUNCS for s in fs.stmts):
        return None  # a method: its calls are not module-level statements
    return outer.top


def change_data(graph: ImportGraph, lines_by_file: Mapping[str, Sequence[int]],
                is_test: Callable[[str], bool]) -> list[Datum]:
    """The literals the changed ``lines_by_file`` (old-side numbers per file) touch: those on the lines,
    and for a line in the body of a module-level function, those of the module-level statements (of the
    module and of its non-test importers) calling it."""
    out: list[Datum] = []
    for base, lines in sorted(lines_by_file.items()):
        fs = graph.symbols.get(base)
        if fs is None:
            continue
        called: set[str] = set()
        for n in sorted(lines):
            out += [Datum(v, f"changed line {base}:{n}") for v in fs.literals.get(n, ())]
            top = _outer_function(fs, n)
            if top is not None:
                called.add(top)
        for fn in sorted(called):
            for g in [base, *sorted(graph.importers(base))]:
                gs = graph.symbols.get(g)
                if gs is None or (g != base and is_test(g)):
                    continue
                for st in gs.stmts:
                    if st.imports or (st.kind in _FUNCS and st.name == fn):
                        continue
                    if fn not in st.mentions and f".{fn}" not in st.mentions:
                        continue
                    where = f"changed call {fn}(...) at {g}:{st.first}"
                    for ln in range(st.first, st.last + 1):
                        out += [Datum(v, where) for v in gs.literals.get(ln, ())]
        if len(out) >= MAX_DATA:
            return out[:MAX_DATA]
    return out


def _words(values: Sequence[str]) -> frozenset[str]:
    return frozenset().union(*(tokens(v) for v in values)) if values else frozenset()


@dataclass(frozen=True)
class DataDoc:
    """A test's data: its parametrisation values and the literals of its own definition, with their words."""

    params: tuple[str, ...]
    source: tuple[str, ...] = ()
    param_words: frozenset[str] | None = None
    source_words: frozenset[str] | None = None

    def words(self) -> tuple[frozenset[str], frozenset[str]]:
        pw = self.param_words if self.param_words is not None else _words(self.params)
        sw = self.source_words if self.source_words is not None else _words(self.source)
        return pw, sw

    def values(self) -> tuple[str, ...]:
        return self.params + self.source


def param_values(identity: str) -> tuple[str, ...]:
    """The parametrisation id of a test identity (``t[person-people]`` → ``person-people``, ``person``,
    ``people``); pytest joins the parameters' ids with ``-``."""
    if not identity.endswith("]") or "[" not in identity:
        return ()
    pid = identity[identity.index("[") + 1 : -1]
    parts = [v for v in pid.split("-") if v]
    return (pid, *parts) if len(parts) > 1 else (pid,)


class DataDocs:
    """Builds test documents from node ids and the test files' symbols (each definition read once)."""

    def __init__(self, graph: ImportGraph) -> None:
        self.graph = graph
        self._cache: dict[tuple[str, str, str], tuple[tuple[str, ...], frozenset[str]]] = {}
        self._defs: dict[str, dict[str, Stmt]] = {}

    def _source(self, file: str, top: str, member: str) -> tuple[tuple[str, ...], frozenset[str]]:
        key = (file, top, member)
        got = self._cache.get(key)
        if got is not None:
            return got
        fs = self.graph.symbols.get(file)
        vals: list[str] = []
        if fs is not None:
            defs = self._defs.get(file)
            if defs is None:
                defs = self._defs[file] = {s.name: s for s in fs.stmts if s.name}
            st = defs.get(top)
            if st is not None:
                lo, hi = st.first, st.last
                if member and st.kind == "ClassDef":
                    m = next((m for m in st.members if member in m[3]), None)
                    if m is not None:
                        lo, hi = m[0], m[1]
                for ln in range(lo, hi + 1):
                    vals += fs.literals.get(ln, ())
        got = self._cache[key] = (tuple(vals), _words(vals))
        return got

    def doc(self, identity: str, node: str | None) -> DataDoc:
        params = param_values(node or identity) or param_values(identity)
        parts = (node or "").split("::")
        if len(parts) < 2:
            return DataDoc(params, (), _words(params), frozenset())
        top = parts[1].split("[", 1)[0]
        member = parts[2].split("[", 1)[0] if len(parts) > 2 else ""
        src, sw = self._source(parts[0], top, member)
        return DataDoc(params, src, _words(params), sw)


@dataclass(frozen=True)
class DataMatch:
    """A candidate test's data evidence: weight in (0, 1] and the reason text."""

    weight: float
    text: str


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def rank(data: Sequence[Datum], docs: Mapping[str, DataDoc],
         suite: Mapping[str, DataDoc] | None = None) -> dict[str, DataMatch]:
    """Match the change's ``data`` against the candidate tests' ``docs``; term rarity (idf) is measured
    over ``suite`` (every test's document; default: the candidates). See the module docstring."""
    suite = docs if suite is None else suite
    n = max(len(suite), len(docs))
    if not data or not docs:
        return {}
    # terms: ("w", word) or ("r", pattern text) → where the first datum carrying it came from
    terms: dict[tuple[str, str], str] = {}
    patterns: dict[str, re.Pattern[str]] = {}
    for d in data:
        pat = safe_pattern(d.value) if len(patterns) < MAX_PATTERNS else None
        if pat is not None:
            patterns.setdefault(d.value, pat)
            terms.setdefault(("r", d.value), d.where)
            continue
        for w in tokens(d.value):
            if len(w) >= MIN_TOKEN:
                terms.setdefault(("w", w), d.where)
    if not terms:
        return {}
    wanted = {w for kind, w in terms if kind == "w"}
    df: dict[tuple[str, str], int] = defaultdict(int)
    hits: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)  # candidate → term → value it met
    in_params: dict[str, frozenset[str]] = {}
    # a short test value → the tests whose parameters hold it, and the definitions (shared by their
    # parametrisations: each read once) whose literals do
    holders: dict[str, set[str]] = defaultdict(set)
    src_holders: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for t, doc in {**suite, **docs}.items():
        cand = t in docs
        pw, sw = doc.words()
        pw, sw = pw & wanted, sw & wanted
        if cand:
            in_params[t] = pw
        for w in pw | sw:
            df[("w", w)] += 1
            if cand:
                hits[t][("w", w)] = w
        if patterns:
            for v in doc.params:
                if len(v) <= MAX_SUBJECT:
                    holders[v].add(t)
            if doc.source:
                group = groups.get(doc.source)
                if group is None:
                    group = groups[doc.source] = []
                    for v in doc.source:
                        if len(v) <= MAX_SUBJECT:
                            src_holders[v].add(doc.source)
                group.append(t)
    values = holders.keys() | src_holders.keys()
    budget = MAX_SEARCHES
    for ptext, pat in patterns.items():
        if budget < len(values):
            break  # too many values to search: the remaining patterns give no evidence
        budget -= len(values)
        met: dict[str, str] = {}  # test → the value it met
        for v in values:
            if not pat.search(v):
                continue
            for t in holders.get(v, ()):
                met.setdefault(t, v)
            for g in src_holders.get(v, ()):
                for t in groups[g]:
                    met.setdefault(t, v)
        df[("r", ptext)] = len(met)
        for t, v in met.items():
            if t in docs:
                hits[t][("r", ptext)] = v
    norm = _idf(n, 1)
    out: dict[str, DataMatch] = {}
    for t, got in hits.items():
        if not got:
            continue
        idfs = {k: _idf(n, df[k]) for k in got}
        kind, term = max(idfs, key=lambda k: (idfs[k], k))
        where, v = terms[(kind, term)], got[(kind, term)]
        extra = f" (+{len(got) - 1} more)" if len(got) > 1 else ""
        if kind == "w":
            place = "parameters" if term in in_params.get(t, frozenset()) else "code"
            text = f'data "{term}" of {where} appears in the test\'s {place}{extra}'
        else:
            text = f'pattern "{term}" of {where} matches the test\'s data "{v}"{extra}'
        out[t] = DataMatch(min(1.0, sum(idfs.values()) / norm), text)
    return out
