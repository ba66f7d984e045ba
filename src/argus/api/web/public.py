"""What the dashboard serves before sign-in: the sign-in form (an API token exchanged for a session
cookie), sign-out, and the static assets shipped inside the package. Nothing here reads a project."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles

from argus.api.web import session
from argus.api.web.routes import login_page, safe_next, secure

STATIC = Path(__file__).parent / "static"
#: Most sign-in attempts per client address per minute (a brute-force brake; tokens are 256-bit anyway).
LOGIN_ATTEMPTS_PER_MINUTE = 20


def _throttled(request: Request) -> bool:
    state = request.app.state
    seen: dict[str, list[float]] = getattr(state, "web_login_attempts", None) or {}
    state.web_login_attempts = seen
    host = request.client.host if request.client else "?"
    now = time.monotonic()
    recent = [t for t in seen.get(host, []) if now - t < 60]
    recent.append(now)
    seen[host] = recent
    if len(seen) > 10_000:  # keep the table bounded
        seen.clear()
    return len(recent) > LOGIN_ATTEMPTS_PER_MINUTE


async def login(request: Request) -> Response:
    from fastapi.concurrency import run_in_threadpool

    if request.method == "GET":
        return login_page(request, next_path=request.query_params.get("next", "/"))
    form = await request.form()
    next_path = safe_next(form.get("next"))
    if not session.csrf_ok(request.cookies.get(session.LOGIN_CSRF_COOKIE), form.get("csrf")):
        return login_page(request, 403, next_path=next_path, error="The form expired: sign in again.")
    if _throttled(request):
        return login_page(request, 429, next_path=next_path, error="Too many attempts: wait a minute.")
    token = form.get("token")
    if not isinstance(token, str) or not token.strip() or len(token) > 500:
        return login_page(request, 401, next_path=next_path, error="Paste an API token.")
    rt = request.app.state.runtime
    who = await run_in_threadpool(session.login, rt, token.strip())
    if who is None:
        return login_page(request, 401, next_path=next_path, error="Unknown, revoked or expired token.")
    request.state.caller = who  # the audit row of this POST names the token
    ttl = rt.settings.server.session_ttl_s
    resp = RedirectResponse(next_path, status_code=303)
    session.set_cookie(request, resp, session.SESSION_COOKIE, session.sign(request, session.new_session(who.token_id, ttl)),
                       ttl)
    session.clear_cookie(request, resp, session.LOGIN_CSRF_COOKIE)
    return secure(resp)


async def logout(request: Request) -> Response:
    form = await request.form()
    sess = session.current(request)
    if sess is not None and not session.csrf_ok(sess.csrf, form.get("csrf")):
        return secure(Response("the form's CSRF token is missing or wrong", status_code=403))
    resp = RedirectResponse("/login", status_code=303)
    session.clear_cookie(request, resp, session.SESSION_COOKIE)
    return secure(resp)


def public_app() -> Router:
    return Router(routes=[
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
