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

# Order matters: longer, more specific shapes first so a timestamp is not eaten as numbers.
_MASKS: tuple[tuple[str, str], ...] = (
    # ISO-8601 / log timestamps, with optional fraction and zone.
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", "ts"),
    (r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b", "ts"),
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "uuid"),
    (r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+", "url"),
    (r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", "email"),
    # IPv4 with optional port, IPv6 (at least three groups).
    (r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])", "ip"),
    (r"(?<![\w:])(?=[0-9a-fA-F:]*::|(?:[0-9a-fA-F]{1,4}:){7})(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])", "ip"),
    (r"\b0[xX][0-9a-fA-F]+\b", "hex"),
    # Hashes / hex ids: 8+ hex chars with at least one digit and one letter.
    (r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b", "hash"),
    # POSIX paths with at least two components, Windows paths.
    (r"(?<![\w<])(?:\.{0,2}/[\w.@%+~-]+){2,}/?", "path"),
    (r"\b[A-Za-z]:\\(?:[\w.@%+~-]+\\?)+", "path"),
    # Quoted values (short, single line).
    (r"'[^'\n]{0,200}'", "quoted"),
    (r"\"[^\"\n]{0,200}\"", "quoted"),
    # Ids mixing letters and at least two separate digit runs (host names, generated names).
    # ...and names with a numeric suffix or a long digit run (blk_123, broadcast_39, core.114).
    (r"(?<![\w<])(?=[\w.-]*[A-Za-z])[\w-]*\d[A-Za-z_-]+\d[\w.-]*", "id"),
    (r"(?<![\w<])[A-Za-z][\w-]*(?:[_.-]-?\d+|\d{5,})(?![\w])", "id"),
    # Stand-alone numbers: signed, decimal, dotted versions, with an optional unit (12ms, 3.5s, 40%,
    # 9.2 KB).
    (
        r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:ms|us|ns|s|m|h|d|b|kb|mb|gb|k|x|%)?(?!\w)(?:\s?(?:[KMGTP]i?B|B|bytes)\b)?",
        "num",
    ),
)

_MASK_RE = re.compile("|".join(f"(?P<{name}{i}>{rx})" for i, (rx, name) in enumerate(_MASKS)))

# Split points: whitespace, and punctuation that glues keys to values (``key=value``, ``a:b``,
# ``f(x)``, ``[a,b]``). The punctuation is kept as its own token so templates read naturally.
_SPLIT = re.compile(r"\s+|([=:,;()\[\]{}|])")


def mask(message: str) -> str:
    """Replace variable parts of ``message`` with ``<*>`` (idempotent)."""
    return _MASK_RE.sub(WILDCARD, message)


def mask_kind(message: str) -> list[tuple[str, str]]:
    """The (kind, text) pairs that :func:`mask` replaces, in order (for explanations and tests)."""
    out: list[tuple[str, str]] = []
    for m in _MASK_RE.finditer(message):
        kind = (m.lastgroup or "").rstrip("0123456789")
        out.append((kind, m.group(0)))
    return out


def tokenize(text: str) -> list[str]:
    """Split a (masked) message into tokens; delimiters ``=:,;()[]{}|`` become tokens of their own."""
    return [t for t in _SPLIT.split(text) if t]


def normalise(message: str, *, max_chars: int = 2000) -> list[str]:
    """Mask and tokenize the first line-joined ``max_chars`` characters of ``message``.

    Multi-line messages are joined with spaces; only the first ``max_chars`` characters count (the
    head of a failure message carries the root cause; the tail is usually a dump).
    """
    head = " ".join(message[:max_chars].split())
    return tokenize(mask(head))
