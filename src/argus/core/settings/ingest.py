"""Settings of ingestion (``[ingest]``, ``ARGUS_INGEST__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IngestSettings(BaseModel):
    """Limits for ingested files."""

    max_file_bytes: int = Field(256 * 1024 * 1024, description="Reject any input file larger than this.")
    max_output_chars: int = Field(
        64 * 1024, description="stdout/stderr/stack of one test result are truncated to this many characters."
    )
    max_message_chars: int = Field(8 * 1024, description="A failure message is truncated to this many characters.")
    max_upload_bytes: int = Field(
        1024 * 1024 * 1024, description="Refuse a server upload (all its files and fields) larger than this (HTTP 413)."
    )
    max_upload_files: int = Field(1000, description="Refuse a server upload of more report files than this (HTTP 413).")
    test_seen_resolution_s: float = Field(
        60.0, ge=0, description="A known test's last_seen_at is moved to the ingestion time only when it is older "
        "than this many seconds: a suite uploaded many times a minute is not rewritten by every upload "
        "(0: bump on every ingestion).")
    synchronous_commit: bool = Field(
        True, description="PostgreSQL: wait for the WAL flush when a test-report ingestion (CLI or upload) "
        "commits. false: the commit returns before the flush (synchronous_commit = off for those "
        "transactions only): a database server crash within ~0.6 s of a commit can lose ingestions "
        "that were answered as stored (a CI job that retries on error does not retry them). No effect on SQLite.")
