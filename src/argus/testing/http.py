"""A real HTTP server on 127.0.0.1 (an ephemeral port) for fake APIs in tests and probes: no request
leaves the machine."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], on_stop: Callable[[], None] | None = None) -> Iterator[str]:
    """Serve ``handler`` in a thread; yield the base URL (``http://127.0.0.1:PORT``). On exit call
    ``on_stop`` (e.g. release handlers that hang on purpose), then shut the server down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        if on_stop is not None:
            on_stop()
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class FakeRequest:
    """One request to a fake JSON API: the target as sent (path and query), the path without its query,
    the query (``parse_qs``: every value a list), the headers, the base URL the client used
    (``http://host:port``) and the body."""

    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    base: str
    body: bytes = b""


#: What a fake answers: (status, extra headers, the JSON body).
FakeAnswer = tuple[int, dict[str, str], Any]


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler whose ``reply(status, headers, body)`` writes a JSON body."""

    content_type = "application/json"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, headers: dict[str, str], body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fake_request(self, method: str) -> FakeRequest:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
        return FakeRequest(method, self.path, parts.path, parse_qs(parts.query), self.headers,
                           f"http://{self.headers['Host']}", body)


@contextmanager
def serve_json(get: Callable[[FakeRequest], FakeAnswer] | None = None,
               post: Callable[[FakeRequest], FakeAnswer] | None = None) -> Iterator[str]:
    """Serve a fake JSON API (GitHub, GitLab, a model, ...) over real HTTP on 127.0.0.1: each GET and POST
    is answered by its callable as (status, headers, JSON body); a method without one gets 501. Yields the
    base URL, as :func:`serve`. The callables run in the server's threads: guard shared state."""

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            self.answer(get, "GET")

        def do_POST(self) -> None:
            self.answer(post, "POST")

        def answer(self, fn: Callable[[FakeRequest], FakeAnswer] | None, method: str) -> None:
            if fn is None:
                self.send_error(501, f"Unsupported method ({self.command!r})")
                return
            self.reply(*fn(self.fake_request(method)))

    with serve(Handler) as url:
        yield url
