"""Attach a quality report (coverage, vulnerabilities) to its CI run, idempotently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.ingest.ci_env import CiMetadata, find_or_create_run
from argus.store.models import TestRun


def find_duplicate(session: Session, model: Any, content_hash: str, meta: CiMetadata) -> Any | None:
    """An already stored report of ``model`` with this content for the same run, if any.

    With a CI run id the run is the CI job attempt (found, not created, here); without one (a local
    ingestion) the same content for the same commit counts as the same report.
    """
    stmt = select(model).join(TestRun, TestRun.id == model.run_id).where(model.content_hash == content_hash)
    if meta.run_id is not None:
        stmt = stmt.where(
            TestRun.ci_run_id == meta.run_id,
            TestRun.ci_attempt == meta.attempt,
            TestRun.ci_provider.is_(None) if meta.provider is None else TestRun.ci_provider == meta.provider,
            TestRun.ci_job.is_(None) if meta.job is None else TestRun.ci_job == meta.job,
            TestRun.ci_job_id.is_(None) if meta.job_id is None else TestRun.ci_job_id == meta.job_id,
        )
    else:
        stmt = stmt.where(
            TestRun.ci_run_id.is_(None),
            TestRun.commit_sha.is_(None) if meta.commit_sha is None else TestRun.commit_sha == meta.commit_sha,
        )
    return session.scalars(stmt.order_by(model.id).limit(1)).first()


def attach_run(session: Session, meta: CiMetadata) -> TestRun:
    return find_or_create_run(session, meta)
