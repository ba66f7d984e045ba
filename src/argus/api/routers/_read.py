"""What the read routers share: the caller's organisation's runtime, the page query parameters, and
the page response models (built from the frozen read models, so the OpenAPI schema matches them)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Query, Request, Response
from pydantic import BaseModel, TypeAdapter

from argus.api.deps import Caller, known_project, project_caller
from argus.app.paging import DEFAULT_LIMIT, MAX_LIMIT
from argus.app.runtime import Runtime
from argus.core.enums import Role

PROJECT = "/api/v1/projects/{project}"

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page.")]
Since = Annotated[datetime | None, Query(description="Only rows at or after this ISO-8601 time.")]
Until = Annotated[datetime | None, Query(description="Only rows at or before this ISO-8601 time.")]
DEFAULT = DEFAULT_LIMIT


def org_runtime(request: Request, who: Caller, *, read_only: bool | None = None) -> Runtime:
    """The process runtime seen from the caller's organisation: same engine, projects looked up in
    ``who``'s organisation only (a project of another organisation is not found). For a GET or HEAD
    request (or with ``read_only``) it is a reader (:meth:`Runtime.reader`: read-only units of work,
    which refuse writes)."""
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    if read_only is None:
        read_only = request.method in ("GET", "HEAD")
    cache: dict[tuple[str, bool], Runtime] | None = getattr(request.app.state, "org_runtimes", None)
    if cache is None:
        cache = request.app.state.org_runtimes = {}
    found = cache.get((who.org_slug, read_only))
    if found is None:
        engine = rt.engine()
        settings = rt.settings.model_copy(update={"default_org": who.org_slug})
        found = dataclasses.replace(rt, _settings=settings, _engine=engine, _factory=None)
        found = cache.setdefault((who.org_slug, read_only), found.reader() if read_only else found)
    return found


def in_project(request: Request, project: str, who: Caller, role: Role = Role.VIEWER) -> Runtime:
    """Check ``who`` may act on ``project`` with ``role`` (404 outside its reach, 403 too low) and return
    its organisation's runtime."""
    from argus.store.projects import check_slug

    check_slug("project", project)  # an impossible name (e.g. with a NUL): 422 before any query
    project_caller(project, who, role, request)  # the request: its audit row names the refusal
    return org_runtime(request, who).knowing(known_project(request, project))  # no second project look-up


def page_json(items: Any, next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


class PageBase(BaseModel):
    next_cursor: str | None = None


@lru_cache(maxsize=64)
def _items_adapter(item_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tuple[item_type, ...])


_NULL = b"null"


def page_response(item_type: type, items: tuple[Any, ...], next_cursor: str | None) -> Response:
    """The JSON of a page (``{"items": [...], "next_cursor": ...}``) serialised once, straight from the
    frozen read models: the route keeps its ``response_model`` (the OpenAPI schema) but FastAPI does not
    validate and copy every item into it again. The bytes are pydantic's JSON of the same types in the model's field
    order, so the body is what ``response_model`` would have produced."""
    import json

    cursor = _NULL if next_cursor is None else json.dumps(next_cursor, ensure_ascii=False).encode()
    body = b"".join((b'{"next_cursor":', cursor, b',"items":', _items_adapter(item_type).dump_json(items), b"}"))
    return Response(body, media_type="application/json")
