"""Settings of the team server (``[server]``, ``ARGUS_SERVER__*``): rate limits and request ids.

Rate limits are a token bucket per API token **per server process**: with ``argus serve --workers 4``
or several servers behind a load balancer, a token may make up to that many times the rate in
total. Size them for one process, or enforce a global limit at the load balancer.

Failed authentications (a missing, unknown, revoked or expired token) are limited per client address
(the TCP peer: behind a reverse proxy that is the proxy, so limit there too): past the burst, the
address gets 429 + ``Retry-After`` without its token being looked up, until the bucket refills. Each
refused attempt is still audited.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ServerSettings(BaseModel):
    """The HTTP server (``argus serve``)."""

    rate_limit_enabled: bool = Field(True, description="Limit requests per API token (429 + Retry-After).")
    rate_limit_per_second: float = Field(
        20.0, gt=0, description="Sustained requests per second per token (per server process)."
    )
    rate_limit_burst: int = Field(100, ge=1, description="Requests a token may make at once before the limit applies.")
    token_touch_interval_s: int = Field(
        60, ge=0, description="Update a token's last_used_at at most this often (a write per request otherwise)."
    )
    session_secret: SecretStr | None = Field(
        None, description="Key that signs dashboard session cookies (HMAC-SHA256). Unset: a random key per "
        "process, so sessions end on restart and are not shared between workers: set it for --workers > 1.",
    )
    session_ttl_s: int = Field(8 * 3600, ge=60, description="Lifetime of a dashboard session (seconds).")
    secure_cookies: bool | None = Field(
        None, description="Mark dashboard cookies Secure (HTTPS only). Unset: when the request came over HTTPS."
    )
    auth_failure_limit_enabled: bool = Field(
        True, description="Limit failed authentications per client address (429 + Retry-After)."
    )
    auth_failures_per_minute: float = Field(
        10.0, gt=0, description="Sustained failed authentications per minute per client address (per process)."
    )
    auth_failure_burst: int = Field(
        20, ge=1, description="Failed authentications a client address may make at once before the limit applies."
    )
    threads: int = Field(
        16, ge=1, le=256, description="Threads per server process running route code (sync routes and "
        "dependencies); the database pool keeps as many connections."
    )
