"""What routes depend on: the Runtime of the process, and the authenticated caller.

Every route declares the role it needs **in one place**, its dependencies: ``who = require(Role.X)``
for organisation-level routes, ``access = project_access(Role.X)`` for routes under
``/api/v1/projects/{project}/...``. :func:`route_role` reads it back (the route-walk test in
``tests/api`` checks every route of the app with it); a route without one must be public
(:data:`PUBLIC_PATHS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from argus.api.problems import ApiProblem
from argus.api.ratelimit import RateLimiter
from argus.app.runtime import KnownProject, Runtime
from argus.core.enums import Role

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope

T = TypeVar("T")

_ROLE_RANK = {r: i for i, r in enumerate(Role)}

#: Routes that need no token (health, metrics, the API description).
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/docs",
                          "/api/v1/docs/oauth2-redirect"})

#: Attribute a role-checking dependency carries (read by :func:`route_role`).
ROLE_ATTR = "argus_required_role"


async def runtime(request: Request) -> Runtime:
    # async: no thread hop for an attribute read (a sync dependency runs in the threadpool)
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


@dataclass(frozen=True)
class Caller:
    """The authenticated token: its organisation, optional single project, and role."""

    token_id: int
    org_id: int
    org_slug: str
    project_slug: str | None  # None: every project of the organisation
    role: Role

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"

    def allows(self, role: Role) -> bool:
        return _ROLE_RANK[self.role] >= _ROLE_RANK[role]

    def may_see(self, project: str) -> bool:
        return self.project_slug is None or self.project_slug == project


def _unauthorized(request: Request, detail: str) -> ApiProblem:
    request.state.auth_failure = detail
    return ApiProblem(401, "unauthorized", detail, {"WWW-Authenticate": "Bearer"})


def _forbidden(request: Request, detail: str) -> ApiProblem:
    request.state.auth_failure = detail
    return ApiProblem(403, "forbidden", detail)


_bearer = HTTPBearer(auto_error=False, scheme_name="token", description="An Argus API token (argus tokens create).")


def caller(request: Request, rt: Annotated[Runtime, Depends(runtime)],
           _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None) -> Caller:
    """The caller of ``Authorization: Bearer <token>`` (401 problem when missing, unknown, revoked or
    expired; 429 with ``Retry-After`` past the token's rate limit, or when the client address made too
    many failed attempts: then the token is not even looked up)."""
    cached = getattr(request.state, "caller", None)
    if isinstance(cached, Caller):
        return cached
    failures = getattr(request.app.state, "auth_failure_limiter", None)
    address = request.client.host if request.client else "-"
    if isinstance(failures, RateLimiter):
        wait = failures.wait(address)
        if wait > 0:
            request.state.auth_failure = "too many failed authentications from this address"
            raise ApiProblem(429, "rate-limited", "too many failed authentications from this address; retry later",
                             {"Retry-After": RateLimiter.retry_after(wait)})
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise _failed(request, failures, address, "missing bearer token")
    request.state.token_prefix = secret[:12]
    found = lookup_token(rt, secret, _asked_project(request))
    if found is None:
        raise _failed(request, failures, address, "unknown, revoked or expired token")
    who, request.state.project = found
    request.state.caller = who
    limiter = getattr(request.app.state, "rate_limiter", None)
    wait = limiter.take(who.token_id) if isinstance(limiter, RateLimiter) else 0.0
    if wait > 0:
        raise ApiProblem(429, "rate-limited", f"rate limit of token {who.token_id} exceeded; retry later",
                         {"Retry-After": RateLimiter.retry_after(wait)})
    return who


def _asked_project(request: Request) -> str | None:
    """The route's ``{project}`` when it is a possible project name (else None: the route rejects it)."""
    from argus.store.projects import is_slug

    project = request.path_params.get("project")
    return project if isinstance(project, str) and is_slug(project) else None


