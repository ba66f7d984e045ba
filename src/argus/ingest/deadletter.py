"""Record a rejected input in the dead-letter table (usable by every ingester).

What is kept of a rejected input: its SHA-256, size, detected type (:func:`detect_type`) and a short
excerpt of its head with secrets masked (:func:`redact`): at most :data:`EXCERPT_LINES` lines of at
most :data:`EXCERPT_LINE_CHARS` characters, :data:`EXCERPT_CHARS` in all; binary inputs keep none.
The file itself is never stored. The same input rejected again (same project, source and content
hash) updates one row: ``count`` + 1, ``last_seen_at``, the latest name and reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from argus.core.clock import utcnow
from argus.core.enums import DeadLetterSource
from argus.core.errors import RejectedInputError
from argus.core.values import clean_text
from argus.store.models import DeadLetter
from argus.store.session import current_project_id

T = TypeVar("T")

#: Longest excerpt kept, in characters (after redaction).
EXCERPT_CHARS = 400
#: Longest line of the excerpt (longer ones are cut with ``…``).
EXCERPT_LINE_CHARS = 160
#: Most lines in the excerpt.
EXCERPT_LINES = 8
#: Bytes of the input's head that are redacted before the excerpt is cut (a secret that starts in
#: the excerpt is matched whole, so no prefix of it survives the cut).
HEAD_BYTES = 64 * 1024
#: Longest reason stored (parsers may echo input values in it).
REASON_CHARS = 500

_MASK = "[REDACTED]"
_SECRET_WORDS = r"(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM blocks (also when cut off before their END line, and inside JSON strings with \n escapes)
    # (PGP keys: "PRIVATE KEY BLOCK")
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
                r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S),
     "[REDACTED PRIVATE KEY]"),
    # JSON fields named like secrets: "private_key": "...", "client_secret": "..." (value possibly cut off)
    (re.compile(r'("[\w.-]*' + _SECRET_WORDS + r'[\w.-]*"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\Z)', re.I | re.S),
     r'\1"' + _MASK + '"'),
    # YAML block scalars named like secrets: "private_key: |" and every more-indented line after it
    (re.compile(r"^([ \t]*)([\w.-]*" + _SECRET_WORDS + r"[\w.-]*[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*)\n"
                r"(?:\1[ \t]+\S[^\n]*(?:\n|\Z)|[ \t]*\n)+", re.I | re.M),
     r"\1\2\n\1  " + _MASK + "\n"),
    # passwords in URLs: scheme://user:password@host (up to the last @ of the line: passwords may hold @)
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/\s@]*:)[^\s]*@", re.I), r"\1***@"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), _MASK),  # AWS access key ids
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), _MASK),  # GitHub
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), _MASK),  # GitLab
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), _MASK),  # Slack
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), _MASK),  # JWTs
    # HTTP credentials: "Authorization: Bearer …" / "Basic …" (the whole rest of the line)
    (re.compile(r"(\b(?:proxy-)?authorization['\"]?\s*[=:]\s*)[^\n]+", re.I), r"\1" + _MASK),
    # assignments: password=..., SECRET: ..., api_key='...' (env files, YAML, INI, query strings)
    (re.compile(r"(\b[\w.-]*" + _SECRET_WORDS + r"[\w.-]*\s*[=:]\s*)(?:\"[^\"\n]*\"?|'[^'\n]*'?|[^\s,;&<\"']+)",
                re.I), r"\1" + _MASK),
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_MAGIC = (
    (b"PK\x03\x04", "zip"), (b"\x1f\x8b", "gzip"), (b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"\x7fELF", "elf"),
    (b"BZh", "bzip2"), (b"\xfd7zXZ", "xz"), (b"7z\xbc\xaf", "7z"),
)


def redact(text: str) -> str:
    """``text`` with secrets masked: private keys, cloud/VCS/chat tokens, JWTs, URL passwords, and
    values of JSON fields or assignments whose name says password/secret/token/key."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def detect_type(head: bytes) -> str:
    """What the input looks like from its first bytes: empty, zip, gzip, pdf …, xml, json, text or binary."""
    if not head:
        return "empty"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if b"\x00" in head[:8192] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "xml"
    if stripped.startswith((b"{", b"[")):
        return "json"
    try:
        head[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head[:8192]) - 4:  # not just a character cut at the end of the head
            return "binary"
    return "text"


