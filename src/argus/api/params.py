"""Parameter types the routers share: a row id in a path or a query is a positive signed 64-bit
integer, as the ``BigInteger`` primary keys are. A larger one is a ``422`` problem like any other
invalid parameter, never a query PostgreSQL refuses (``bigint out of range``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from argus.core.values import MAX_INT64

IdPath = Annotated[int, Path(ge=1, le=MAX_INT64)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_INT64)]
