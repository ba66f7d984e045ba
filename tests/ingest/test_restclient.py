"""The shared REST client's rate-limit reading: which answers are rate limits, and how long to wait."""

from __future__ import annotations

import time

import httpx
import pytest

from argus.ingest.restclient import RestClient


@pytest.fixture
def client():
    c = RestClient("X", "http://127.0.0.1:9")
    yield c
    c.close()


def answer(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers={k.replace("_", "-"): v for k, v in headers.items()})


def test_rate_limit_answers(client):
    assert client.wait_for(answer(429, Retry_After="7")) == 7.0  # Jira, GitHub secondary limits
    reset = str(int(time.time()) + 100)
    github = client.wait_for(answer(403, X_RateLimit_Remaining="0", X_RateLimit_Reset=reset))
    gitlab = client.wait_for(answer(429, RateLimit_Remaining="0", RateLimit_Reset=reset))
    assert github is not None and 95 <= github <= 100
    assert gitlab is not None and 95 <= gitlab <= 100
    assert client.wait_for(answer(429)) == 60.0  # no hint: a minute
    assert client.wait_for(answer(403)) is None  # a refusal, not a rate limit
    assert client.wait_for(answer(200)) is None
    assert client.wait_for(answer(429, Retry_After="soon")) == 60.0
