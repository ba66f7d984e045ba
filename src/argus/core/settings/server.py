"""Settings of the team server (``[server]``, ``ARGUS_SERVER__*``): rate limits and request ids.

Rate limits are a token bucket per API token **per server process**: with ``argus serve --workers 4``
or several servers behind a load balancer, a token may make up to that many times the rate in
total. Size them for one process, or enforce a global limit at the load balancer.
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
