"""The real Argus team server (uvicorn in a subprocess on 127.0.0.1, a free port) for end-to-end tests
and bench probes::

    env = argus_environment(database_url, home)          # from argus.testing.processes
    with running_server(env, tmp_path) as srv:
        httpx.get(f"{srv.url}/api/v1/...", headers={"Authorization": f"Bearer {token}"})
        print(srv.logs())                                 # its stdout+stderr so far (JSON log lines)

The server is started with ``argus serve`` (the CLI a team runs), waits until ``/healthz`` answers,
and is stopped with SIGTERM (graceful: uvicorn drains requests and runs the app's shutdown), then
killed if it does not exit in time. Its output goes to a file, never a pipe, so a chatty server cannot
block on a full pipe.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from argus.testing.processes import argus_argv

#: Seconds to wait for ``/healthz`` after start (imports + first database connection on a busy CI box).
START_TIMEOUT_S = 60.0
#: Seconds a graceful stop may take before the process group is killed.
STOP_TIMEOUT_S = 15.0


class ServerStartError(RuntimeError):
    """The server exited or did not answer ``/healthz`` in time (the message holds its log tail)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerHandle:
    """A running server: its base URL and its output."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    stopped: bool = field(default=False)

    def logs(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self) -> list[str]:
        return self.logs().splitlines()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """Stop gracefully (SIGTERM to the server and its workers), kill after ``timeout``; the exit code
        (uvicorn re-raises the SIGTERM it handled, so a graceful stop is ``-SIGTERM`` or 0, see
        :meth:`stopped_cleanly`)."""
        if not self.stopped:
            self.stopped = True
            _signal_group(self.process, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        code = self.process.returncode
        assert code is not None
        return code


    def stopped_cleanly(self) -> bool:
        """Stopped by :meth:`stop` and shut down gracefully (the app's shutdown ran)."""
        return (self.stopped and self.process.returncode in (0, -signal.SIGTERM)
                and "Application shutdown complete" in self.logs())


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is not None and sig != signal.SIGKILL:
        return
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def server_argv(port: int, workers: int | None = None, host: str = "127.0.0.1") -> list[str]:
    """The command line of ``argus serve`` on ``host:port`` (this interpreter)."""
    argv = argus_argv("serve", "--host", host, "--port", str(port))
    if workers:
        argv += ["--workers", str(workers)]
    return argv


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2.0) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start_server(env: dict[str, str], folder: Path, *, workers: int | None = None,
                 timeout: float = START_TIMEOUT_S, name: str = "server") -> ServerHandle:
    """Start ``argus serve`` with ``env`` (e.g. :func:`argus.testing.processes.argus_environment`) in
    ``folder`` and return once ``/healthz`` answers. The caller must :meth:`ServerHandle.stop` it;
    prefer :func:`running_server`."""
    folder.mkdir(parents=True, exist_ok=True)
    last_error = ""
    for attempt in range(3):  # a free port can be taken between picking and binding: retry on a new one
        port = free_port()
        log_path = folder / f"{name}-{port}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(server_argv(port, workers), cwd=folder, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        handle = ServerHandle(f"http://127.0.0.1:{port}", port, proc, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _healthy(handle.url):
                return handle
            time.sleep(0.1)
        handle.stop()
        last_error = handle.logs()[-3000:]
        if "address already in use" not in last_error.lower() or attempt == 2:
            break
    raise ServerStartError(f"argus serve did not become healthy (exit {proc.returncode}):\n{last_error}")


@contextmanager
def running_server(env: dict[str, str], folder: Path, *, workers: int | None = None,
                   timeout: float = START_TIMEOUT_S, name: str = "server") -> Iterator[ServerHandle]:
    """A running server for the ``with`` block; stopped (gracefully) afterwards."""
    handle = start_server(env, folder, workers=workers, timeout=timeout, name=name)
    try:
        yield handle
    finally:
        handle.stop()
