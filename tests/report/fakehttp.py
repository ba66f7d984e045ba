"""A JSON request handler base for the fake APIs (GitHub, GitLab) served on 127.0.0.1 in tests."""

from __future__ import annotations

from typing import Any

from argus.testing.http import JsonHandler as _JsonHandler


class JsonHandler(_JsonHandler):
    """Quiet handler with ``_send(status, payload, headers)`` writing a JSON body."""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.reply(status, headers or {}, payload)
