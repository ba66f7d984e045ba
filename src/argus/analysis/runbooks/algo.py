"""Pure functions of runbooks: tokenizer, front-matter, action discovery, BM25, ranking, similarity.

BM25 (Robertson & Zaragoza 2009, "The Probabilistic Relevance Framework: BM25 and Beyond"):
``score(q, d) = Σ_t idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))`` over the distinct
terms of the query, with the non-negative Lucene idf ``ln(1 + (N − n_t + 0.5) / (n_t + 0.5))``.
Defaults k1 = 1.2, b = 0.75.

The effectiveness of a runbook is the mean of a Beta(α + helped, β + not helped) posterior (α = β = 1:
an unrated runbook counts 0.5). The final score multiplies BM25 by a service factor and by
``0.5 + success rate`` (1.0 for an unrated runbook, 0.5–1.5 otherwise), so feedback reorders runbooks
that match about equally but never lifts one that does not match at all.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from argus.analysis.runbooks.schemas import (
    ActionKind,
    ActionSpec,
    Candidate,
    Ranked,
    Risk,
    RunbookDoc,
    parse_action_kind,
    parse_risk,
)
from argus.core.errors import InputError

_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "if", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with", "when", "then", "than", "do", "does", "not", "no", "yes", "you", "your", "we", "our", "can", "should", "must", "may", "any", "all", "each", "via", "per", "out", "up", "down", "off", "over", "under", "after", "before", "http", "https", "www", "com"])
_MAX_ACTIONS = 8


def _stem(w: str) -> str:
    """A light suffix strip (plural s, -ing, -ed) so "restarts", "restarting" and "restarted" meet."""
    for suf, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if w.endswith(suf) and len(w) - len(suf) >= 3 and not w.endswith("ss"):
            return w[: -len(suf)] + keep
    return w


def tokenize(text: str) -> list[str]:
    """Lower-case word stems: camelCase and snake_case split, stop words and one-letter words dropped."""
    out: list[str] = []
    for raw in _WORD.findall(text):
        parts = _CAMEL.findall(raw) or [raw]
        for p in parts:
            w = p.lower()
            if len(w) < 2 or w in STOPWORDS:
                continue
            out.append(_stem(w))
    return out


def _names(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(x.strip()[:200] for x in value.split(",") if x.strip())
    if isinstance(value, list) and all(isinstance(x, (str, int)) for x in value):
        return tuple(str(x)[:200] for x in value)
    raise InputError(f"{where}: expected a list of names")


def split_front_matter(text: str, where: str) -> tuple[dict[str, object], str]:
    """The YAML front-matter (between a first line ``---`` and the next ``---``) and the body."""
    import yaml

    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines(keepends=True)
    if lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            head, body = "".join(lines[1:i]), "".join(lines[i + 1:])
            break
    else:
        raise InputError(f"{where}: front-matter opened with --- is never closed")
    try:
        doc = yaml.safe_load(head) if head.strip() else {}
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: front-matter is not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{where}: front-matter must be a mapping (title, services, risk, impact, actions)")
    return {str(k): v for k, v in doc.items()}, body


_ACTION_WORDS: tuple[tuple[re.Pattern[str], ActionKind], ...] = (
    (re.compile(r"\broll(?:ing)?[ -]?back\b|\brevert the deploy", re.I), ActionKind.ROLLBACK),
    (re.compile(r"\bscal(?:e|ing)\s+(?:up|out|down|in)\b|\bscale\b.*\breplicas?\b|\badd (?:more )?(?:replicas|nodes|capacity)\b", re.I), ActionKind.SCALE),
    (re.compile(r"\brestart|\breboot|\brecycle the pods?\b|\bbounce\b", re.I), ActionKind.RESTART),
    (re.compile(r"\bfail ?over\b|\bpromote the (?:replica|standby)\b", re.I), ActionKind.FAILOVER),
)


def find_actions(body: str) -> tuple[ActionSpec, ...]:
    """Actions named in a runbook's steps (list items and numbered lines) when its front-matter declares
    none: one per kind, the first line naming it as the description."""
    found: dict[ActionKind, ActionSpec] = {}
    for line in body.splitlines():
        s = line.strip()
        if not re.match(r"^([-*+]|\d+[.)])\s+", s):
            continue
        step = re.sub(r"^([-*+]|\d+[.)])\s+", "", s)
        for pattern, kind in _ACTION_WORDS:
            if kind not in found and pattern.search(step):
                found[kind] = ActionSpec(kind, step[:300], declared=False)
    return tuple(found.values())


def _actions(value: object, where: str) -> tuple[ActionSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(f"{where}: actions: expected a list of {{kind, description, target, risk}}")
    out = []
    for i, item in enumerate(value[:_MAX_ACTIONS]):
        at = f"{where}: actions[{i}]"
        if isinstance(item, str):
            item = {"kind": item}
        if not isinstance(item, dict) or "kind" not in item:
            raise InputError(f"{at}: expected an object with a kind")
        kind = parse_action_kind(item["kind"], at)
        risk = parse_risk(item["risk"], at) if item.get("risk") is not None else None
        target = str(item["target"])[:200] if item.get("target") is not None else None
        out.append(ActionSpec(kind, str(item.get("description") or kind.value)[:300], target, risk))
    return tuple(out)


def parse_runbook(text: str, key: str, default_risk: Risk = Risk.MEDIUM) -> RunbookDoc:
    """One Markdown runbook: front-matter ``title``, ``services``, ``tags``, ``risk``, ``impact``, ``url``,
    ``actions``; the title defaults to the first ``#`` heading, else the file name. InputError naming the
    file and the field when the front-matter is malformed."""
    meta, body = split_front_matter(text, key)
    known = {"title", "services", "service", "tags", "risk", "impact", "expected_impact", "url", "actions"}
    warnings = tuple(f"unknown front-matter field {k!r} ignored" for k in sorted(set(meta) - known))
    title = meta.get("title")
    if title is None:
        m = re.search(r"^#\s+(.+)$", body, re.M)
        title = m.group(1).strip() if m else key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if not isinstance(title, (str, int, float)):
        raise InputError(f"{key}: title: expected text")
    services = _names(meta.get("services", meta.get("service")), f"{key}: services")
    risk = parse_risk(meta["risk"], key) if meta.get("risk") is not None else default_risk
    impact = meta.get("impact", meta.get("expected_impact")) or ""
    if not isinstance(impact, (str, int, float)):
        raise InputError(f"{key}: impact: expected text")
    url = meta.get("url")
    actions = _actions(meta.get("actions"), key) or find_actions(body)
    return RunbookDoc(key, str(title)[:300], body, services, _names(meta.get("tags"), f"{key}: tags"), risk,
                      str(impact)[:1000], str(url)[:1000] if url else None, actions, warnings)


def document_tokens(doc: RunbookDoc) -> list[str]:
    """The BM25 document of a runbook: title and tags twice (they name what it is for), services, body."""
    head = " ".join([doc.title, *doc.tags])
    return tokenize(head) * 2 + tokenize(" ".join(doc.services)) + tokenize(doc.body)


class Bm25:
    """An Okapi BM25 index over tokenised documents (see the module doc for the formula)."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.n = len(docs)
        self.avgdl = (sum(self.len) / self.n) if self.n else 0.0
        df: Counter[str] = Counter()
        for c in self.tf:
            df.update(c.keys())
        self.df = df

    def idf(self, term: str) -> float:
        n = self.df.get(term, 0)
        return math.log(1.0 + (self.n - n + 0.5) / (n + 0.5))

    def score(self, query: Iterable[str], i: int) -> float:
        tf, dl = self.tf[i], self.len[i]
        norm = self.k1 * (1 - self.b + self.b * dl / self.avgdl) if self.avgdl else self.k1
        total = 0.0
        for t in set(query):
            f = tf.get(t, 0)
            if f:
                total += self.idf(t) * f * (self.k1 + 1) / (f + norm)
        return total

    def scores(self, query: Sequence[str]) -> list[float]:
        return [self.score(query, i) for i in range(self.n)]


