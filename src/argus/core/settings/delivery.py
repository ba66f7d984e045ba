"""Settings of delivery analytics / DORA metrics (``[delivery]``, ``ARGUS_DELIVERY__*``)."""

from __future__ import annotations

import re
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator


class DeliverySettings(BaseModel):
    """DORA metrics with Apache DevLake's rules (see docs/delivery.md)."""

    not_params: ClassVar[dict[str, str]] = {
        "github_incident_label": "argus sync github: which issues are incidents (ingest, not the rules)",
        "sync_max_wait_s": "argus sync github: longest rate-limit wait (ingest, not the rules)",
        "deployment_pattern": "argus sync github|gitlab: which runs/jobs deploy (ingest, not the rules)",
        "production_pattern": "argus sync github|gitlab: which runs/jobs deploy to production (ingest, not the rules)",
        "webhook_secrets": "delivery webhooks: shared secrets (ingest, not the rules)",
    }

    timezone: str = Field(
        "UTC", description="Time zone that decides the day, week (Monday first) and month of an event "
        "(DevLake groups by the stored UTC date). Durations never depend on it.",
    )
    incident_max_gap_hours: float | None = Field(
        None, gt=0, description="An incident links to the last production deployment before it only when that "
        "deployment finished at most this many hours earlier (unset: no limit, as in DevLake).",
    )
    default_period_days: int = Field(
        180, ge=1, description="Days in the period when --from is not given (ending on --to, or on the day of "
        "the latest deployment or incident).",
    )
    min_deployments_for_confidence: int = Field(
        20, ge=1, description="Deployments in the period below which the DORA report's evidence is only moderate.",
    )

    github_incident_label: str = Field(
        "incident", min_length=1, description="`argus sync github`: issues with this label are incidents.")
    sync_max_wait_s: float = Field(
        60.0, ge=0, description="`argus sync github`: longest wait for a rate limit to reset before giving up.")

    deployment_pattern: str = Field(
        r"(?i)deploy", description="`argus sync github|gitlab`: a GitHub workflow run or job, or a GitLab "
        "pipeline job, whose name matches this regular expression deploys (DevLake's deploymentPattern).")
    production_pattern: str = Field(
        r"(?i)prod", description="`argus sync github|gitlab`: a run or job whose name matches this regular "
        "expression runs in PRODUCTION (DevLake's productionPattern).")
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict, description="Secrets of the delivery webhooks (POST .../delivery/hooks/github|gitlab), "
        "keyed \"org/project/source\" (e.g. \"default/shop/gitlab\"): GitLab's X-Gitlab-Token must equal it, "
        "GitHub's X-Hub-Signature-256 must be its HMAC. A request with a valid one needs no API token.")

    @field_validator("deployment_pattern", "production_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. UTC, Europe/Paris)") from None
        return value
