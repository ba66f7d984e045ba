"""Rate limits: a token bucket per key, **in this process only** (each uvicorn worker and each server
has its own buckets; see :mod:`argus.core.settings.server`).

Two limiters per app: requests per API token (``app.state.rate_limiter``, keyed by token id), and
failed authentications per client address (``app.state.auth_failure_limiter``: an address that sent
too many unknown, revoked or expired tokens, or none, is answered 429 before its token is looked up).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field

#: Buckets kept before the full (idle) ones are dropped: many client addresses cannot grow memory
#: without bound.
MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """``rate`` events per second sustained, ``burst`` at once, per key (an API token id, a client
    address)."""

    rate: float
    burst: int
    enabled: bool = True
    _buckets: dict[Hashable, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _refilled(self, key: Hashable, now: float) -> _Bucket:
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(now)
            b = self._buckets[key] = _Bucket(float(self.burst), now)
        b.tokens = min(float(self.burst), b.tokens + (now - b.at) * self.rate)
        b.at = now
        return b

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) >= MAX_BUCKETS:  # all busy: forget the oldest half
            for k, _ in sorted(self._buckets.items(), key=lambda kv: kv[1].at)[: MAX_BUCKETS // 2]:
                del self._buckets[k]

    def take(self, key: Hashable) -> float:
        """Spend one event of ``key``: 0.0 when allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        with self._lock:
            b = self._refilled(key, time.monotonic())
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / self.rate

    def wait(self, key: Hashable) -> float:
        """Seconds until ``key`` may spend an event (0.0: now), spending nothing."""
        if not self.enabled:
            return 0.0
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                return 0.0
            b = self._refilled(key, time.monotonic())
            return 0.0 if b.tokens >= 1.0 else (1.0 - b.tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """``Retry-After`` header value (whole seconds, at least 1)."""
        return str(max(1, math.ceil(wait)))
