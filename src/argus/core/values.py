"""Bounds and cleaning for values that come from outside (report files, CLI options): one place.

Every parser and CLI option validator uses these, so ``argus parse`` and ``argus ingest`` agree on
what is valid and both databases accept whatever passed:

* **Text**: NUL (U+0000, refused by PostgreSQL in ``text`` and ``jsonb``) and lone surrogates
  (U+D800–U+DFFF, from ``\\udXXX`` JSON escapes or undecodable file names; no database driver can
  encode them) are replaced by U+FFFD. Other control characters are kept: both databases store them.
* **Durations**: seconds in ``[0, MAX_DURATION_S]``; anything else (negative, NaN, infinite, a year
  or more) is treated as absent, with a warning naming how many were dropped.
* **Timestamps**: within ``[MIN_TIMESTAMP, MAX_TIMESTAMP]`` once converted to UTC, else absent with a
  warning (``9999-12-31`` or ``0001-01-01+14:00`` would overflow date arithmetic).
* **Integers** (counts, line numbers, ids): ``MAX_INT32`` / ``MAX_INT64`` as the columns hold them.
* **CI identity text** (run id, branch, job): at most ``MAX_CI_TEXT`` characters; a commit SHA is
  4–64 hexadecimal digits.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

#: Replacement for characters no database accepts (U+FFFD REPLACEMENT CHARACTER).
REPLACEMENT = "\ufffd"
#: Longest accepted test/step duration: 366 days, in seconds.
MAX_DURATION_S = 366 * 86400.0
#: Timestamps outside this range (UTC) are treated as absent.
MIN_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIMESTAMP = datetime(2200, 1, 1, tzinfo=UTC)
#: Largest value of an ``Integer`` / ``BigInteger`` column.
MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
#: Longest CI run id, branch or job name (the columns are ``String(255)``).
MAX_CI_TEXT = 255
#: Longest relative ``--since``/``--days`` window: 100 years.
MAX_DAYS = 36_500

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_SHA = re.compile(r"[0-9a-fA-F]{4,64}")
# a JSON escape that decodes to NUL or to a surrogate (paired ones are joined by json, the check is cheap)
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def clean_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD (unchanged, same object, when clean)."""
    if _BAD_CHARS.search(value) is None:
        return value
    return _BAD_CHARS.sub(REPLACEMENT, value)


def clean_optional(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def _clean_tree(doc: Any) -> Any:
    """Clean every string (values and keys) of a decoded JSON document, iteratively (no recursion)."""
    root = [doc]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        value = container[key]
        if isinstance(value, str):
            container[key] = clean_text(value)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
        elif isinstance(value, dict):
            if any(isinstance(k, str) and _BAD_CHARS.search(k) for k in value):
                value = {clean_text(k): v for k, v in value.items()}
                container[key] = value
            stack.extend((value, k) for k in value)
    return root[0]


def loads_json(data: bytes | str) -> Any:
    """``json.loads`` whose strings are all clean (:func:`clean_text`).

    Raises what ``json.loads`` raises: ``ValueError`` (incl. ``UnicodeDecodeError``) and
    ``RecursionError`` for documents nested deeper than the interpreter's recursion limit.
    """
    doc = json.loads(data)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _SUSPECT_ESCAPE.search(raw) is None:
        return doc
    return _clean_tree(doc)


def bounded_duration(seconds: float | None) -> float | None:
    """``seconds`` when in ``[0, MAX_DURATION_S]``, else ``None`` (also for NaN and infinities)."""
    if seconds is None:
        return None
    return seconds if 0.0 <= seconds <= MAX_DURATION_S else None


def bounded_timestamp(moment: datetime | None) -> datetime | None:
    """``moment`` when it lies in ``[MIN_TIMESTAMP, MAX_TIMESTAMP]`` (naive means UTC), else ``None``."""
    if moment is None:
        return None
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        return None
    return moment if MIN_TIMESTAMP <= utc <= MAX_TIMESTAMP else None


def is_commit_sha(value: str) -> bool:
    """True for 4 to 64 hexadecimal digits (an abbreviated or full SHA-1 / SHA-256)."""
    return _SHA.fullmatch(value) is not None


def ago(days: float, now: datetime | None = None) -> datetime:
    """``now`` minus ``days`` days; ``ValueError`` outside ``[0, MAX_DAYS]`` (instead of an overflow)."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"expected 0 to {MAX_DAYS} days")
    return (now or datetime.now(UTC)) - timedelta(days=days)
