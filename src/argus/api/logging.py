"""Structured logs: one JSON object per line on stderr, with the request id of the request being
served (``X-Request-ID``), for the app and uvicorn alike."""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

#: The id of the request being served in this context (set by the request middleware).
request_id_var: ContextVar[str | None] = ContextVar("argus_request_id", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id", ...extra fields}`` per record."""

    _stamp: tuple[int, str] = (-1, "")

    def _ts(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        stamp = self._stamp  # one tuple: threads never see a second with another second's text
        if stamp[0] != second:  # formatted once per second, not per line
            stamp = self._stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{stamp[1]}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self._ts(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in ("color_message",):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)
