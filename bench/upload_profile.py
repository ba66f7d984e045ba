"""Where the server's CPU of one upload goes: the app in process, no HTTP server, no network.

Usage: .venv/bin/python bench/upload_profile.py [--pg URL] [--uploads 40] [--cases 1000] [--top 30]

Builds a throw-away schema (PostgreSQL with ``--pg`` / ``ARGUS_BENCH_DATABASE_URL``, else SQLite),
procrastinate's schema on PostgreSQL, an uploader token, and the app (``argus.api.app.create_app``, run
under its lifespan); then sends ``--uploads`` multipart uploads of one ``--cases``-case JUnit report
(``bench/server_uploads.py``'s generator; each its own CI run) straight to the ASGI callable, one at a
time, the body in 64 KiB chunks as uvicorn hands it over. Prints the CPU per upload of the whole process
(``time.process_time``: event loop, thread pool, background job deferral), the CPU of the PostgreSQL
backends of the process (``/proc``, by ``application_name``), and with yappi (all threads, CPU clock)
the functions with the most own CPU. Compare another checkout with ``PYTHONPATH=OTHER/src``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _profile import cpu_profile, yappi_available
from server_uploads import _backends, _cpu_seconds, report

from argus.testing.databases import fresh_database, upgrade_database
from argus.testing.uploads import counts, make_token


async def _call(app: Any, body: bytes, ctype: str, token: str) -> tuple[int, bytes]:
    path = "/api/v1/projects/web/uploads"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
                         (b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    status, out = 0, bytearray()

    async def receive() -> dict[str, Any]:
        if chunks:
            c = chunks.pop(0)
            return {"type": "http.request", "body": c, "more_body": bool(chunks)}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            out.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(out)


def _bodies(n: int, cases: int, offset: int) -> list[tuple[bytes, str]]:
    bodies = []
    for i in range(n):
        req = httpx.Request("POST", "http://x/", data={"run_id": f"prof-{offset + i}", "commit": f"{offset + i:040x}",
                                                      "branch": "main"},
                            files=[("files", ("junit.xml", report(offset + i, cases).encode(), "application/xml"))])
        bodies.append((req.read(), req.headers["content-type"]))
    return bodies


async def _drive(app: Any, token: str, bodies: list[tuple[bytes, str]]) -> float:
    cpu = time.process_time()
    for body, ctype in bodies:
        status, out = await _call(app, body, ctype, token)
        if status != 201:
            raise SystemExit(f"HTTP {status} {out[:300]!r}")
    return time.process_time() - cpu


#: Parts timed by thread CPU time (``--phases``): (module, attribute) patched where it is called.
PHASES = {
    "store_upload (whole use case, in the thread pool)": ("argus.api.routers.uploads", "store_upload"),
    "  parse (expat + JUnit handler + identities)": ("argus.ingest.testreports.service", "parse_report_file"),
    "  resolve test identities (find/insert test_case)": ("argus.ingest.testreports.service", "resolve_test_cases"),
    "  result rows (tuples)": ("argus.ingest.testreports.service", "result_rows"),
    "  COPY of the results": ("argus.ingest.testreports.service", "insert_results"),
    "jobs: record (one unit of work)": ("argus.jobs.service", "record_upload"),
    "jobs: record + hand to procrastinate (background task)": ("argus.jobs.dispatch:_Base", "__call__"),
}


def _time_phases() -> dict[str, list[float]]:
    import functools
    import importlib

    spent: dict[str, list[float]] = {}
    for label, (module, name) in PHASES.items():
        module, _, cls = module.partition(":")
        mod = importlib.import_module(module)
        if cls:
            mod = getattr(mod, cls)
        if not hasattr(mod, name):
            continue
        fn = getattr(mod, name)
        cell = spent[label] = [0.0]

        def timed(*a: Any, _fn: Any = fn, _cell: list[float] = cell, **k: Any) -> Any:
            t = time.thread_time()
            try:
                return _fn(*a, **k)
            finally:
                _cell[0] += time.thread_time() - t

        setattr(mod, name, functools.wraps(fn)(timed))
    return spent


async def _session(app: Any, token: str, url: str, n: int, cases: int, profile: bool,
                   phases: dict[str, list[float]] | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        await _drive(app, token, _bodies(4, cases, 10_000))  # warm-up
        pids = _backends(url, "argus_prof")
        bodies = _bodies(n, cases, 0)
        pg0 = _cpu_seconds(pids)
        cpu = await _drive(app, token, bodies)
        pg = _cpu_seconds(pids) - pg0
        if phases is not None:
            res["phases_ms_per_upload"] = {k: round(1000 * v[0] / n, 2) for k, v in phases.items()}
        res.update(uploads=n, cases=cases, app_cpu_ms_per_upload=round(1000 * cpu / n, 2),
                   pg_cpu_ms_per_upload=round(1000 * pg / n, 2) if pids else None, pg_backends=len(pids))
        if profile:
            import yappi

            bodies = _bodies(n, cases, 20_000)
            stats, total = await cpu_profile(_drive(app, token, bodies), builtins=True)
            res["profiled_cpu_ms_per_upload"] = round(1000 * total / n, 2)
            res["top_own"] = [{"function": f"{Path(s.module).name}:{s.lineno} {s.name}",
                               "own_ms": round(1000 * s.tsub / n, 3), "cum_ms": round(1000 * s.ttot / n, 3),
                               "share": round(s.tsub / total, 3)}
                              for s in sorted(stats, key=lambda s: s.tsub, reverse=True)[:60]]
            res["top_cumulative"] = [{"function": f"{Path(s.module).name}:{s.lineno} {s.name}",
                                      "cum_ms": round(1000 * s.ttot / n, 3)}
                                     for s in sorted(stats, key=lambda s: s.ttot, reverse=True)[:250]]
            yappi.clear_stats()
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--pg", metavar="URL", default=os.environ.get("ARGUS_BENCH_DATABASE_URL"))
    ap.add_argument("--uploads", type=int, default=40)
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--phases", action="store_true", help="time the named parts (thread CPU); implies --no-profile")
    args = ap.parse_args()
    profile = not (args.no_profile or args.phases) and yappi_available()
    from sqlalchemy import create_engine

    from argus.api.app import create_app
    from argus.app.runtime import Runtime
    from argus.core.settings import Settings

    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp), args.pg, prefix="bench_") as url:
        upgrade_database(url)
        app_url = url + (("&" if "?" in url else "?") + "application_name=argus_prof" if url.startswith("postgresql") else "")
        settings = Settings(database_url=app_url, home=Path(tmp) / "home",  # type: ignore[arg-type]
                            server={"rate_limit_enabled": False})
        if url.startswith("postgresql"):
            from argus.jobs.queue import ensure_schema

            rt = Runtime(settings)
            try:
                ensure_schema(rt)
            finally:
                rt.close()
        engine = create_engine(url)
        token = make_token(engine, "bench", "web")
        app = create_app(settings)
        phases = _time_phases() if args.phases else None
        result = asyncio.run(_session(app, token, url, args.uploads, args.cases, profile, phases))
        stored = counts(engine)
        engine.dispose()
    expected = (4 + args.uploads * (2 if profile else 1)) * args.cases
    if stored["test_result"] != expected:
        raise SystemExit(f"stored {stored['test_result']} results, expected {expected}")
    print(f"CPU per upload of {args.cases} cases (in process, one at a time): app {result['app_cpu_ms_per_upload']:.1f} ms"
          + (f", PostgreSQL {result['pg_cpu_ms_per_upload']:.1f} ms" if result.get("pg_cpu_ms_per_upload") else "")
          + f"; load {os.getloadavg()[0]:.1f}")
    for label, ms in (result.get("phases_ms_per_upload") or {}).items():
        print(f"  {label}: {ms:.2f} ms")
    if profile:
        print(f"profiled (yappi, all threads, builtins): {result['profiled_cpu_ms_per_upload']:.1f} ms per upload")
        for row in result["top_own"][:args.top]:
            print(f"  {row['own_ms']:7.3f} ms {100 * row['share']:5.1f} %  cum {row['cum_ms']:7.2f}  {row['function']}")
    out = Path(__file__).resolve().parent / "results" / "upload_profile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
