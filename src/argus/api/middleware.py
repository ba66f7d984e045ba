"""The request middleware (pure ASGI, so uploads stream through untouched): request id, metrics,
one JSON access-log line, and the audit trail.

* ``X-Request-ID``: taken from the request when it is a sane token (≤ 128 of ``A-Za-z0-9._:-``), a new
  one otherwise; returned on every response, in every log line of the request and in problem bodies.
* Metrics: requests by route template and status, latency (:mod:`argus.api.metrics`).
* Audit: every mutating call (POST/PUT/PATCH/DELETE) and every refused authentication or
  authorisation (401/403, the 404 of a project outside the token's scope, the 429 of a client address
  past its failed-authentication limit; any method) appends
  one ``audit_log`` row: who (``token:ID`` or
  ``anonymous``), what (``METHOD /route/template`` + path), when, outcome (HTTP status), request id.
  The row is written after the response is sent; a failure to write it is logged as an error.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from argus.api.logging import request_id_var

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_ID_HEADER = b"x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

log = logging.getLogger("argus.api.access")


def route_template(scope: Scope) -> str:
    """The matched route's full path template (``/api/v1/projects/{project}/runs``), ``<unmatched>``
    else. FastAPI ≥ 0.16x serves included routers lazily and puts the router-local route in
    ``scope["route"]``; the full template is then on the effective route context it records."""
    ctx = (scope.get("fastapi") or {}).get("effective_route_context")
    path = getattr(ctx, "path_format", None) or getattr(scope.get("route"), "path_format", None) \
        or getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "<unmatched>"


class RequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        token = request_id_var.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope.get("method", "GET")
            template = route_template(scope)
            app = scope.get("app")
            metrics = getattr(getattr(app, "state", None), "metrics", None)
            if metrics is not None:
                metrics.observe(method, template, status, elapsed)
            who = state.get("caller")
            actor = getattr(who, "actor", None) or "anonymous"
            log.info("%s %s %s", method, scope.get("path", ""), status,
                     extra={"method": method, "path": scope.get("path", ""), "route": template, "status": status,
                            "duration_ms": round(elapsed * 1000, 1), "actor": actor})
            if app is not None and (method in MUTATING or status in (401, 403) or state.get("auth_failure")):
                await _audit(app, scope, state, method, template, status, rid)
            request_id_var.reset(token)


def _audit_unit(app: Any) -> Any:
    """The unit of work of one audit row. On PostgreSQL it runs in autocommit: the row is one
    ``INSERT`` (atomic on its own), so no ``BEGIN``/``COMMIT`` round trips; elsewhere the runtime's
    ordinary unit of work."""
    from argus.core.db import unit_of_work
    from argus.store.session import make_session_factory

    rt = app.state.runtime
    engine = rt.engine()
    if engine.dialect.name != "postgresql":
        return rt.unit_of_work()
    cached = getattr(app.state, "audit_sessions", None)
    if cached is None or cached[0] is not engine:
        cached = app.state.audit_sessions = (
            engine, make_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT")))
    factory: Any = cached[1]
    return unit_of_work(factory)


async def _audit(app: Any, scope: Scope, state: dict[str, Any], method: str, template: str, status: int,
                 rid: str) -> None:
    from argus.store.admin import append_audit

    who = state.get("caller")
    detail: dict[str, Any] = {"path": scope.get("path", "")}
    if state.get("auth_failure"):
        detail["reason"] = state["auth_failure"]
    if state.get("token_prefix") and who is None:
        detail["token_prefix"] = state["token_prefix"]
    client = scope.get("client")
    if client:
        detail["client"] = client[0]
    project = (scope.get("path_params") or {}).get("project")
    action = f"{method} {template}" if method in MUTATING else f"denied {method} {template}"

    def write() -> None:
        with _audit_unit(app) as s:
            append_audit(s, getattr(who, "org_id", None), getattr(who, "actor", None) or "anonymous",
                         action[:100], target_type="project" if project else "http",
                         target_id=(project or template)[:200], detail=detail, status=status, request_id=rid)

    try:
        await anyio.to_thread.run_sync(write)
    except Exception:
        logging.getLogger("argus.api.audit").exception("could not write the audit row of request %s", rid)
