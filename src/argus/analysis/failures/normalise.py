"""Mask the variable parts of failure messages and split them into tokens.

Masking is generic (no per-project or per-log-format rules), by token class: timestamps, dates with
weekday/month names, quoted values (``'…'``, ``"…"``, ``<…>``), quantities (``<1 sec``, ``9.2 KB``),
MAC addresses, clock times, UUIDs, URLs, host:port, e-mail addresses, IPs (v4/v6, with port), hex
numbers, hashes, file paths, ids, booleans and numbers are replaced by ``<*>``. Numbers are masked
only when they stand on their own (``node-12`` → ``node-<*>``, ``0.25`` → ``<*>``), so identifiers
that merely contain a digit (``jk2_init``, ``alt0``, ``ssh2``) keep their meaning (the miner decides
whether such a column varies). Tokens mixing several digit runs with letters (host names, generated
ids such as ``MININT-75DGDAM7``) are masked as ids. After tokenising, runs of variables collapse into
one ``<*>`` (:func:`collapse`): a value may print as several tokens.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)(?:uary|ruary|ch|il|e|y|ust|tember|ober|ember)?\.?"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\b"
#: Units of a quantity written after its number (``3 sec``, ``<1 sec``, ``9.2 KB``, ``12ms``).
_UNIT = (
    r"(?:[KMGTP]i?B|B|bytes?|[kKMG]bps|ns|us|µs|ms|msecs?|millis(?:econds)?|s|secs?|seconds?|mins?|minutes?"
    r"|h|hrs?|hours?|days?)"
)

# Shapes that may contain spaces; applied to the whole message first.
_SPAN_MASKS: tuple[tuple[str, str], ...] = (
    # ISO-8601 / log timestamps, with optional fraction and zone.
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", "ts"),
    # Dates with month (and weekday) names: ``Sun Dec 16``, ``Monday, Mar 4, 2024``, ``4 March 2024``.
    # A weekday or month name must never split a template (the time and year are masked as numbers).
    (
        rf"\b(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
        rf"|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?\b)(?:\s+{_CLOCK}(?:\s+[A-Z]{{2,5}}\b)?(?:\s+\d{{4}}\b)?)?"
        rf"|\b{_WEEKDAY}\b(?=,?\s+\d)",
        "date",
    ),
    # Quoted values (short, single line; an apostrophe inside a word does not open a quote), and
    # values in angle brackets (``expected: <a b> but was: <c>``).
    (r"(?<!\w)'[^'\n]{0,200}'(?!\w)", "quoted"),
    (r"(?<!\w)\"[^\"\n]{0,200}\"(?!\w)", "quoted"),
    (r"(?<![\w<])<(?![*<>=/!-])[^<>\n]{0,200}(?<![=-])>(?![\w>])", "quoted"),
    # A quantity: a number (optionally after a comparison sign) and its unit (``<1 sec``, ``9.2 KB``).
    (rf"(?<![\w.])[<>~]?[-+]?\d+(?:[.,]\d+)*\s{_UNIT}\b", "qty"),
)

# Shapes within one whitespace-separated token. Order matters: specific shapes first.
_TOKEN_MASKS: tuple[tuple[str, str], ...] = (
    # MAC addresses (before times and IPv6, which share their shape).
    (r"\b[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}\b", "mac"),
    (r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\b(?!:\d)", "ts"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "uuid"),
    (r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+", "url"),
    # Host names (at least one dot, a letter in the last label) with a port: ``proxy.example.org:5070``.
    # (Not ``file.py:12``: a source file and line is a location, kept for the template.)
    (
        r"(?<![\w.<])[A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.(?!(?:py|go|java|kt|scala|js|ts|jsx|tsx|rb|rs|c|cc|cpp|h|hpp"
        r"|cs|php|swift|m):)[A-Za-z][\w-]*:\d{1,5}(?![\w.:])",
        "hostport",
    ),
    (r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", "email"),
    # IPv4 with optional port, IPv6 (full, or compressed with ::).
    (r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])", "ip"),
    (
        r"(?<![\w:])(?=[0-9a-fA-F:]*::|(?:[0-9a-fA-F]{1,4}:){7})(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])",
        "ip",
    ),
    (r"\b0[xX][0-9a-fA-F]+\b", "hex"),
    # Hashes / hex ids: 8+ hex chars with at least one digit and one letter.
    (r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b", "hash"),
    # POSIX paths with at least two components, Windows paths.
    (r"(?<![\w<])(?:\.{0,2}/[\w.@%+~-]+){2,}/?", "path"),
    (r"\b[A-Za-z]:\\(?:[\w.@%+~-]+\\?)+", "path"),
    # Ids mixing letters and at least two separate digit runs (host names, generated names)...
    (r"(?<![\w<])(?=[\w.-]*[A-Za-z])[\w-]*\d[A-Za-z_-]+\d[\w.-]*", "id"),
    # ...and names with a numeric suffix or a long digit run (blk_123, broadcast_39, core.114).
    (r"(?<![\w<])[A-Za-z][\w-]*(?:[_.-]-?\d+|\d{5,})(?!\w)", "id"),
    # Boolean literals are values (``mScreenOn=true``, ``opt-in: False``).
    (r"(?<![\w.-])(?:true|false|True|False|TRUE|FALSE)(?![\w.-])", "bool"),
    # Stand-alone numbers: signed, decimal, dotted versions, with an optional unit (12ms, 3.5s, 40%).
    (r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:ms|us|ns|s|m|h|d|b|kb|mb|gb|k|x|%)?(?!\w)", "num"),
)


#: Names of the masking rules (a rule can be switched off for evaluation: ``MinerConfig.mask_off``).
KINDS: tuple[str, ...] = tuple(dict.fromkeys(name for _, name in (*_SPAN_MASKS, *_TOKEN_MASKS)))


def _alternation(masks: tuple[tuple[str, str], ...], prefix: str, off: frozenset[str]) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?P<{name}_{prefix}{i}>{rx})" for i, (rx, name) in enumerate(masks) if name not in off)
        or r"(?!)"
    )


#: Shapes that hint at a span rule (cheap tests: most lines hold no span shape at all).
_TS_HINT = re.compile(r"\d-\d\d[T ]\d")
_DATE_HINT = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
_QTY_HINT = re.compile(r"\d\s[KMGTPBbsmhdnuµ]")


def _span_hints(message: str) -> set[str]:
    seen: set[str] = set()
    if "-" in message and _TS_HINT.search(message):
        seen.add("ts")
    if _DATE_HINT.search(message):
        seen.add("date")
    if "'" in message or '"' in message or "<" in message:
        seen.add("quoted")
    if _QTY_HINT.search(message):
        seen.add("qty")
    return seen


# Split points: whitespace, and punctuation that glues keys to values (``key=value``, ``a:b``,
# ``f(x)``, ``[a,b]``, ``a!=b``). The punctuation is kept as its own token.
_SPLIT = re.compile(r"\s+|(==|!=|<=|>=|[=:,;()\[\]{}|])")

#: Bounds of each masker's per-token and per-message caches (entries); each is cleared when full.
_TOKEN_CACHE_MAX = 500_000
_MESSAGE_CACHE_MAX = 100_000


class Masker:
    """The masking rules minus ``off``, with caches of the masked, split form of each raw token and
    of each message head (failure messages and log lines repeat)."""

    def __init__(self, off: frozenset[str] = frozenset()) -> None:
        unknown = off - set(KINDS)
        if unknown:
            raise ValueError(f"unknown masking rule(s) {sorted(unknown)}; expected some of {list(KINDS)}")
        self.span_re = _alternation(_SPAN_MASKS, "s", off)
        self.token_re = _alternation(_TOKEN_MASKS, "t", off)
        # One regex per span rule, run only when one scan of cheap hints saw its shape.
        # (A kind's shapes form one alternation: one pass, as in :func:`mask_kind`.)
        kinds = dict.fromkeys(name for _, name in _SPAN_MASKS if name not in off)
        self.spans = [
            (kind, re.compile("|".join(f"(?:{rx})" for rx, name in _SPAN_MASKS if name == kind)))
            for kind in kinds
        ]
        self.cache: dict[str, tuple[str, ...]] = {}
        self.messages: dict[str, list[str]] = {}

    def mask_spans(self, message: str) -> str:
        seen = _span_hints(message)
        if seen:
            for name, rx in self.spans:
                if name in seen:
                    message = rx.sub(WILDCARD, message)
        return message

    def mask(self, message: str) -> str:
        return self.token_re.sub(WILDCARD, self.mask_spans(message))

    def normalise(self, message: str, max_chars: int) -> list[str]:
        head = message[:max_chars]
        known = self.messages.get(head)
        if known is not None:
            return list(known)
        if len(self.messages) >= _MESSAGE_CACHE_MAX:
            self.messages.clear()
        out = self.messages[head] = self._normalise(head)
        return list(out)

    def _normalise(self, message: str) -> list[str]:
        out: list[str] = []
        cache = self.cache
        for raw in self.mask_spans(message).split():
            parts = cache.get(raw)
            if parts is None:
                if len(cache) >= _TOKEN_CACHE_MAX:
                    cache.clear()
                parts = cache[raw] = tuple(tokenize(self.token_re.sub(WILDCARD, raw)))
            out.extend(parts)
        return collapse(out) if WILDCARD in out else out


_MASKERS: dict[frozenset[str], Masker] = {}


def masker(off: frozenset[str] = frozenset()) -> Masker:
    """The (shared) masker without the rules named in ``off``."""
    found = _MASKERS.get(off)
    if found is None:
        found = _MASKERS[off] = Masker(off)
    return found


_DEFAULT = masker()


def mask(message: str) -> str:
    """Replace variable parts of ``message`` with ``<*>`` (idempotent)."""
    return _DEFAULT.mask(message)


def mask_kind(message: str) -> list[tuple[str, str]]:
    """The (kind, text) pairs that :func:`mask` replaces, in order of kind family (spans first)."""
    out: list[tuple[str, str]] = []
    for rx, text in ((_DEFAULT.span_re, message), (_DEFAULT.token_re, _DEFAULT.mask_spans(message))):
        for m in rx.finditer(text):
            out.append(((m.lastgroup or "").split("_", 1)[0], m.group(0)))
    return out


def tokenize(text: str) -> list[str]:
    """Split a (masked) message into tokens; ``=:,;()[]{}|`` and ``== != <= >=`` become tokens."""
    return [t for t in _SPLIT.split(text) if t]


def normalise(message: str, *, max_chars: int = 2000, mask_off: frozenset[str] = frozenset()) -> list[str]:
    """Mask and tokenize the first ``max_chars`` characters of ``message`` (lines joined by spaces).

    Only the head counts: the root cause of a failure is at its start, the tail is usually a dump.
    Equivalent to ``collapse(tokenize(mask(message)))``, with each distinct raw token masked once
    (cached). ``mask_off`` names rules (:data:`KINDS`) left out.
    """
    return masker(mask_off).normalise(message, max_chars)


_OPEN = {")": "(", "]": "[", "}": "{"}
_SEPARATORS = frozenset({",", ";", ":"})


def collapse(tokens: list[str]) -> list[str]:
    """Merge adjacent variables into one ``<*>``: a value may span several tokens.

    ``<*> <*>`` (a date, a name of two words), a bracket group holding only variables and separators
    (``(<*>)``, ``[<*>, <*>]``) and so ``<*> (<*>)`` (``1403 bytes (1.37 KB)``) become ``<*>``, so
    one log statement gives one token sequence whatever its values look like.
    """
    out: list[str] = []
    for tok in tokens:
        if tok in _OPEN:
            j = len(out) - 1
            while j >= 0 and (out[j] == WILDCARD or out[j] in _SEPARATORS):
                j -= 1
            if 0 <= j < len(out) - 1 and out[j] == _OPEN[tok] and WILDCARD in out[j + 1 :]:
                del out[j:]
                tok = WILDCARD
        if tok == WILDCARD and out and out[-1] == WILDCARD:
            continue
        out.append(tok)
    return out


def clear_cache() -> None:
    """Forget the per-token caches (benchmarks measure cold starts with them)."""
    for m in _MASKERS.values():
        m.cache.clear()
        m.messages.clear()
