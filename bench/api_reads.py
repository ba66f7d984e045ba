"""Bounded read load on loopback: p50/p95/p99 latency and throughput of one read endpoint.

Fills a database (``--postgres URL``: a fresh schema of that PostgreSQL database; default a
temporary SQLite file) with ``--runs`` CI runs of ``--tests`` tests each (test data builders) and a
viewer token, starts the real server (uvicorn in a subprocess on 127.0.0.1, ``--workers`` processes),
then sends ``--rate`` requests/s for ``--seconds`` (open loop: each request leaves at its scheduled
time, at most ``--concurrency`` in flight) to ``GET /api/v1/projects/shop/<--endpoint>``, every tenth a
second page (cursor). Latency is measured from the scheduled send time, so a slow server cannot hide
queueing (no coordinated omission). The load generator shares the machine with the server.

    .venv/bin/python bench/api_reads.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Goal (issue 14): p99 < 100 ms at 200 requests/s on PostgreSQL. Prints the numbers and writes
bench/results/api_reads.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "api_reads.json"


def seed(database_url: str, runs: int, tests: int) -> str:
    """Migrate, write the history and return a viewer token."""
    from argus.core.db import create_db_engine
    from argus.core.enums import Role
    from argus.store.admin import create_token
    from argus.store.migrate import upgrade
    from argus.store.projects import get_or_create_org, get_or_create_project
    from argus.store.session import make_session_factory, scoped_to
    from argus.testing.builders import History

    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with factory() as s:
            secret, _ = create_token(s, get_or_create_org(s, "bench"), "bench", Role.VIEWER, "bench")
            s.commit()
        names = [f"tests/test_m{i % 20}.py::test_{i}" for i in range(tests)]
        with factory() as s:
            scoped_to(s, get_or_create_project(s, "shop", "bench"))
            h = History(s, message="AssertionError: expected 200, got 503")
            for r in range(runs):
                h.run(f"{r:08x}", {n: ("FP" if (i + r) % 17 == 0 else "P") for i, n in enumerate(names)})
                if r % 50 == 49:
                    s.commit()
            s.commit()
    finally:
        engine.dispose()
    return secret


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env.update(ARGUS_DATABASE_URL=database_url, ARGUS_HOME=str(home))
    log = home / "server.log"
    home.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "argus.api.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, url, log
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not become ready: {log.read_text()[-2000:]}")


async def load(url: str, token: str, path: str, rate: float, seconds: float, concurrency: int) -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:
        first = (await client.get(path, params={"limit": 50})).json()
        cursor = first.get("next_cursor")
        for _ in range(20):  # warm-up: connections, caches
            await client.get(path, params={"limit": 50})
        n = int(rate * seconds)
        start = time.perf_counter() + 0.1

        async def one(i: int) -> None:
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with gate:
                params: dict[str, Any] = {"limit": 50}
                if cursor and i % 10 == 9:
                    params["cursor"] = cursor
                try:
                    r = await client.get(path, params=params)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    return
            latencies.append(time.perf_counter() - scheduled)

        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2) if latencies else 0.0

    return {"requests": n, "completed": len(latencies), "errors": len(errors), "statuses": statuses,
            "seconds": round(elapsed, 2), "throughput_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": pct(1.0)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", metavar="URL", help="PostgreSQL database (a fresh schema is used)")
    ap.add_argument("--endpoint", default="runs", help="list under /api/v1/projects/shop/ (runs, tests, ...)")
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--tests", type=int, default=200)
    args = ap.parse_args(argv)
    from argus.testing.databases import fresh_database

    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp), args.postgres, prefix="bench_") as url:
        t0 = time.perf_counter()
        token = seed(url, args.runs, args.tests)
        seeded = time.perf_counter() - t0
        proc, base, _log = start_server(url, Path(tmp) / "home", args.workers)
        try:
            path = f"/api/v1/projects/shop/{args.endpoint}"
            result = asyncio.run(load(base, token, path, args.rate, args.seconds, args.concurrency))
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    result.update(endpoint=path, rate=args.rate, workers=args.workers, database="postgresql" if args.postgres
                  else "sqlite", history={"runs": args.runs, "tests": args.tests, "seed_s": round(seeded, 1)},
                  machine={"cpus": os.cpu_count(), "python": platform.python_version()},
                  goal={"p99_ms": 100, "rate": 200}, met=result["p99_ms"] < 100 and result["errors"] == 0
                  and result["throughput_rps"] >= 0.95 * args.rate)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for k in ("endpoint", "database", "rate", "throughput_rps", "p50_ms", "p95_ms", "p99_ms", "max_ms",
              "errors", "statuses", "met"):
        print(f"{k}: {result[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
