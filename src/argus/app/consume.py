"""Stream intake: alert payloads from a NATS JetStream subject (``argus consume --nats …``).

A durable pull consumer on the stream that holds the subject (created when missing, with the
subjects given) is read in batches; every message is one payload of ``source`` (or of the source named
by the subject's last token, ``argus.alerts.<source>``). Delivery is at-least-once: a message is
acknowledged only after its unit of work committed, and taken in idempotently, its stream sequence
being the delivery id (:func:`argus.app.incidents.with_delivery`): a message redelivered after a crash
counts once. An invalid payload is dead-lettered and acknowledged (it would fail again).
Needs the optional extra ``argus[stream]`` (nats-py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argus.core.enums import AlertSource
from argus.core.errors import ConfigError, InputError

if TYPE_CHECKING:
    from argus.app.runtime import Runtime


@dataclass(frozen=True)
class ConsumeRequest:
    url: str
    subject: str
    project: str | None = None
    source: AlertSource | None = None
    stream: str = "ARGUS_ALERTS"
    durable: str = "argus"
    batch: int = 50
    #: Stop after this many messages (None: run until idle_exit_s or forever).
    max_messages: int | None = None
    #: Stop after this many seconds without a message (None: never).
    idle_exit_s: float | None = None


@dataclass(frozen=True)
class ConsumeOutcome:
    messages: int
    events: int
    new_alerts: int
    repeats: int
    replays: int
    rejected: int


def _source_of(subject: str, default: AlertSource | None) -> AlertSource:
    if default is not None:
        return default
    last = subject.rsplit(".", 1)[-1]
    try:
        return AlertSource(last)
    except ValueError:
        raise InputError(f"subject {subject!r}: give --source, or publish to <prefix>.<source>") from None


def consume(runtime: Runtime, req: ConsumeRequest) -> ConsumeOutcome:
    """Read the subject until ``max_messages`` or ``idle_exit_s``; take every payload in."""
    try:
        import nats  # noqa: F401
    except ImportError:
        raise ConfigError("argus consume needs nats-py: pip install 'argus[stream]'") from None
    return asyncio.run(_run(runtime, req))


async def _run(runtime: Runtime, req: ConsumeRequest) -> ConsumeOutcome:
    import nats
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.errors import NotFoundError

    from argus.app.incidents import IngestRequest, ingest
    from argus.core.errors import RejectedInputError

    try:
        nc = await nats.connect(req.url, connect_timeout=5, max_reconnect_attempts=3)
    except Exception as exc:
        raise ConfigError(f"cannot connect to NATS at {req.url}: {exc}") from None
    counts = dict(messages=0, events=0, new_alerts=0, repeats=0, replays=0, rejected=0)
    try:
        js = nc.jetstream()
        try:
            await js.stream_info(req.stream)
        except NotFoundError:
            await js.add_stream(name=req.stream, subjects=[req.subject])
        sub = await js.pull_subscribe(req.subject, durable=req.durable, stream=req.stream)
        loop = asyncio.get_running_loop()
        idle = 0.0
        while req.max_messages is None or counts["messages"] < req.max_messages:
            want = req.batch if req.max_messages is None else min(req.batch, req.max_messages - counts["messages"])
            try:
                msgs = await sub.fetch(want, timeout=1.0)
            except NatsTimeout:
                idle += 1.0
                if req.idle_exit_s is not None and idle >= req.idle_exit_s:
                    break
                continue
            idle = 0.0
            for m in msgs:
                source = _source_of(m.subject, req.source)
                seq = m.metadata.sequence.stream
                r = IngestRequest(source, m.data, f"nats {m.subject} #{seq}", req.project,
                                  {k.lower(): v for k, v in (m.headers or {}).items()},
                                  delivery_id=f"nats:{req.stream}:{seq}")
                try:
                    out = await loop.run_in_executor(None, ingest, runtime, r)
                except RejectedInputError:
                    counts["rejected"] += 1
                else:
                    counts["events"] += out.events
                    counts["new_alerts"] += out.new_alerts
                    counts["repeats"] += out.repeats + out.resolved
                    counts["replays"] += out.replays
                await m.ack()
                counts["messages"] += 1
    finally:
        await nc.drain()
    return ConsumeOutcome(**counts)
