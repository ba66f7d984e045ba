"""The coverage map of test selection: which tests executed which lines, stored compactly.

One :class:`CoverageMap` per ingested report; its tests and files are listed once on the map row
(JSON arrays) and each :class:`CoverageMapEntry` row is one (test, file) pair holding the executed
lines as ranges (``"1-12,15,40-52"``, :mod:`argus.analysis.selection.ranges`), found by file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class CoverageMap(ProjectOwned, Base):
    """One ingested per-test coverage report (coverage.py JSON with contexts).

    ``tests``: ``[[identity, node id or null, all_params], ...]`` (row ``test_idx`` of an entry is an
    index into it); ``files``: paths; ``import_lines``: ``{file index: ranges}`` run outside any test.
    """

    __tablename__ = "coverage_map"
    __table_args__ = (Index("ix_coverage_map_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    n_tests: Mapped[int] = mapped_column(Integer, default=0)
    n_files: Mapped[int] = mapped_column(Integer, default=0)
    n_entries: Mapped[int] = mapped_column(Integer, default=0)
    n_lines: Mapped[int] = mapped_column(Integer, default=0)  # (test, line) pairs
    stored_bytes: Mapped[int] = mapped_column(Integer, default=0)  # text of ranges + lists, before indexes
    tests: Mapped[list[Any]] = mapped_column(Json, default=list)
    files: Mapped[list[str]] = mapped_column(Json, default=list)
    import_lines: Mapped[dict[str, str]] = mapped_column(Json, default=dict)


class CoverageMapEntry(ProjectOwned, Base):
    """The lines one test executed in one file (ranges), in one map."""

    __tablename__ = "coverage_map_entry"
    __table_args__ = (Index("ix_coverage_map_entry_file", "map_id", "file_idx"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    map_id: Mapped[int] = mapped_column(ForeignKey("coverage_map.id", ondelete="CASCADE"))
    file_idx: Mapped[int] = mapped_column(Integer)
    test_idx: Mapped[int] = mapped_column(Integer)
    ranges: Mapped[str] = mapped_column(Text)
