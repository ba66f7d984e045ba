"""Dispatch a raw payload to its source's parser."""

from __future__ import annotations

from collections.abc import Mapping

from argus.core.enums import AlertSource
from argus.core.values import loads_json
from argus.ingest.alerts import alertmanager, datadog, generic, github, pagerduty
from argus.ingest.alerts.model import Parsed, reject

#: Largest payload read, in bytes.
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024


def parse_source(name: str) -> AlertSource:
    """``name`` as an :class:`AlertSource` (InputError naming the accepted ones)."""
    from argus.core.errors import InputError

    try:
        return AlertSource(name.strip().lower())
    except ValueError:
        raise InputError(f"source {name!r}: use one of {', '.join(AlertSource)}") from None


def parse_payload(source: AlertSource, data: bytes, headers: Mapping[str, str] | None = None) -> Parsed:
    """Parse one payload of ``source`` (``headers``: lower-case; GitHub needs ``x-github-event``).

    Raises :class:`~argus.core.errors.RejectedInputError` with the reason for anything invalid.
    """
    h = headers or {}
    if len(data) > MAX_PAYLOAD_BYTES:
        raise reject(source, f"payload of {len(data)} bytes is above {MAX_PAYLOAD_BYTES}")
    try:
        doc = loads_json(data)
    except (ValueError, RecursionError) as exc:
        raise reject(source, f"not JSON: {str(exc)[:120]}") from None
    if source is AlertSource.ALERTMANAGER or source is AlertSource.GRAFANA:
        return alertmanager.parse(doc, source)
    if source is AlertSource.PAGERDUTY:
        return pagerduty.parse(doc)
    if source is AlertSource.DATADOG:
        return datadog.parse(doc)
    if source is AlertSource.GITHUB:
        return github.parse(doc, h.get("x-github-event"), h.get("x-github-delivery"))
    return generic.parse(doc)