def _failed(request: Request, failures: Any, address: str, detail: str) -> ApiProblem:
    """A 401 for a failed authentication, counted against the client address."""
    if isinstance(failures, RateLimiter):
        failures.take(address)
    return _unauthorized(request, detail)


@lru_cache(maxsize=1)
def _token_statement() -> Any:
    """The token look-up, built once: token, organisation, the token's own project and the
    **requested** project (parameter ``project``: the ``{project}`` of the route, NULL for none) joined
    in one statement (parameter ``hash``). The requested project is joined only within the token's
    organisation and, for a single-project token, only when it is that project: a project the token
    may not see is never read."""
    from sqlalchemy import String, and_, bindparam, or_, select
    from sqlalchemy.orm import aliased

    from argus.store.models import ApiToken, Organisation, Project

    own = aliased(Project, name="own_project")
    asked = aliased(Project, name="asked_project")
    wanted = bindparam("project", type_=String)
    return (
        select(ApiToken.id, ApiToken.org_id, ApiToken.role, ApiToken.expires_at, ApiToken.revoked_at,
               ApiToken.last_used_at, Organisation.slug, own.slug,
               asked.id, asked.slug, asked.name, asked.default_branch, asked.repo_path, asked.created_at)
        .join(Organisation, Organisation.id == ApiToken.org_id)
        .outerjoin(own, own.id == ApiToken.project_id)
        .outerjoin(asked, and_(asked.org_id == ApiToken.org_id, asked.slug == wanted,
                               or_(ApiToken.project_id.is_(None), ApiToken.project_id == asked.id)))
        .where(ApiToken.token_hash == bindparam("hash"))
    )


def lookup_token(rt: Runtime, secret: str, project: str | None = None) -> tuple[Caller, KnownProject | None] | None:
    """The live token matching ``secret`` as a :class:`Caller` (None when unknown, revoked or expired),
    with the project ``project`` of its organisation when it exists and the token may see it (a
    :class:`KnownProject`: the route's unit of work then opens without looking it up again), in
    **one** statement outside any transaction on PostgreSQL (autocommit: no BEGIN/COMMIT round trips; a
    read-only deferred transaction on SQLite). Not cached: a revoked token is refused by every
    process from the next request on. Its ``last_used_at`` is written when older than
    ``server.token_touch_interval_s`` (a short transaction of its own, about once a minute per token)."""
    from sqlalchemy import update

    from argus.core.clock import utcnow
    from argus.core.db import READ_ONLY
    from argus.core.hashing import token_hash
    from argus.store.models import ApiToken

    engine = rt.engine()
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" \
        else {READ_ONLY: True}
    with engine.connect() as conn:
        row = conn.execution_options(**options).execute(
            _token_statement(), {"hash": token_hash(secret), "project": project}).first()
    if row is None:
        return None
    token_id, org_id, role, expires_at, revoked_at, last_used_at, org_slug, project_slug = row[:8]
    now = utcnow()
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        return None
    if last_used_at is None or now - last_used_at >= timedelta(seconds=rt.settings.server.token_touch_interval_s):
        with engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    known = None if row[8] is None else KnownProject(org_slug, row[8], org_id, *row[9:])
    return Caller(token_id, org_id, org_slug, project_slug, Role(role)), known


def known_project(request: Request, project: str) -> KnownProject | None:
    """The project ``project`` as the token check of this request read it (None when it was not
    asked for, does not exist, or is outside the token's reach: then the route looks it up as before
    and fails closed: 404)."""
    known = getattr(request.state, "project", None)
    return known if isinstance(known, KnownProject) and known.slug == project else None


def _check_role(request: Request, who: Caller, role: Role) -> None:
    if not who.allows(role):
        raise _forbidden(request, f"this needs role {role.value} or higher (token has {who.role.value})")


def require(role: Role) -> Any:
    """Dependency: the caller, with at least ``role`` (403 problem otherwise). Use as
    ``who: Annotated[Caller, require(Role.VIEWER)]``."""

    async def dep(request: Request, who: Annotated[Caller, Depends(caller)]) -> Caller:
        _check_role(request, who, role)
        return who

    setattr(dep, ROLE_ATTR, role)
    return Depends(dep)


