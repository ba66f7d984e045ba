"""Mask the variable parts of failure messages and split them into tokens.

Masking is generic (no per-project or per-log-format rules): timestamps, UUIDs, hashes, hex
addresses, IPs (v4/v6, with port), URLs, file paths, e-mail addresses, quoted values and numbers are
replaced by ``<*>``. Numbers are masked only when they stand on their own (``node-12`` → ``node-<*>``,
``0.25`` → ``<*>``), so identifiers that merely contain a digit (``jk2_init``, ``alt0``, ``ssh2``)
keep their meaning. Tokens mixing several digit runs with letters (host names, generated ids such as
``MININT-75DGDAM7``) are masked as ids.
"""

from __future__ import annotations

import re

WILDCARD = "<*>"

# Shapes that may contain spaces; applied to the whole message first.
_SPAN_MASKS: tuple[tuple[str, str], ...] = (
    # ISO-8601 / log timestamps, with optional fraction and zone.
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", "ts"),
    # Quoted values (short, single line; an apostrophe inside a word does not open a quote).
    (r"(?<!\w)'[^'\n]{0,200}'(?!\w)", "quoted"),
    (r"(?<!\w)\"[^\"\n]{0,200}\"(?!\w)", "quoted"),
    # A number followed by a size unit (9.2 KB).
    (r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*\s(?:[KMGTP]i?B|B|bytes)\b", "num"),
)

# Shapes within one whitespace-separated token. Order matters: specific shapes first.
_TOKEN_MASKS: tuple[tuple[str, str], ...] = (
    (r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "ts"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "uuid"),
    (r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+", "url"),
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
    # Stand-alone numbers: signed, decimal, dotted versions, with an optional unit (12ms, 3.5s, 40%).
    (r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:ms|us|ns|s|m|h|d|b|kb|mb|gb|k|x|%)?(?!\w)", "num"),
)


def _alternation(masks: tuple[tuple[str, str], ...], prefix: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}_{prefix}{i}>{rx})" for i, (rx, name) in enumerate(masks)))


_SPAN_RE = _alternation(_SPAN_MASKS, "s")
_TOKEN_RE = _alternation(_TOKEN_MASKS, "t")
_SPAN_HINT = re.compile(r"['\"]|\d[\sT]\d|\d\s[KMGTPB]")

# Split points: whitespace, and punctuation that glues keys to values (``key=value``, ``a:b``,
# ``f(x)``, ``[a,b]``, ``a!=b``). The punctuation is kept as its own token.
_SPLIT = re.compile(r"\s+|(==|!=|<=|>=|[=:,;()\[\]{}|])")

#: Masked, split form of each raw token seen (most tokens repeat); cleared when it reaches the bound.
_TOKEN_CACHE: dict[str, tuple[str, ...]] = {}
_TOKEN_CACHE_MAX = 500_000


def _mask_spans(message: str) -> str:
    # Substring tests first: they are much cheaper than a regex scan and rule most lines out.
    maybe = "'" in message or '"' in message or "B" in message or ("-" in message and ":" in message)
    return _SPAN_RE.sub(WILDCARD, message) if maybe and _SPAN_HINT.search(message) else message


def mask(message: str) -> str:
    """Replace variable parts of ``message`` with ``<*>`` (idempotent)."""
    return _TOKEN_RE.sub(WILDCARD, _mask_spans(message))


def mask_kind(message: str) -> list[tuple[str, str]]:
    """The (kind, text) pairs that :func:`mask` replaces, in order of kind family (spans first)."""
    out: list[tuple[str, str]] = []
    for rx, text in ((_SPAN_RE, message), (_TOKEN_RE, _mask_spans(message))):
        for m in rx.finditer(text):
            out.append(((m.lastgroup or "").split("_", 1)[0], m.group(0)))
    return out


def tokenize(text: str) -> list[str]:
    """Split a (masked) message into tokens; ``=:,;()[]{}|`` and ``== != <= >=`` become tokens."""
    return [t for t in _SPLIT.split(text) if t]


def normalise(message: str, *, max_chars: int = 2000) -> list[str]:
    """Mask and tokenize the first ``max_chars`` characters of ``message`` (lines joined by spaces).

    Only the head counts: the root cause of a failure is at its start, the tail is usually a dump.
    Equivalent to ``tokenize(mask(message))``, with each distinct raw token masked once (cached).
    """
    out: list[str] = []
    cache = _TOKEN_CACHE
    for raw in _mask_spans(message[:max_chars]).split():
        parts = cache.get(raw)
        if parts is None:
            if len(cache) >= _TOKEN_CACHE_MAX:
                cache.clear()
            parts = cache[raw] = tuple(tokenize(_TOKEN_RE.sub(WILDCARD, raw)))
        out.extend(parts)
    return out


def clear_cache() -> None:
    """Forget the per-token cache (benchmarks measure cold starts with it)."""
    _TOKEN_CACHE.clear()
