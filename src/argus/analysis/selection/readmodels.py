"""What the front doors render of test selection (frozen; built by :mod:`service`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapIngested:
    """``argus ingest coverage-map``: what was stored (``duplicate``: the same report was stored before)."""

    project: str
    map_id: int
    commit: str | None
    tests: int
    files: int
    entries: int
    lines: int
    stored_bytes: int
    duplicate: bool = False
    contexts_skipped: int = 0


@dataclass(frozen=True)
class SelectedTest:
    """A ranked test: its id, pytest node id, estimated failure probability and reasons."""

    __test__ = False

    test: str
    node_id: str | None
    score: float
    reasons: tuple[str, ...]
    selected: bool
    skip_reason: str | None = None


@dataclass(frozen=True)
class SelectionView:
    """``argus select``: the selected tests with reasons, and how many were skipped."""

    project: str
    mode: str
    total: int
    selected: tuple[SelectedTest, ...]
    #: The skipped tests, most likely to fail first, each with the strongest reason to skip it.
    skipped_tests: tuple[SelectedTest, ...]
    changed_files: tuple[str, ...]
    full_reasons: tuple[str, ...]
    #: Changed source lines no test covers: ``file:line`` strings.
    uncovered: tuple[str, ...]
    estimated_miss: float
    notes: tuple[str, ...] = ()
    map_id: int | None = None
    insight_id: int | None = None
    budget: str | None = None

    @property
    def skipped(self) -> int:
        return len(self.skipped_tests)

    def as_json(self) -> dict[str, object]:
        """The ``--format json`` document: ``{"selected": [{"test", "score", "reasons"}], "skipped", "total",
        "mode"}`` plus what explains it."""
        return {
            "selected": [{"test": t.test, "score": round(t.score, 6), "reasons": list(t.reasons),
                          "node_id": t.node_id} for t in self.selected],
            "skipped": self.skipped,
            "total": self.total,
            "mode": self.mode,
            "budget": self.budget,
            "estimated_miss": round(self.estimated_miss, 6),
            "full_reasons": list(self.full_reasons),
            "uncovered": list(self.uncovered),
            "changed_files": list(self.changed_files),
            "notes": list(self.notes),
            "insight_id": self.insight_id,
        }
