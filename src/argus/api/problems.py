"""Errors as RFC 9457 ``application/problem+json`` with a stable ``type`` per error."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from argus.core.errors import (
    ArgusError,
    ConfigError,
    DatabaseUnavailableError,
    InputError,
    NotFoundError,
    SchemaOutOfDateError,
)

PROBLEM_BASE = "https://argus.dev/problems/"
MEDIA_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """An error a route raises on purpose: HTTP status, stable type slug, one-line detail."""

    def __init__(self, status: int, slug: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail, self.headers = status, slug, detail, headers or {}


def problem(status: int, slug: str, title: str, detail: str, request: Request,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail,
                            "instance": str(request.url.path)}
    rid = getattr(request.state, "request_id", None)
    if rid:
        body["request_id"] = rid
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 422: "Invalid input",
           429: "Too many requests", 500: "Internal error", 503: "Service unavailable"}


def _argus_status(exc: ArgusError) -> tuple[int, str]:
    if isinstance(exc, NotFoundError):
        return 404, "not-found"
    if isinstance(exc, InputError):
        return 422, "invalid-input"
    if isinstance(exc, (DatabaseUnavailableError, SchemaOutOfDateError)):
        return 503, "database-unavailable"
    if isinstance(exc, ConfigError):
        return 500, "configuration"
    return 500, "internal"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.slug, _TITLES.get(exc.status, "Error"), exc.detail, request, exc.headers)

    @app.exception_handler(ArgusError)
    async def _argus(request: Request, exc: ArgusError) -> JSONResponse:
        status, slug = _argus_status(exc)
        detail = str(exc) if status < 500 or slug == "database-unavailable" else "internal error"
        return problem(status, slug, _TITLES[status], detail, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}"
        return problem(422, "invalid-input", _TITLES[422], detail, request, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        """A bug: 500 problem (with the request id to find the traceback in the logs), never a stack."""
        rid = getattr(request.state, "request_id", None)
        headers = {"X-Request-ID": rid} if rid else None
        return problem(500, "internal", _TITLES[500], "internal error", request, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, f"http-{exc.status_code}")
        return problem(exc.status_code, slug, _TITLES.get(exc.status_code, "Error"), str(exc.detail), request,
                       dict(exc.headers or {}))
