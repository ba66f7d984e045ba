from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.core.enums import Role
from argus.store.admin import create_token, list_tokens, revoke_token, verify_token
from argus.store.models import ApiToken, AuditLog
from argus.store.projects import get_or_create_org


def test_token_secret_is_never_stored_and_can_be_revoked(session: Session) -> None:
    org = get_or_create_org(session, "default")
    secret, view = create_token(session, org, "ci", Role.UPLOADER, "alice")
    stored = session.scalars(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix) and secret.startswith(stored.prefix)
    assert verify_token(session, secret) is not None
    assert verify_token(session, secret + "x") is None
    revoke_token(session, org, view.id, "alice")
    assert verify_token(session, secret) is None
    assert [t.revoked_at is not None for t in list_tokens(session, org)] == [True]
    actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["token.create", "token.revoke"]
