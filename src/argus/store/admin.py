"""API tokens (only hashes stored) and the append-only audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from argus.core.clock import utcnow
from argus.core.enums import Role
from argus.core.errors import InputError, NotFoundError
from argus.core.hashing import token_hash
from argus.core.values import MAX_DAYS
from argus.store.models import ApiToken, AuditLog, Organisation, Project

TOKEN_PREFIX = "argus_"


@dataclass(frozen=True)
class AuditView:
    """One audit row as plain data (``org`` None: a failed authentication naming no known token)."""

    id: int
    at: datetime
    org: str | None
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    status: int | None
    request_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    prefix: str
    role: str
    scopes: list[str]
    project: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def record_audit(
    session: Session,
    org_id: int | None,
    actor: str,
    action: str,
    *,
    project_id: int | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: dict[str, Any] | None = None,
    status: int | None = None,
    request_id: str | None = None,
) -> None:
    """Append one audit row (audit rows are never updated or deleted, see the AuditLog model)."""
    session.add(
        AuditLog(
            org_id=org_id,
            project_id=project_id,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail or {},
            status=status,
            request_id=request_id,
        )
    )


def append_audit(session: Session, org_id: int | None, actor: str, action: str, *, target_type: str | None = None,
                 target_id: str | None = None, detail: dict[str, Any] | None = None, status: int | None = None,
                 request_id: str | None = None) -> None:
    """:func:`record_audit` as one ``INSERT`` now (a statement built once; no ORM object and flush), for a
    unit of work that writes nothing else: the server's audit row of every mutating or refused request."""
    session.execute(_INSERT_AUDIT, {
        "org_id": org_id, "project_id": None, "actor": actor, "action": action, "target_type": target_type,
        "target_id": target_id, "detail": detail or {}, "status": status, "request_id": request_id, "at": utcnow(),
    })


_AUDIT_TABLE: Table = AuditLog.__table__  # type: ignore[assignment]
_INSERT_AUDIT = insert(_AUDIT_TABLE)  # Core, on the table: no ORM bulk-insert machinery


def list_audit(session: Session, org: Organisation | None = None, *, limit: int = 100,
               before_id: int | None = None) -> list[AuditView]:
    """Audit rows, newest first (of ``org`` only when given; every row, also org-less ones, otherwise)."""
    query = select(AuditLog, Organisation.slug).outerjoin(Organisation, Organisation.id == AuditLog.org_id)
    if org is not None:
        query = query.where(AuditLog.org_id == org.id)
    if before_id is not None:
        query = query.where(AuditLog.id < before_id)
    rows = session.execute(query.order_by(AuditLog.id.desc()).limit(limit))
    return [AuditView(a.id, a.at, slug, a.actor, a.action, a.target_type, a.target_id, a.status, a.request_id,
                      dict(a.detail or {})) for a, slug in rows]


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``2w``, ``30m`` (a bare number is days) → timedelta; InputError otherwise."""
    units = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    raw = text.strip().lower()
    unit = raw[-1:] if raw[-1:] in units else "d"
    number = raw[:-1] if raw[-1:] in units else raw
    # ASCII digits only ("¹".isdigit() is true, int("¹") fails); at most 100 years (a longer one
    # overflowed the expiry time)
    if not (number.isascii() and number.isdigit() and len(number) <= 12) \
            or not 0 < int(number) * units[unit] <= MAX_DAYS * 86400:
        raise InputError(f"invalid duration {text[:40]!r}: use e.g. 90d, 12h, 2w or 30m (at most {MAX_DAYS} days)")
    return timedelta(seconds=int(number) * units[unit])


def create_token(
    session: Session,
    org: Organisation,
    name: str,
    role: Role | str,
    actor: str,
    *,
    project: Project | None = None,
    scopes: list[str] | None = None,
    expires_in_days: int | None = None,
    expires_in: timedelta | None = None,
) -> tuple[str, TokenView]:
    """Create a token; the secret is returned once and only its hash is stored."""
    if expires_in is None and expires_in_days:
        expires_in = timedelta(days=expires_in_days)
    try:
        role = Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        org_id=org.id,
        project_id=project.id if project else None,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=token_hash(secret),
        role=role.value,
        scopes=scopes or [],
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        org.id,
        actor,
        "token.create",
        project_id=row.project_id,
        target_type="api_token",
        target_id=str(row.id),
        detail={"name": name, "role": role.value},
    )
    return secret, _view(row, project.slug if project else None)


def _view(row: ApiToken, project_slug: str | None) -> TokenView:
    return TokenView(
        row.id,
        row.name,
        row.prefix,
        row.role,
        list(row.scopes or []),
        project_slug,
        row.created_at,
        row.expires_at,
        row.revoked_at,
    )


def list_tokens(session: Session, org: Organisation) -> list[TokenView]:
    rows = session.execute(
        select(ApiToken, Project.slug)
        .outerjoin(Project, Project.id == ApiToken.project_id)
        .where(ApiToken.org_id == org.id)
        .order_by(ApiToken.id)
    )
    return [_view(t, slug) for t, slug in rows]


def revoke_token(session: Session, org: Organisation, token_id: int, actor: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.org_id == org.id, ApiToken.id == token_id)).first()
    if row is None:
        raise NotFoundError(f"token {token_id} not found in organisation {org.slug!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_audit(session, org.id, actor, "token.revoke", target_type="api_token", target_id=str(token_id))


def verify_token(session: Session, secret: str, *, touch_interval: timedelta = timedelta(0)) -> ApiToken | None:
    """The live token matching ``secret`` (None when unknown, revoked or expired). Its ``last_used_at``
    is updated when older than ``touch_interval`` (a server passes one: not a write per request)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= touch_interval:
        row.last_used_at = now
    return row
