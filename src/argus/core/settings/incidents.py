"""Settings of alerts, incidents and notifications (``[incidents]``, ``ARGUS_INCIDENTS__*``).

Defaults follow the seed where it gives one: dedup window 1 h (S2-17), priorities P0 page now … P3
batched (S2-23), change look-back 24 h. See docs/incidents.md for what each rule means.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr, field_validator


class ChannelKind(StrEnum):
    SLACK = "slack"  # a Slack incoming webhook URL
    WEBHOOK = "webhook"  # a generic JSON webhook, HMAC-signed (X-Argus-Signature) when a secret is set


def _default_severity_words() -> dict[str, str]:
    words = {"critical": "critical", "crit": "critical", "fatal": "critical", "page": "critical", "sev1": "critical",
             "p1": "critical", "emergency": "critical", "high": "high", "error": "high", "major": "high",
             "sev2": "high", "p2": "high", "warning": "warning", "warn": "warning", "medium": "warning",
             "minor": "warning", "sev3": "warning", "p3": "warning", "info": "info", "low": "info",
             "none": "info", "p4": "info", "p5": "info", "sev4": "info", "informational": "info"}
    return words


class ChannelSettings(BaseModel):
    """One notification channel and what it receives (an empty filter matches everything)."""

    name: str = Field(description="Name shown in the notification log.")
    kind: ChannelKind = ChannelKind.WEBHOOK
    url: SecretStr = Field(description="Slack incoming-webhook URL or the webhook's URL.")
    secret: SecretStr | None = Field(None, description="HMAC-SHA256 key of generic webhooks (X-Argus-Signature).")
    projects: list[str] = Field(default_factory=list, description="Only incidents of these projects.")
    priorities: list[str] = Field(default_factory=list, description="Only these priorities (P0 … P3).")
    services: list[str] = Field(default_factory=list, description="Only incidents touching these services.")
    owners: list[str] = Field(default_factory=list, description="Only incidents of services these owners own.")
    kinds: list[str] = Field(default_factory=lambda: ["opened", "escalated", "resolved"],
                             description="Which messages: opened, escalated, resolved.")
    escalation_only: bool = Field(False, description="Receives only escalations (the next level of on-call).")


class IncidentSettings(BaseModel):
    """Deduplication, severity rules, correlation, change look-back, lifecycle and notifications."""

    dedup_window_s: float = Field(3600.0, gt=0, description="Events of one fingerprint this close to the last "
                                  "one are repeats of the same alert (seed S2-17: 1 h).")
    fingerprint_labels: list[str] = Field(
        default_factory=list, description="Labels that make the fingerprint for every source (then alerts from "
        "several sources deduplicate together). Empty: the source's own key, else default_fingerprint_labels. "
        "Pseudo-labels: alertname, service, environment.")
    default_fingerprint_labels: list[str] = Field(
        default_factory=lambda: ["alertname", "service", "environment"],
        description="Labels of the fingerprint of an alert whose source gives no key.")
    severity_words: dict[str, str] = Field(
        default_factory=_default_severity_words,
        description="Source severity word (lower case) → class: critical, high, warning, info.")
    default_severity: str = Field("warning", description="Class of an alert with no or an unknown severity.")
    priorities: dict[str, str] = Field(
        default_factory=lambda: {"critical": "P0", "high": "P1", "warning": "P2", "info": "P3"},
        description="Severity class → priority (P0 page now, P1 within minutes, P2 batched, P3 low, batched).")
    production_environments: list[str] = Field(
        default_factory=lambda: ["prod", "production", "live", ""],
        description="Environments at full priority; alerts of other environments are one priority lower "
        "(\"\": no environment given).")
    correlation_window_s: float = Field(1800.0, gt=0, description="An alert joins an open incident whose last "
                                        "alert is this recent and that shares its service or a dependency.")
    dependency_window_s: float = Field(600.0, gt=0, description="An alert joins through the service graph only "
                                       "an incident whose last new alert is this recent (a cascade spreads in minutes).")
    learn_min_incidents: int = Field(3, ge=0, description="Services that alerted together in this many "
                                     "incidents are linked like graph dependencies (0: learn nothing).")
    learn_lookback_days: float = Field(30.0, gt=0, description="Incidents of this many days teach co-occurrence.")
    correlate_by_name: bool = Field(True, description="Alerts without a service join an open incident with "
                                    "an alert of the same name.")
    change_lookback_s: float = Field(86400.0, gt=0, description="Deployments and commits this long before an "
                                     "incident opened are candidate causes (default 24 h).")
    change_max_candidates: int = Field(10, ge=1, description="Most change candidates listed per incident.")
    auto_resolve: bool = Field(True, description="Resolve an incident (actor argus) when all its alerts resolved.")
    secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="Signing secrets of webhook sources, keyed \"org/project/source\" "
        "(e.g. \"default/shop/github\"): a request with a valid signature needs no token.")
    channels: list[ChannelSettings] = Field(default_factory=list, description="Notification channels.")
    escalate_after_s: float = Field(900.0, gt=0, description="Escalate an incident not acknowledged this long.")
    escalate_priorities: list[str] = Field(default_factory=lambda: ["P0", "P1", "P2"],
                                           description="Priorities that escalate (P3 waits for its batch).")
    quiet_hours: str | None = Field("22:00-07:00", description="UTC hours when quiet priorities wait "
                                    "(HH:MM-HH:MM; none: no quiet hours).")
    quiet_priorities: list[str] = Field(default_factory=lambda: ["P3"], description="Priorities held in quiet hours.")
    delivery_attempts: int = Field(5, ge=1, description="Tries of one notification before it is failed.")
    delivery_backoff_s: float = Field(30.0, ge=0, description="Wait before the first retry; doubles each retry.")
    delivery_timeout_s: float = Field(5.0, gt=0, description="HTTP timeout of one delivery.")

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "none", "off"):
            return None
        import re

        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("expected HH:MM-HH:MM (UTC), e.g. 22:00-07:00")
        return value.strip()