def excerpt_of(data: bytes | str | None) -> str | None:
    """A short redacted excerpt of ``data``'s head (``None`` when empty or binary)."""
    if not data:
        return None
    if isinstance(data, bytes):
        if detect_type(data[:HEAD_BYTES]) not in ("xml", "json", "text"):
            return None
        text = data[:HEAD_BYTES].decode("utf-8", errors="replace")
    else:
        text = data[:HEAD_BYTES]
    text = redact(text)
    lines = []
    for line in text.splitlines()[:EXCERPT_LINES]:
        line = _CONTROL.sub("\ufffd", line)
        lines.append(line if len(line) <= EXCERPT_LINE_CHARS else line[: EXCERPT_LINE_CHARS - 1] + "…")
    out = "\n".join(lines)
    return (out if len(out) <= EXCERPT_CHARS else out[: EXCERPT_CHARS - 1] + "…") or None


def short_reason(reason: str) -> str:
    """``reason`` cleaned, redacted and cut to :data:`REASON_CHARS` (it may quote the input)."""
    text = redact(_CONTROL.sub("\ufffd", clean_text(reason)))
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def _dedupe_key(content_hash: str | None, source_name: str, reason: str) -> str:
    if content_hash:
        return content_hash
    return hashlib.sha256(f"{source_name}\0{reason}".encode("utf-8", "replace")).hexdigest()


def record_dead_letter(
    session: Session,
    source: DeadLetterSource,
    source_name: str,
    reason: str,
    *,
    content_hash: str | None = None,
    size_bytes: int | None = None,
    excerpt: bytes | str | None = None,
) -> DeadLetter:
    """Record (or count again) one dead letter for the session's project; the caller owns the transaction.

    ``excerpt`` may be the raw input or its head (bytes or text): only a short redacted excerpt is
    kept. Call this *after* rolling back whatever was stored from the input (e.g. the SAVEPOINT of
    ``session.begin_nested()``), so nothing of it remains but this row. An upsert: concurrent
    writers of the same rejected input end with one row and the sum of their counts.
    """
    name = clean_text(source_name)
    why = short_reason(reason)
    head = excerpt[:HEAD_BYTES] if excerpt else None
    now = utcnow()
    values: dict[str, Any] = {
        "project_id": current_project_id(session), "source": source.value, "source_name": name,
        "dedupe_key": _dedupe_key(content_hash, name, why), "content_hash": content_hash,
        "content_type": detect_type(head) if isinstance(head, bytes) else ("text" if head else None),
        "size_bytes": size_bytes, "reason": why, "excerpt": excerpt_of(head), "count": 1,
        "created_at": now, "last_seen_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Any = DeadLetter.__table__
    upsert = insert(table).values(values)
    stmt = upsert.on_conflict_do_update(
        index_elements=["project_id", "source", "dedupe_key"],
        set_={"count": table.c.count + 1, "last_seen_at": now, "source_name": name, "reason": why,
              "size_bytes": size_bytes},
    ).returning(table.c.id)
    row_id = session.execute(stmt).scalar_one()
    row = session.get(DeadLetter, row_id, populate_existing=True)
    assert row is not None
    return row


def parse_or_dead_letter(
    session: Session,
    source: DeadLetterSource,
    source_name: str,
    data: bytes,
    content_hash: str,
    parse: Callable[[], T],
) -> T:
    """Run ``parse``; when it rejects the input, record a dead letter with its reason and re-raise."""
    try:
        return parse()
    except RejectedInputError as exc:
        record_dead_letter(
            session, source, source_name, exc.reason,
            content_hash=content_hash, size_bytes=len(data), excerpt=data,
        )
        raise

