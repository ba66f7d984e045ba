"""Dashboard sessions: an API token exchanged once for a signed, HttpOnly, SameSite=Strict cookie.

The cookie holds ``{token id, CSRF token, expiry}`` signed with HMAC-SHA256 under the server's
``server.session_secret`` (a random key per process when unset); never the token's secret. Every
request re-reads the token row, so revoking or expiring the token ends its sessions at once, and the
caller has exactly the token's organisation, project scope and role: the API's tenant rules apply
unchanged. Forms carry the session's CSRF token (checked in constant time); the login form, made
before there is a session, uses a double-submit cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from argus.api.deps import Caller
from argus.app.runtime import Runtime
from argus.core.enums import Role

SESSION_COOKIE = "argus_session"
LOGIN_CSRF_COOKIE = "argus_login_csrf"


@dataclass(frozen=True)
class Session:
    token_id: int
    csrf: str
    expires: int


def _key(request: Request) -> bytes:
    state = request.app.state
    key = getattr(state, "web_session_key", None)
    if key is None:
        rt: Runtime = state.runtime
        configured = rt.settings.server.session_secret
        key = (hashlib.sha256(configured.get_secret_value().encode()).digest() if configured is not None
               else secrets.token_bytes(32))
        state.web_session_key = key
    assert isinstance(key, bytes)
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(request: Request, sess: Session) -> str:
    body = _b64(json.dumps({"t": sess.token_id, "c": sess.csrf, "e": sess.expires}, separators=(",", ":")).encode())
    mac = _b64(hmac.new(_key(request), body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def unsign(request: Request, value: str | None) -> Session | None:
    """The session of cookie ``value`` when its signature holds and it has not expired."""
    if not value or len(value) > 1024 or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    want = _b64(hmac.new(_key(request), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(want, mac):
        return None
    try:
        data: Any = json.loads(_unb64(body))
        sess = Session(int(data["t"]), str(data["c"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return sess if sess.expires > time.time() else None


def new_session(token_id: int, ttl_s: int) -> Session:
    return Session(token_id, secrets.token_urlsafe(24), int(time.time()) + ttl_s)


def _secure(request: Request) -> bool:
    rt: Runtime = request.app.state.runtime
    forced = rt.settings.server.secure_cookies
    return forced if forced is not None else request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=_secure(request))


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=_secure(request))


def current(request: Request) -> Session | None:
    """The request's valid session (cached on the request)."""
    if hasattr(request.state, "web_session"):
        cached = request.state.web_session
        return cached if isinstance(cached, Session) else None
    sess = unsign(request, request.cookies.get(SESSION_COOKIE))
    request.state.web_session = sess
    return sess


def caller_of(rt: Runtime, token_id: int) -> Caller | None:
    """The caller of live token ``token_id`` (None when it is unknown, revoked or expired)."""
    from argus.core.clock import utcnow
    from argus.store.models import ApiToken, Organisation, Project

    with rt.unit_of_work() as s:
        row = s.get(ApiToken, token_id)
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= utcnow():
            return None
        org = s.get(Organisation, row.org_id)
        project = s.get(Project, row.project_id) if row.project_id is not None else None
        assert org is not None
        return Caller(row.id, org.id, org.slug, project.slug if project else None, Role(row.role))


def login(rt: Runtime, secret: str) -> Caller | None:
    """The caller of API token ``secret`` (None when unknown, revoked or expired)."""
    from argus.store.admin import verify_token

    with rt.unit_of_work() as s:
        row = verify_token(s, secret)
        token_id = row.id if row is not None else None
    return caller_of(rt, token_id) if token_id is not None else None


def csrf_ok(expected: str | None, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected or "", given)