@dataclass(frozen=True)
class ProjectAccess:
    """An authorised caller on one project of its organisation (the ``{project}`` path parameter)."""

    caller: Caller
    project: str
    runtime: Runtime

    def run(self, work: Callable[[ProjectScope], T], *, create: bool = False) -> T:
        """``work`` in one unit of work on the project **of the caller's organisation** (a project of
        another organisation with the same name is never reached: NotFoundError → 404)."""
        return self.runtime.in_project(self.project, work, create=create, org=self.caller.org_slug)

    @property
    def known(self) -> KnownProject | None:
        """The project as the token check read it (None when it does not exist)."""
        known = self.runtime.known_project
        return known if known is not None and known.slug == self.project else None


def project_access(role: Role) -> Any:
    """Dependency for routes under ``/projects/{project}``: 404 when the project is outside the
    token's reach (like one that does not exist: no existence oracle across tenants), 403 when the
    role is too low. Use as ``access: Annotated[ProjectAccess, project_access(Role.VIEWER)]`` and run
    the use case with ``access.run(...)`` or ``rt.in_project(access.project, ..., org=access.caller.org_slug)``."""

    async def dep(request: Request, project: str, who: Annotated[Caller, Depends(caller)],
                  rt: Annotated[Runtime, Depends(runtime)]) -> ProjectAccess:
        project_caller(project, who, role, request)
        return ProjectAccess(who, project, rt.knowing(known_project(request, project)))

    setattr(dep, ROLE_ATTR, role)
    return Depends(dep)


def project_caller(project: str, who: Caller, role: Role, request: Request | None = None) -> Caller:
    """Check ``who`` may act on ``project`` with ``role``. A project outside the token's reach is 404,
    exactly like one that does not exist (no existence oracle across tenants). Prefer
    :func:`project_access`, which also declares the role for :func:`route_role`."""
    if not who.may_see(project):
        if request is not None:
            request.state.auth_failure = "project outside the token's scope"
        raise ApiProblem(404, "not-found", f"project {project!r} not found")
    if not who.allows(role):
        if request is not None:
            request.state.auth_failure = "role too low"
        raise ApiProblem(403, "forbidden", f"this needs role {role.value} or higher (token has {who.role.value})")
    return who


def route_role(route: Any) -> Role | None:
    """The role ``route`` (an APIRoute or a route context with a ``dependant``) requires: the highest
    declared by its dependencies; None when it declares none (then it must be public)."""
    found: list[Role] = []
    root = getattr(route, "dependant", None)
    stack = [root] if root is not None else []
    while stack:
        dep = stack.pop()
        role = getattr(dep.call, ROLE_ATTR, None)
        if isinstance(role, Role):
            found.append(role)
        stack.extend(dep.dependencies)
    return max(found, key=_ROLE_RANK.__getitem__) if found else None


@dataclass(frozen=True)
class RouteEntry:
    """One route of an app as served: full path template, methods, the role it needs (None: none
    declared), and whether it is a FastAPI route (False: the OpenAPI/docs routes)."""

    path: str
    methods: frozenset[str]
    role: Role | None
    is_api: bool


def app_routes(app: FastAPI) -> list[RouteEntry]:
    """Every route of ``app`` (from ``app.routes``, included routers flattened with their prefixes)."""
    from fastapi.routing import APIRoute

    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers became lazy: app.routes is flat
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    out = []
    for ctx in contexts:
        original = getattr(ctx, "original_route", ctx)
        path = getattr(ctx, "path", None) or getattr(original, "path", "")
        methods = frozenset(getattr(ctx, "methods", None) or getattr(original, "methods", None) or ())
        is_api = isinstance(original, APIRoute)
        out.append(RouteEntry(str(path), methods, route_role(ctx) if is_api else None, is_api))
    return out
