"""Where the CPU of one read request goes: the app in process, no HTTP server, no network.

Usage: .venv/bin/python bench/api_request_profile.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
                                                    [--requests 500] [--endpoint runs] [--top 25]

Fills a throw-away schema as ``bench/api_reads.py`` does (``--runs`` × ``--tests``), builds the app
(``argus.api.app.create_app``, run under its lifespan) and sends ``--requests`` ``GET
/api/v1/projects/shop/<endpoint>?limit=50`` straight to the ASGI callable (every tenth a second page),
one at a time, the same for ``/healthz`` as the reference. Prints the CPU per request of the whole
process (``time.process_time``: the event loop and the thread pool the routes run in) and, with
yappi (``pip install yappi``; all threads, CPU clock), the functions with the most own CPU and the
cumulative CPU of the named request parts. Without yappi: the CPU figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _profile import cpu_profile, yappi_available
from api_reads import seed

from argus.testing.databases import fresh_database

#: Request parts reported by cumulative CPU (yappi full names contain these).
PARTS = {
    "token check (one statement, with the project)": "deps.py:",  # lookup_token
    "runs use case (unit of work + page query + views)": "runs.py:",
    "response (page_response: JSON of the read models)": "_read.py:",
    "JSON access log line": "logging.py:",
}


async def _call(app: Any, path: str, query: bytes, token: str) -> tuple[int, bytes]:
    """One request straight to the ASGI callable: (status, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


async def _drive(app: Any, path: str, token: str, n: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``n`` requests of ``path`` one after another, every tenth a
    second page (as bench/api_reads.py)."""
    from urllib.parse import quote

    status, body = await _call(app, path, b"limit=50", token)
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status} {body[:200]!r}")
    cursor = json.loads(body).get("next_cursor") if path != "/healthz" else None
    second = b"limit=50" + (f"&cursor={quote(cursor)}".encode() if cursor else b"")
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        status, _ = await _call(app, path, second if i % 10 == 9 else b"limit=50", token)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    return time.process_time() - cpu, time.perf_counter() - wall


async def _session(app: Any, token: str, path: str, n: int, profile: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        await _drive(app, path, token, 20)  # warm-up: imports, pool, statement caches
        await _drive(app, "/healthz", token, 20)
        ref_cpu, _ = await _drive(app, "/healthz", token, n)
        cpu, wall = await _drive(app, path, token, n)
        out.update(requests=n, cpu_ms_per_request=round(1000 * cpu / n, 3), wall_ms_per_request=round(1000 * wall / n, 3),
                   healthz_cpu_ms_per_request=round(1000 * ref_cpu / n, 3))
        if profile:
            import yappi

            stats, total = await cpu_profile(_drive(app, path, token, n), builtins=False)
            own = sorted(stats, key=lambda s: s.tsub, reverse=True)
            out["profiled_cpu_ms_per_request"] = round(1000 * total / n, 3)
            out["top_own"] = [{"function": f"{Path(s.module).name}:{s.lineno} {s.name}",
                               "own_ms_per_request": round(1000 * s.tsub / n, 3),
                               "share": round(s.tsub / total, 3)} for s in own[:40]]
            out["parts"] = {}
            for label, needle in PARTS.items():
                cands = [s for s in stats if needle in f"{Path(s.module).name}:" and s.name in (
                    "lookup_token", "list_runs", "page_response", "format")]
                out["parts"][label] = round(1000 * max((s.ttot for s in cands), default=0.0) / n, 3)
            yappi.clear_stats()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--postgres", metavar="URL")
    ap.add_argument("--endpoint", default="runs")
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--tests", type=int, default=200)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    profile = yappi_available()
    from argus.api.app import create_app
    from argus.core.settings import Settings

    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp), args.postgres, prefix="bench_") as url:
        token = seed(url, args.runs, args.tests)
        app = create_app(Settings(database_url=url, home=Path(tmp) / "home",  # type: ignore[arg-type]
                                  server={"rate_limit_enabled": False}))  # measure serving, not refusing
        result = asyncio.run(_session(app, token, f"/api/v1/projects/shop/{args.endpoint}", args.requests, profile))
    print(f"CPU per request (whole process, in process, one at a time): {args.endpoint} "
          f"{result['cpu_ms_per_request']:.2f} ms, /healthz {result['healthz_cpu_ms_per_request']:.2f} ms")
    if profile:
        print(f"profiled (yappi, all threads): {result['profiled_cpu_ms_per_request']:.2f} ms per request")
        for label, ms in result["parts"].items():
            print(f"  {label}: {ms:.3f} ms (cumulative)")
        for row in result["top_own"][:args.top]:
            print(f"  {row['own_ms_per_request']:7.3f} ms {100 * row['share']:5.1f} %  {row['function']}")
    out = Path(__file__).resolve().parent / "results" / "api_request_profile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
