"""Typed inputs and outputs of failure clustering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: One failure shown as evidence: (result id, run id, test identity, message, run start).
Example = tuple[int, int, str, str | None, datetime]


class Trend(StrEnum):
    """Direction of a cluster's failure count: last window vs the window before it."""

    UP = "up"
    DOWN = "down"
    STABLE = "stable"


@dataclass(frozen=True)
class FailureInput:
    """One failed or errored test result to cluster."""

    result_id: int
    run_id: int
    test_case_id: int
    message: str | None
    failure_type: str | None
    stack: str | None
    observed_at: datetime


@dataclass(frozen=True)
class ClusterKey:
    """What makes a cluster: the message template and the own-code stack fingerprint (if any)."""

    template: tuple[str, ...]
    stack_fingerprint: str | None

    @property
    def fingerprint(self) -> str:
        import hashlib

        text = "\x1f".join(self.template) + "\x1e" + (self.stack_fingerprint or "")
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Assignment:
    """The cluster key of one failure, and the own frames behind its stack fingerprint."""

    result_id: int
    key: ClusterKey
    frames: tuple[str, ...] = ()
