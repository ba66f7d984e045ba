"""``argus consume`` against the NATS server on 127.0.0.1:4222 (skipped when it is not running or
nats-py is not installed): payloads taken in once each, a redelivered message counts once."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid

import pytest

from argus.app import incidents as uc
from argus.app.consume import ConsumeRequest, consume
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource

nats = pytest.importorskip("nats")
URL = "nats://127.0.0.1:4222"


def _up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _up(), reason="no NATS server on 127.0.0.1:4222")


async def _publish(stream: str, subject: str, payloads: list[bytes]) -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[f"{subject}.>"])
    for p in payloads:
        await js.publish(f"{subject}.generic", p)
    await nc.drain()


async def _drop(stream: str) -> None:
    nc = await nats.connect(URL)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.drain()


async def _redeliver_unacked(stream: str, subject: str) -> int:
    """Fetch one message of a fresh durable without acking it, then nak it (a crash before ack)."""
    nc = await nats.connect(URL)
    sub = await nc.jetstream().pull_subscribe(f"{subject}.>", durable="crashy", stream=stream)
    (m,) = await sub.fetch(1, timeout=5)
    await m.nak()
    await nc.drain()
    return m.metadata.sequence.stream


def test_consume_takes_every_payload_once(runtime: Runtime) -> None:
    stream, subject = f"T{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    payloads = [json.dumps({"name": f"A{i % 5}", "service": "api", "fingerprint": f"api/{i % 5}",
                            "at": "2026-11-20T10:00:00Z"}).encode() for i in range(40)]
    payloads.append(b"{not json")
    asyncio.run(_publish(stream, subject, payloads))
    try:
        out = consume(runtime, ConsumeRequest(URL, f"{subject}.>", "shop", None, stream, "argus", batch=10,
                                              max_messages=41, idle_exit_s=3))
        assert (out.messages, out.events, out.new_alerts, out.repeats, out.rejected) == (41, 40, 5, 35, 1)
        assert sorted(a.count for a in uc.list_alerts(runtime, "shop")) == [8] * 5
        # the same messages read again by another durable (what a redelivery after a crash is): replays
        again = consume(runtime, ConsumeRequest(URL, f"{subject}.>", "shop", AlertSource.GENERIC, stream, "second",
                                                max_messages=40, idle_exit_s=3))
        assert again.replays == 40 and again.new_alerts == 0
        assert sorted(a.count for a in uc.list_alerts(runtime, "shop")) == [8] * 5
        asyncio.run(_redeliver_unacked(stream, subject))
        third = consume(runtime, ConsumeRequest(URL, f"{subject}.>", "shop", None, stream, "crashy",
                                                max_messages=41, idle_exit_s=3))
        assert third.replays == 40 and third.rejected == 1
    finally:
        asyncio.run(_drop(stream))
