"""``/healthz`` (the process answers), ``/readyz`` (database reachable, migrations current) and
``/metrics`` (Prometheus text of this process, see :mod:`argus.api.metrics`); no token needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from argus.api.deps import runtime
from argus.app.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(rt: Annotated[Runtime, Depends(runtime)]) -> JSONResponse:
    from argus.core.errors import ArgusError

    try:
        from argus.core.db import check_connection
        from argus.store.migrate import ensure_up_to_date

        engine = rt.engine(check_schema=False)
        check_connection(engine)
        ensure_up_to_date(engine)
    except ArgusError as exc:
        return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    m = request.app.state.metrics
    return Response(m.render(), media_type=m.content_type)