def success_rate(helped: int, not_helped: int, prior_helped: float = 1.0, prior_not_helped: float = 1.0) -> float:
    """Posterior mean of a Beta(prior_helped, prior_not_helped) prior after the feedback counts."""
    return (helped + prior_helped) / (helped + not_helped + prior_helped + prior_not_helped)


def rank(candidates: Sequence[Candidate], query: Sequence[str], services: Iterable[str], *, k1: float = 1.2,
         b: float = 0.75, prior_helped: float = 1.0, prior_not_helped: float = 1.0, service_boost: float = 1.5,
         other_service_penalty: float = 0.5) -> list[Ranked]:
    """Runbooks that match the query, best first (score ties: lower id first).

    ``match`` is the share of the query's idf mass (distinct query terms found in any runbook) that the
    runbook contains; ``confidence`` = 0.5·match + 0.5·success rate — a documented heuristic, not yet
    calibrated from outcomes.
    """
    if not candidates:
        return []
    index = Bm25([c.tokens for c in candidates], k1, b)
    qset = {t for t in query if index.df.get(t)}
    mass = sum(index.idf(t) for t in qset)
    wanted = set(services)
    out = []
    for i, c in enumerate(candidates):
        raw = index.score(qset, i)
        if raw <= 0:
            continue
        if c.linked or (wanted and c.services & wanted):
            factor = service_boost
        elif c.services and wanted:
            factor = other_service_penalty
        else:
            factor = 1.0
        rate = success_rate(c.helped, c.not_helped, prior_helped, prior_not_helped)
        matched = sorted(t for t in qset if index.tf[i].get(t))
        match = sum(index.idf(t) for t in matched) / mass if mass else 0.0
        out.append(Ranked(c.id, round(raw, 4), factor, round(rate, 4), round(raw * factor * (0.5 + rate), 4),
                          round(match, 4), round(0.5 * match + 0.5 * rate, 4), tuple(matched)))
    out.sort(key=lambda r: (-r.score, r.id))
    return out


def cosine(a: Sequence[str], b: Sequence[str]) -> float:
    """Cosine similarity of two token lists' term counts (0 when either is empty)."""
    ca, cb = Counter(a), Counter(b)
    dot = sum(v * cb.get(k, 0) for k, v in ca.items())
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in ca.values())) * math.sqrt(sum(v * v for v in cb.values())))
