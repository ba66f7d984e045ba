"""``GET /api/v1/projects/{project}/events``: new insights as Server-Sent Events.

Polls the project's insights by id: each new one is an ``insight`` event whose ``id`` is the insight
id, so a client reconnecting with ``Last-Event-ID`` resumes after the last one it saw (without it, the
stream starts after the newest insight, or after ``after``). A comment line every ``heartbeat`` seconds
keeps proxies from closing an idle stream; the stream ends when the client goes away, or after
``max_events`` events when asked.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter

from argus.analysis.insights.readmodels import InsightView
from argus.api.deps import Caller, require
from argus.api.problems import ApiProblem
from argus.api.routers._read import PROJECT, in_project
from argus.app.pages import insights_after, latest_insight_id
from argus.core.enums import Role

router = APIRouter(tags=["events"])

#: Seconds between polls of the insight table, and between heartbeat comments (``app.state`` may
#: override them: ``sse_poll_s``, ``sse_heartbeat_s``).
POLL_S = 1.0
HEARTBEAT_S = 15.0
_VIEW = TypeAdapter(InsightView)


@router.get(f"{PROJECT}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "A stream of insight events."}})
async def events(request: Request, project: str, who: Annotated[Caller, require(Role.VIEWER)],
                 last_event_id: Annotated[str | None, Header(max_length=32)] = None,
                 after: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="Start after this insight id.")] = None,
                 max_events: Annotated[int | None, Query(ge=1, le=10_000, description="End after this many.")] = None,
                 ) -> StreamingResponse:
    rt = in_project(request, project, who)
    start = after
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            raise ApiProblem(422, "invalid-input", f"Last-Event-ID {last_event_id[:32]!r}: expected an insight id")
        start = int(last_event_id.strip())
    newest = await run_in_threadpool(latest_insight_id, rt, project)  # also: 404 for an unknown project
    cursor = newest if start is None else start
    poll_s = float(getattr(request.app.state, "sse_poll_s", POLL_S))
    heartbeat_s = float(getattr(request.app.state, "sse_heartbeat_s", HEARTBEAT_S))

    async def stream() -> AsyncIterator[str]:
        last, sent = cursor, 0
        yield f"retry: {int(poll_s * 1000) + 1000}\n: stream of new insights after {last}\n\n"
        beat = time.monotonic()
        while not await request.is_disconnected():
            for view in await run_in_threadpool(insights_after, rt, project, last):
                last = view.id
                sent += 1
                yield f"id: {view.id}\nevent: insight\ndata: {_VIEW.dump_json(view).decode()}\n\n"
                if max_events is not None and sent >= max_events:
                    return
            if time.monotonic() - beat >= heartbeat_s:
                beat = time.monotonic()
                yield ": heartbeat\n\n"
            await anyio.sleep(poll_s)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
