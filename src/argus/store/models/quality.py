"""Coverage and vulnerability reports attached to a CI run, with per-file coverage and findings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argus.core.clock import utcnow
from argus.store.base import Base, BigId, Json, UTCDateTime
from argus.store.session import ProjectOwned


class CoverageReport(ProjectOwned, Base):
    """One ingested coverage file; totals are over executable lines (percentages 0–100).

    Idempotency: the same content for the same run is stored once (``content_hash`` + ``run_id``).
    """

    __tablename__ = "coverage_report"
    __table_args__ = (
        UniqueConstraint("project_id", "run_id", "content_hash"),
        Index("ix_coverage_report_project_hash", "project_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(30))
    size_bytes: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    files: Mapped[int] = mapped_column(Integer, default=0)
    lines_valid: Mapped[int] = mapped_column(Integer, default=0)
    lines_covered: Mapped[int] = mapped_column(Integer, default=0)
    branches_valid: Mapped[int] = mapped_column(Integer, default=0)
    branches_covered: Mapped[int] = mapped_column(Integer, default=0)
    line_pct: Mapped[float | None] = mapped_column(Float)
    branch_pct: Mapped[float | None] = mapped_column(Float)


class CoverageFile(ProjectOwned, Base):
    """Coverage of one file in one report; line sets are range-encoded (``"1-3,7"``)."""

    __tablename__ = "coverage_file"
    __table_args__ = (Index("ix_coverage_file_report_path", "report_id", "path"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("coverage_report.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    lines_valid: Mapped[int] = mapped_column(Integer, default=0)
    lines_covered: Mapped[int] = mapped_column(Integer, default=0)
    branches_valid: Mapped[int] = mapped_column(Integer, default=0)
    branches_covered: Mapped[int] = mapped_column(Integer, default=0)
    covered_lines: Mapped[str] = mapped_column(Text, default="")
    missing_lines: Mapped[str] = mapped_column(Text, default="")


class VulnReport(ProjectOwned, Base):
    """One ingested vulnerability scan; counts are of distinct findings (identities) by severity."""

    __tablename__ = "vuln_report"
    __table_args__ = (
        UniqueConstraint("project_id", "run_id", "content_hash"),
        Index("ix_vuln_report_project_hash", "project_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(30))
    size_bytes: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    critical: Mapped[int] = mapped_column(Integer, default=0)
    high: Mapped[int] = mapped_column(Integer, default=0)
    medium: Mapped[int] = mapped_column(Integer, default=0)
    low: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)


class VulnFinding(ProjectOwned, Base):
    """One vulnerability in one package; ``identity`` (hash of canonical id + package) tells new from known."""

    __tablename__ = "vuln_finding"
    __table_args__ = (
        Index("ix_vuln_finding_report", "report_id"),
        Index("ix_vuln_finding_project_identity", "project_id", "identity"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("vuln_report.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(64))
    vuln_id: Mapped[str] = mapped_column(String(200))
    canonical_id: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(Json, default=list)
    package: Mapped[str] = mapped_column(Text)
    installed_version: Mapped[str | None] = mapped_column(Text)
    fixed_version: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
