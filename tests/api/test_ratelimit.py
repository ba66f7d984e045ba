"""The token buckets behind both rate limits (per API token, and failed authentications per address)."""

from __future__ import annotations

from argus.api.ratelimit import MAX_BUCKETS, RateLimiter


def test_wait_spends_nothing_and_take_spends_one() -> None:
    limiter = RateLimiter(rate=1e-6, burst=2)
    assert limiter.wait("a") == 0.0 and limiter.wait("a") == 0.0
    assert limiter.take("a") == 0.0 and limiter.take("a") == 0.0
    assert limiter.wait("a") > 0 and limiter.take("a") > 0
    assert limiter.take("b") == 0.0  # per key
    assert RateLimiter(rate=1e-6, burst=1, enabled=False).take("a") == 0.0


def test_many_addresses_do_not_grow_the_buckets_without_bound() -> None:
    limiter = RateLimiter(rate=1e-6, burst=1)
    keys = [f"10.0.{i // 256}.{i % 256}" for i in range(MAX_BUCKETS + 50)]
    for key in keys:
        limiter.take(key)
    assert len(limiter._buckets) <= MAX_BUCKETS
    assert limiter.wait(keys[-1]) > 0  # the oldest are forgotten first, the latest still limited
