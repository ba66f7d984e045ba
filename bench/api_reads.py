"""Bounded read load on loopback: p50/p95/p99 latency and throughput of one read endpoint.

Fills a database (``--postgres URL``: a fresh schema of that PostgreSQL database; default a
temporary SQLite file) with ``--runs`` CI runs of ``--tests`` tests each (test data builders) and a
viewer token, starts the real server the way a team runs it (``argus serve --workers N`` in a
subprocess on 127.0.0.1: JSON access log at INFO, audit and metrics middleware, per-token rate
limit raised above the offered load so every request is served, not refused), then:

* for each offered rate of ``--rates`` (requests/s), ``--seconds`` of **open-loop** load: each request
  leaves at its scheduled time (at most ``--concurrency`` in flight) and its latency is measured from
  that scheduled time, so a slow server cannot hide queueing (no coordinated omission);
* ``--saturation-seconds`` of **closed-loop** load (``--concurrency`` clients, each sending its next
  request when the previous answered): the most requests/s the server completes.

Requests are ``GET /api/v1/projects/shop/<--endpoint>?limit=50``, every tenth a second page (cursor).
The load generator is a minimal HTTP/1.1 keep-alive client on asyncio (a few µs of CPU per request,
unlike a full client library): it shares the machine with the server and the database.

``--compare DIR`` also starts a server from another source tree (``DIR/src``, e.g. ``git archive main``
unpacked) on the same database and runs every load step against both, alternating which goes first,
so a busy shared machine affects both alike; the ratios are the figure to quote.

``--reference PATH`` (default ``/healthz``: no database, no token check) runs every step against that
trivial route of the same server too, in the same alternation: its p99 is the floor the machine's
scheduling puts under any route at that load, and the ratio of the endpoint's p99 to it is printed
(near 1: the tail is the run queue, not the request path).

    .venv/bin/python bench/api_reads.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
    git archive main | tar -x -C /tmp/argus-main   # then, before/after in one run:
    .venv/bin/python bench/api_reads.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --compare /tmp/argus-main

Goal (issue 14): p99 < 100 ms at 200 requests/s on PostgreSQL. Prints a table and writes
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
GOAL_RATE, GOAL_P99_MS = 200.0, 100.0


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


def start_server(database_url: str, home: Path, workers: int, src: Path | None = None,
                 rate_limit: float | None = None, hide: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``argus serve`` (of ``src`` when given, else of this checkout) on a free port, with a per-token
    rate limit of ``rate_limit`` requests/s (None: the default) and the modules ``hide`` made
    unimportable (as if not installed); its process, URL and log."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env.update(ARGUS_DATABASE_URL=database_url, ARGUS_HOME=str(home), PGAPPNAME=f"argus-bench-{home.name}")
    paths = [str(src / "src")] if src is not None else []
    if hide:
        stubs = home / "hidden-modules"
        for name in hide:
            (stubs / name).mkdir(parents=True, exist_ok=True)
            (stubs / name / "__init__.py").write_text(f"raise ImportError('{name} hidden by bench/api_reads.py')\n")
        paths.insert(0, str(stubs))
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    if rate_limit is not None:
        env.update(ARGUS_SERVER__RATE_LIMIT_PER_SECOND=str(rate_limit),
                   ARGUS_SERVER__RATE_LIMIT_BURST=str(int(rate_limit)))
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    code = "import sys; from argus.cli.app import main; sys.exit(main())"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, url, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not become ready: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (0.0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the uvicorn workers of ``argus serve``)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


class CpuMeter:
    """CPU used by a server's processes and by its database backends (``pg_stat_activity`` rows of
    its ``application_name``; PostgreSQL on this machine only), between :meth:`start` and :meth:`stop`.
    On a shared machine latency depends on the neighbours; CPU per request much less."""

    def __init__(self, server_pid: int, database_url: str | None, app_name: str) -> None:
        self.server_pid, self.database_url, self.app_name = server_pid, database_url, app_name
        self.before: dict[str, dict[int, float]] = {}

    def _backends(self) -> list[int]:
        if self.database_url is None:
            return []
        import psycopg

        from argus.core.db import parse_database_url

        url = parse_database_url(self.database_url).set(drivername="postgresql", query={})
        with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
            return [int(r[0]) for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.app_name,))]

    def _sample(self) -> dict[str, dict[int, float]]:
        return {"server": {p: _cpu(p) for p in _tree(self.server_pid)},
                "database": {p: _cpu(p) for p in self._backends()}}

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        return {k: round(sum(v - self.before[k].get(p, 0.0) for p, v in after[k].items()), 3) for k in after}


class Conn:
    """One HTTP/1.1 keep-alive connection: GET and read a Content-Length or chunked response."""

    def __init__(self, host: str, port: int, headers: bytes) -> None:
        self.host, self.port, self.headers = host, port, headers
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is not None:
            try:
                return await self._get(target)
            except (ConnectionError, asyncio.IncompleteReadError):  # the server closed an idle connection
                self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return await self._get(target)

    async def _get(self, target: str) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: bench\r\n" + self.headers + b"\r\n")
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines[1:] if ln)}
        if b"content-length" in fields:
            body = await self.reader.readexactly(int(fields[b"content-length"]))
        else:  # chunked
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        if fields.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _pct(latencies: list[float], p: float) -> float:
    return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else 0.0


class Target:
    """A running server under load: its connections and the targets (first page, second page)."""

    def __init__(self, url: str, token: str, path: str, concurrency: int) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        headers = f"Authorization: Bearer {token}\r\n".encode()
        self.pool = [Conn(host, int(port), headers) for _ in range(concurrency)]
        self.first = f"{path}?limit=50"
        self.second = self.first

    async def warm(self) -> None:
        status, body = await self.pool[0].get(self.first)
        if status != 200:
            raise SystemExit(f"{self.first}: HTTP {status} {body[:300]!r}")
        cursor = json.loads(body).get("next_cursor")
        if cursor:
            self.second = f"{self.first}&cursor={cursor}"
        await asyncio.gather(*(c.get(self.first) for c in self.pool))  # open every connection

    def target(self, i: int) -> str:
        return self.second if i % 10 == 9 else self.first

    async def open_loop(self, rate: float, seconds: float) -> dict[str, Any]:
        free = list(self.pool)
        gate = asyncio.Semaphore(len(self.pool))
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors: list[str] = []
        n = int(rate * seconds)
        start = time.perf_counter() + 0.05

        async def one(i: int) -> None:
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with gate:
                conn = free.pop()
                try:
                    status, _ = await conn.get(self.target(i))
                    statuses[status] = statuses.get(status, 0) + 1
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    conn.close()
                    errors.append(type(exc).__name__)
                    return
                finally:
                    free.append(conn)
            latencies.append(time.perf_counter() - scheduled)

        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - start
        latencies.sort()
        return {"load": f"{rate:g} req/s", "rate": rate, "requests": n, "completed": len(latencies),
                "errors": len(errors), "statuses": statuses, "seconds": round(elapsed, 2),
                "throughput_rps": round(len(latencies) / elapsed, 1), "p50_ms": _pct(latencies, 0.50),
                "p95_ms": _pct(latencies, 0.95), "p99_ms": _pct(latencies, 0.99), "max_ms": _pct(latencies, 1.0)}

    async def closed_loop(self, seconds: float) -> dict[str, Any]:
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors: list[str] = []
        start = time.perf_counter()
        end = start + seconds
        counter = iter(range(10**9))

        async def client(conn: Conn) -> None:
            while time.perf_counter() < end:
                t = time.perf_counter()
                try:
                    status, _ = await conn.get(self.target(next(counter)))
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    conn.close()
                    errors.append(type(exc).__name__)
                    continue
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(client(c) for c in self.pool))
        elapsed = time.perf_counter() - start
        latencies.sort()
        return {"load": f"saturation ({len(self.pool)} clients)", "rate": None, "requests": len(latencies),
                "completed": len(latencies), "errors": len(errors), "statuses": statuses,
                "seconds": round(elapsed, 2), "throughput_rps": round(len(latencies) / elapsed, 1),
                "p50_ms": _pct(latencies, 0.50), "p95_ms": _pct(latencies, 0.95), "p99_ms": _pct(latencies, 0.99),
                "max_ms": _pct(latencies, 1.0)}

    def close(self) -> None:
        for c in self.pool:
            c.close()


async def run_all(servers: dict[str, str], meters: dict[str, CpuMeter], token: str, paths: dict[str, str],
                  rates: list[float], seconds: float, saturation_s: float, concurrency: int) -> list[dict[str, Any]]:
    targets = {label: Target(url, token, paths[label], concurrency) for label, url in servers.items()}
    for t in targets.values():
        await t.warm()
    steps: list[float | None] = [*rates, *([None] if saturation_s > 0 else [])]
    rows: list[dict[str, Any]] = []
    labels = list(targets)
    for k, step in enumerate(steps):
        for label in labels[k % len(labels):] + labels[:k % len(labels)]:  # alternate who goes first
            t = targets[label]
            await asyncio.sleep(1.0)  # let the previous step's stragglers drain
            meters[label].start()
            own = time.process_time()
            row = await (t.open_loop(step, seconds) if step is not None else t.closed_loop(saturation_s))
            own = time.process_time() - own
            used = meters[label].stop()
            n = max(1, row["completed"])
            row["cpu_ms_per_request"] = {"server": round(1000 * used["server"] / n, 2),
                                         "database": round(1000 * used["database"] / n, 2),
                                         "load_generator": round(1000 * own / n, 2)}
            row["loadavg"] = round(os.getloadavg()[0], 1)
            row["server"] = label
            row["path"] = paths[label]
            rows.append(row)
            cpu = row["cpu_ms_per_request"]
            print(f"  {label:>9} {row['load']:>24}: {row['throughput_rps']:6.1f} req/s  p50 {row['p50_ms']:7.1f}  "
                  f"p95 {row['p95_ms']:7.1f}  p99 {row['p99_ms']:7.1f} ms  cpu/req server {cpu['server']:.2f} "
                  f"db {cpu['database']:.2f} gen {cpu['load_generator']:.2f} ms  load {row['loadavg']}  "
                  f"{row['statuses']}{'  errors ' + str(row['errors']) if row['errors'] else ''}", flush=True)
    for t in targets.values():
        t.close()
    return rows


def reference_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step, each server's p99 over the reference route's p99 of the same step: how much of the
    tail is the request path rather than the machine (a ratio near 1: the run queue dominates)."""
    out = []
    ref = {r["load"]: r for r in rows if r["server"] == "reference"}
    for r in rows:
        base = ref.get(r["load"])
        if r["server"] != "reference" and base is not None:
            out.append({"load": r["load"], "server": r["server"], "p99_ms": r["p99_ms"],
                        "reference_p99_ms": base["p99_ms"], "ratio": round(r["p99_ms"] / max(base["p99_ms"], 0.1), 2)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--postgres", metavar="URL", help="PostgreSQL database (a fresh schema is used)")
    ap.add_argument("--endpoint", default="runs", help="list under /api/v1/projects/shop/ (runs, tests, ...)")
    ap.add_argument("--rates", default="50,100,200", help="offered loads, requests/s, comma-separated")
    ap.add_argument("--seconds", type=float, default=15.0, help="duration of each offered load")
    ap.add_argument("--saturation-seconds", type=float, default=15.0, help="closed-loop run (0: skip)")
    ap.add_argument("--concurrency", type=int, default=32, help="connections (most requests in flight)")
    ap.add_argument("--workers", type=int, default=2, help="server processes")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--tests", type=int, default=200)
    ap.add_argument("--compare", metavar="DIR", type=Path,
                    help="also run a server from DIR/src (another checkout, e.g. `git archive main`)")
    ap.add_argument("--compare-hide", default="", metavar="MODULES",
                    help="modules the --compare server runs without (comma-separated, e.g. httptools,uvloop: "
                         "a checkout whose dependencies lacked them)")
    ap.add_argument("--reference", default="/healthz", metavar="PATH",
                    help="also load this trivial route of this server at every step (no database, no token "
                         "check): the floor of the machine's scheduling tail in the same run ('' to skip)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    from argus.testing.databases import fresh_database

    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    limit = 100.0 * max([*rates, GOAL_RATE])  # far above the offered load: measure serving, not refusing
    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp), args.postgres, prefix="bench_") as url:
        t0 = time.perf_counter()
        token = seed(url, args.runs, args.tests)
        seeded = time.perf_counter() - t0
        print(f"seeded {args.runs} runs x {args.tests} tests in {seeded:.1f} s", flush=True)
        procs: list[subprocess.Popen[bytes]] = []
        servers: dict[str, str] = {}
        meters: dict[str, CpuMeter] = {}
        try:
            for label, src in (("this", None), ("compare", args.compare)):
                if label == "compare" and src is None:
                    continue
                hide = tuple(m for m in args.compare_hide.split(",") if m) if label == "compare" else ()
                proc, base, _log = start_server(url, Path(tmp) / f"home-{label}", args.workers, src, limit, hide)
                procs.append(proc)
                servers[label] = base
                meters[label] = CpuMeter(proc.pid, args.postgres, f"argus-bench-home-{label}")
            path = f"/api/v1/projects/shop/{args.endpoint}"
            paths = {label: path for label in servers}
            if args.reference:
                servers["reference"], meters["reference"], paths["reference"] = servers["this"], meters["this"], \
                    args.reference
            rows = asyncio.run(run_all(servers, meters, token, paths, rates, args.seconds, args.saturation_seconds,
                                       args.concurrency))
        finally:
            for proc in procs:
                stop(proc)
    reference = reference_ratios(rows)
    for line in reference:
        print(f"  p99 {line['load']}: {line['server']} {line['p99_ms']:.1f} ms / reference {line['reference_p99_ms']:.1f} ms"
              f" = {line['ratio']:.2f}x")
    goal = [r for r in rows if r["server"] == "this" and r["rate"] == GOAL_RATE]
    met = bool(goal) and goal[0]["p99_ms"] < GOAL_P99_MS and goal[0]["errors"] == 0 \
        and set(goal[0]["statuses"]) == {200} and goal[0]["throughput_rps"] >= 0.95 * GOAL_RATE
    result = {"endpoint": path, "workers": args.workers, "database": "postgresql" if args.postgres else "sqlite",
              "concurrency": args.concurrency, "seconds_per_step": args.seconds,
              "history": {"runs": args.runs, "tests": args.tests, "seed_s": round(seeded, 1)},
              "compare": str(args.compare) if args.compare else None, "compare_hide": args.compare_hide or None,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
              "goal": {"p99_ms": GOAL_P99_MS, "rate": GOAL_RATE}, "met": met, "reference": args.reference or None,
              "p99_vs_reference": reference, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"goal p99 < {GOAL_P99_MS:g} ms at {GOAL_RATE:g} req/s met: {met}; loadavg {result['machine']['loadavg_at_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
