"""The one alert model every source is normalised to, and the change events some sources carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argus.core.enums import AlertSource
from argus.core.errors import RejectedInputError


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertIn:
    """One alert event as a source reported it, normalised.

    ``source_key`` is the source's own deduplication key (Alertmanager ``fingerprint``, PagerDuty
    dedup key, Datadog monitor id + group, …; None when it has none). ``severity`` is the source's
    word (mapped to a class later, by the configurable rules). ``at`` is when the event happened when
    the source says so (None: when it was received). ``delivery_id`` identifies one delivery of the
    event (PagerDuty event id, GitHub delivery, generic ``id``): a replay with the same id is counted
    once.
    """

    source: AlertSource
    name: str
    status: AlertStatus
    source_key: str | None = None
    service: str | None = None
    environment: str | None = None
    severity: str | None = None
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    at: datetime | None = None
    links: tuple[str, ...] = ()
    delivery_id: str | None = None
    #: A resolution that only closes a firing twin and is dropped without one (a green build or a
    #: successful deployment is not worth an alert of its own).
    closes_only: bool = False


@dataclass(frozen=True)
class DeploymentIn:
    """A deployment a source reported (GitHub ``deployment_status``, a deploy workflow, generic)."""

    environment: str
    started_at: datetime
    service: str | None = None
    commit_sha: str | None = None
    status: str = "success"
    finished_at: datetime | None = None
    external_id: str | None = None
    url: str | None = None
    #: deploy (a new version) or config (a configuration change without one)
    kind: str = "deploy"


@dataclass(frozen=True)
class Parsed:
    """What one payload held: alerts, deployments, and why it was ignored (a ping, a pending status)."""

    alerts: tuple[AlertIn, ...] = ()
    deployments: tuple[DeploymentIn, ...] = ()
    ignored: str | None = None


def reject(source: AlertSource, reason: str) -> RejectedInputError:
    return RejectedInputError(f"{source.value} payload", reason)


def obj(source: AlertSource, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise reject(source, f"{where}: expected a JSON object, not {type(value).__name__}")
    return value


def text(source: AlertSource, doc: dict[str, Any], key: str, where: str, *, required: bool = False,
         max_len: int = 2000) -> str | None:
    value = doc.get(key)
    if value is None or value == "":
        if required:
            raise reject(source, f"{where}.{key}: required, missing")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise reject(source, f"{where}.{key}: expected a string, not {type(value).__name__}")
    return value[:max_len]


def str_map(source: AlertSource, value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    doc = obj(source, value, where)
    return {str(k)[:200]: (v if isinstance(v, str) else str(v))[:2000] for k, v in doc.items()}


#: Alertmanager's "no end" time (Go's zero time).
_ZERO_TIME_PREFIX = "0001-01-01"


def timestamp(source: AlertSource, value: Any, where: str) -> datetime | None:
    """An ISO-8601 string or epoch seconds/milliseconds → aware UTC datetime (None for empty / Go zero)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise reject(source, f"{where}: expected a time, not a boolean")
    if isinstance(value, (int, float)):
        secs = float(value) / 1000.0 if value > 1e11 else float(value)
        try:
            return datetime.fromtimestamp(secs, UTC)
        except (OverflowError, OSError, ValueError):
            raise reject(source, f"{where}: {value!r} is not a plausible epoch time") from None
    if not isinstance(value, str):
        raise reject(source, f"{where}: expected an ISO-8601 time, not {type(value).__name__}")
    raw = value.strip()
    if raw.startswith(_ZERO_TIME_PREFIX):
        return None
    if raw.isdigit():
        return timestamp(source, int(raw), where)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise reject(source, f"{where}: {raw[:40]!r} is not an ISO-8601 time") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
