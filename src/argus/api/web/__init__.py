"""The web dashboard served by ``argus serve`` at ``/`` (see docs/dashboard.md).

Pages are routes of the app (:mod:`.routes`), each declaring its role like the API's routes. What must
be reachable before signing in — the sign-in form, sign-out and the static assets (CSS, a little
JavaScript) — is served by :class:`PublicPaths`, a small ASGI layer in front of the router: these are
public by design (they show nothing of any project), so they are not routes of the app's route table
that every other route must pass (``tests/api/test_route_walk.py``); ``tests/web`` checks that they
show nothing of any project and that everything else needs a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import ASGIApp, Receive, Scope, Send

#: Paths served before sign-in (exact), and the prefix of the static assets.
PUBLIC_PAGES = frozenset({"/login", "/logout"})
STATIC_PREFIX = "/static/"


class PublicPaths:
    """ASGI middleware: the sign-in/out pages and static assets; everything else goes to the app."""

    def __init__(self, app: ASGIApp) -> None:
        from argus.api.web.public import public_app

        self.app = app
        self.public = public_app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            if path in PUBLIC_PAGES or path.startswith(STATIC_PREFIX):
                from starlette.exceptions import HTTPException
                from starlette.responses import PlainTextResponse

                try:
                    await self.public(scope, receive, send)
                except HTTPException as exc:  # 404 of an unknown asset, 405 of a wrong method
                    await PlainTextResponse(str(exc.detail), exc.status_code, headers=exc.headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add the dashboard to ``app``: its pages, and the public sign-in pages and assets."""
    from argus.api.web import capabilities, routes

    app.include_router(routes.router)
    app.include_router(capabilities.router)
    routes.install_handlers(app)
    app.add_middleware(PublicPaths)
