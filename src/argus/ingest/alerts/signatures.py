"""Webhook signatures of the sources that sign (HMAC-SHA256 of the raw body with a shared secret).

* GitHub: ``X-Hub-Signature-256: sha256=<hex>``.
* PagerDuty V3: ``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`` (several while a secret rotates).
* Grafana (contact point HMAC): ``X-Grafana-Alerting-Signature: <hex>``; with a
  ``X-Grafana-Alerting-Signature-Timestamp`` header the signed message is ``timestamp:body``.
* Generic (and Argus's own outgoing webhooks): ``X-Argus-Signature: sha256=<hex>``.

Comparisons are constant-time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from argus.core.enums import AlertSource

#: The header each signing source uses (lower case).
HEADERS = {
    AlertSource.GITHUB: "x-hub-signature-256",
    AlertSource.PAGERDUTY: "x-pagerduty-signature",
    AlertSource.GRAFANA: "x-grafana-alerting-signature",
    AlertSource.GENERIC: "x-argus-signature",
}
GRAFANA_TIMESTAMP = "x-grafana-alerting-signature-timestamp"


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(source: AlertSource, secret: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """The signature header(s) ``source`` would send for ``body`` (for tests, replays and our own webhooks)."""
    if source is AlertSource.PAGERDUTY:
        return {"X-PagerDuty-Signature": f"v1={hmac_hex(secret, body)}"}
    if source is AlertSource.GITHUB:
        return {"X-Hub-Signature-256": f"sha256={hmac_hex(secret, body)}"}
    if source is AlertSource.GRAFANA:
        if timestamp is not None:
            return {"X-Grafana-Alerting-Signature": hmac_hex(secret, f"{timestamp}:".encode() + body),
                    "X-Grafana-Alerting-Signature-Timestamp": timestamp}
        return {"X-Grafana-Alerting-Signature": hmac_hex(secret, body)}
    return {"X-Argus-Signature": f"sha256={hmac_hex(secret, body)}"}


def signature_header(source: AlertSource, headers: Mapping[str, str]) -> str | None:
    """The signature ``headers`` carry for ``source`` (None: unsigned, or a source that never signs)."""
    name = HEADERS.get(source)
    return headers.get(name) if name else None


def verify(source: AlertSource, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether ``headers`` carry a valid signature of ``body`` by ``secret`` (``headers``: lower-case keys)."""
    given = (signature_header(source, headers) or "").strip()
    if not given:
        return False
    if source is AlertSource.PAGERDUTY:
        want = hmac_hex(secret, body)
        found = False
        for part in given.split(","):
            scheme, _, value = part.strip().partition("=")
            found |= scheme == "v1" and hmac.compare_digest(value.strip(), want)
        return found
    if source is AlertSource.GRAFANA:
        ts = headers.get(GRAFANA_TIMESTAMP)
        message = f"{ts}:".encode() + body if ts else body
        return hmac.compare_digest(given, hmac_hex(secret, message))
    scheme, _, value = given.partition("=")
    return scheme == "sha256" and hmac.compare_digest(value, hmac_hex(secret, body))
