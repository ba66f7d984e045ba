"""``/healthz`` (the process answers) and ``/readyz`` (database reachable, migrations current)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

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
