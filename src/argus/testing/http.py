"""A real HTTP server on 127.0.0.1 (an ephemeral port) for fake APIs in tests and probes: no request
leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
