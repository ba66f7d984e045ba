"""SSE on the real server (uvicorn in a subprocess on 127.0.0.1): a new insight arrives as an event,
a client that goes away ends its stream, and the server keeps answering."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import httpx
import pytest

from argus.analysis.insights.service import save_insights
from argus.core.db import create_db_engine
from argus.core.enums import InsightKind, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory, scoped_to
from argus.testing.databases import fresh_database

BENCH = Path(__file__).resolve().parents[2] / "bench" / "api_reads.py"


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("api_reads", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _insight(url: str, n: int) -> int:
    engine = create_db_engine(url)
    try:
        with make_session_factory(engine)() as s:
            scoped_to(s, get_or_create_project(s, "shop", "bench"))
            (iid,) = save_insights(s, [Insight(
                kind=InsightKind.BROKEN_TEST, subject=Subject("test", f"t::{n}"), title=f"live {n}", summary="s",
                claims=(Claim("c", 0.8, (Evidence("commit", "abcdef1", Support.STRONG, "why"),)),),
                confidence=Confidence(0.8), provenance=Provenance("test", "1"))])
            s.commit()
    finally:
        engine.dispose()
    return iid


@pytest.mark.slow
def test_sse_on_the_real_server(tmp_path: Path) -> None:
    bench = _bench()
    with fresh_database(tmp_path, os.environ.get("ARGUS_TEST_DATABASE_URL") or None, prefix="sse_") as url:
        token = bench.seed(url, 2, 3)  # type: ignore[attr-defined]
        proc, base, log = bench.start_server(url, tmp_path / "home", 1)  # type: ignore[attr-defined]
        try:
            headers = {"Authorization": f"Bearer {token}"}
            events = f"{base}/api/v1/projects/shop/events"
            with httpx.Client(timeout=30) as client:
                with client.stream("GET", events, headers=headers) as r:  # leaves after the first chunk
                    assert r.status_code == 200
                    next(r.iter_text())
                with client.stream("GET", events, headers=headers) as r:
                    lines = r.iter_lines()
                    assert next(lines).startswith("retry:")
                    iid = _insight(url, 1)
                    got: list[str] = []
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline and not any(x.startswith("data:") for x in got):
                        got.append(next(lines))
                    assert f"id: {iid}" in got and any('"title":"live 1"' in x for x in got)
                # the server still answers after two clients went away mid-stream
                assert client.get(f"{base}/api/v1/projects/shop/runs", headers=headers).status_code == 200
                r2 = client.get(events, headers={**headers, "Last-Event-ID": str(iid - 1)},
                                params={"max_events": 1})
                assert f"id: {iid}" in r2.text
        finally:
            proc.terminate()
            proc.wait(15)
        assert "Traceback" not in log.read_text()
