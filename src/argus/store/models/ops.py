"""Dead letters (rejected inputs with their reason) and failure clusters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.core.errors import SchemaOutOfDateError
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class DeadLetter(ProjectOwned, Base):
    """An input that was refused; nothing of it was stored elsewhere.

    One row per (project, source, ``dedupe_key``): the same rejected content seen again bumps
    ``count`` and ``last_seen_at``. ``dedupe_key`` is the content hash, or for an unreadable input a
    hash of its name and reason. ``excerpt`` is short and redacted (see ``argus.ingest.deadletter``);
    the file itself is never stored.
    """

    __tablename__ = "dead_letter"
    __table_args__ = (
        Index("ix_dead_letter_project_created", "project_id", "created_at"),
        UniqueConstraint("project_id", "source", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(30))
    source_name: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(30))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: Version of :class:`ClusterState`'s stored JSON. A document without ``version`` was written before
#: the field existed and has the same shape as version 1.
CLUSTER_STATE_VERSION = 1
_CLUSTER_STATE_KEYS = frozenset({"version", "tokens", "frames", "merged_into", "merged_tokens"})


class ClusterStateError(SchemaOutOfDateError):
    """A stored failure-cluster state this version of Argus cannot read (unknown version or shape)."""


def _strings(doc: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = doc.get(key)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ClusterStateError(f"failure cluster state: {key!r} must be a list of strings, not {value!r}")
    return tuple(value)


@dataclass(frozen=True)
class ClusterState:
    """The miner's memory of one failure cluster, stored in ``FailureCluster.state`` (JSON).

    ``tokens`` is the cluster's message template (the miner is rebuilt from them), ``frames`` the own
    code frames behind its stack fingerprint. A cluster whose template was merged into a more general
    one keeps its tokens and records the template it went into (``merged_tokens``) and the cluster
    that took its failures (``merged_into``, None when it had none to move).
    """

    tokens: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()
    merged_into: int | None = None
    merged_tokens: tuple[str, ...] | None = None

    @property
    def merged(self) -> bool:
        """Whether the cluster's template went into another one (the cluster is then dead)."""
        return self.merged_tokens is not None

    def merge(self, into: int | None, tokens: Sequence[str]) -> ClusterState:
        """This state after the cluster's template was merged into ``tokens`` (failures moved to ``into``)."""
        return replace(self, merged_into=into, merged_tokens=tuple(tokens))

    def to_json(self) -> dict[str, Any]:
        """The stored document (``version`` first; the merge fields only once merged)."""
        doc: dict[str, Any] = {"version": CLUSTER_STATE_VERSION, "tokens": list(self.tokens),
                               "frames": list(self.frames)}
        if self.merged_tokens is not None:
            doc["merged_into"] = self.merged_into
            doc["merged_tokens"] = list(self.merged_tokens)
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> ClusterState:
        """Read a stored document; :class:`ClusterStateError` on an unknown version or shape.

        None and ``{}`` (a row written before any state) are the empty state.
        """
        if doc is None:
            return cls()
        if not isinstance(doc, Mapping):
            raise ClusterStateError(f"failure cluster state: expected a JSON object, not {type(doc).__name__}")
        if not doc:
            return cls()
        version = doc.get("version", CLUSTER_STATE_VERSION)
        if version != CLUSTER_STATE_VERSION:
            raise ClusterStateError(
                f"failure cluster state: unknown version {version!r} (this Argus reads version "
                f"{CLUSTER_STATE_VERSION}; upgrade Argus)"
            )
        unknown = sorted(set(doc) - _CLUSTER_STATE_KEYS)
        if unknown:
            raise ClusterStateError(f"failure cluster state: unknown field(s) {', '.join(map(repr, unknown))}")
        into = doc.get("merged_into")
        if into is not None and (not isinstance(into, int) or isinstance(into, bool)):
            raise ClusterStateError(f"failure cluster state: 'merged_into' must be a cluster id, not {into!r}")
        return cls(
            tokens=_strings(doc, "tokens") if "tokens" in doc else (),
            frames=_strings(doc, "frames") if "frames" in doc else (),
            merged_into=into,
            merged_tokens=_strings(doc, "merged_tokens") if doc.get("merged_tokens") is not None else None,
        )


class FailureCluster(ProjectOwned, Base):
    """A group of failures believed to share one root cause."""

    __tablename__ = "failure_cluster"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(Text)
    stack_fingerprint: Mapped[str | None] = mapped_column(String(64))
    failure_type: Mapped[str | None] = mapped_column(Text)
    samples: Mapped[list[str]] = mapped_column(Json, default=list)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("test_run.id", ondelete="SET NULL"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("test_run.id", ondelete="SET NULL"))
    #: The stored JSON of :attr:`state`; read and write it through :attr:`state` only.
    state_json: Mapped[dict[str, Any]] = mapped_column("state", Json, default=dict)

    @property
    def state(self) -> ClusterState:
        """The typed cluster state (decoded from, and encoded to, the ``state`` JSON column)."""
        return ClusterState.from_json(self.state_json)

    @state.setter
    def state(self, value: ClusterState) -> None:
        if not isinstance(value, ClusterState):
            raise TypeError(f"FailureCluster.state takes a ClusterState, not {type(value).__name__}")
        self.state_json = value.to_json()
