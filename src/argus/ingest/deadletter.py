"""Record a rejected input in the dead-letter table (usable by every ingester)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.core.errors import RejectedInputError
from argus.store.models import DeadLetter
from argus.store.session import current_project_id

T = TypeVar("T")

#: Characters of the rejected input kept in ``DeadLetter.excerpt`` (enough to recognise it).
EXCERPT_CHARS = 2000


def excerpt_of(data: bytes | str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """The first ``limit`` characters of ``data``, decoded leniently (``None`` when empty)."""
    if not data:
        return None
    head = data[: limit * 4]
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    return text[:limit]


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
    """Add one dead letter for the session's project and flush it; the caller owns the transaction.

    ``excerpt`` may be the raw input (bytes or text): only its first :data:`EXCERPT_CHARS`
    characters are kept. Call this *after* rolling back whatever was stored from the input (e.g. the
    SAVEPOINT of ``session.begin_nested()``), so nothing of it remains but this row.
    """
    row = DeadLetter(
        project_id=current_project_id(session),
        source=source.value,
        source_name=source_name,
        content_hash=content_hash,
        size_bytes=size_bytes,
        reason=reason,
        excerpt=excerpt_of(excerpt),
    )
    session.add(row)
    session.flush()
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
