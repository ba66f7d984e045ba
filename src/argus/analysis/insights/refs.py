"""Describe evidence references in the user's words: CI run id, short commit and link, not row ids."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.core.enums import EvidenceType
from argus.core.errors import InputError, NotFoundError
from argus.store.models import TestResult, TestRun
from argus.store.session import current_project_id


@dataclass(frozen=True)
class RunRef:
    """A stored run as a user knows it."""

    run_id: int
    ci_run_id: str | None
    commit: str | None
    url: str | None

    def words(self) -> str:
        """"CI run 4711, commit 1a2b3c4d5e" (the internal id as ``#12`` when the run has no CI id)."""
        name = f"CI run {self.ci_run_id}" if self.ci_run_id else f"run #{self.run_id}"
        return name + (f", commit {self.commit[:10]}" if self.commit else "")


def run_refs(session: Session, run_ids: Iterable[int], url_template: str | None = None) -> dict[int, RunRef]:
    """The runs ``run_ids`` as :class:`RunRef` (ids not found are left out).

    A run without a stored CI link gets ``url_template`` filled with its ``ci_run_id`` and ``commit``
    (only when it has a CI run id; a template naming another field is ignored).
    """
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(TestRun.id, TestRun.ci_run_id, TestRun.commit_sha, TestRun.ci_url).where(TestRun.id.in_(ids))
    )
    return {r.id: RunRef(r.id, r.ci_run_id, r.commit_sha, r.ci_url or _link(url_template, r.ci_run_id, r.commit_sha))
            for r in rows}


def _link(template: str | None, ci_run_id: str | None, commit: str | None) -> str | None:
    if not template or not ci_run_id:
        return None
    try:
        return template.format(ci_run_id=ci_run_id, commit=commit or "")
    except (KeyError, IndexError, ValueError):
        return None


def result_runs(session: Session, result_ids: Iterable[int]) -> dict[int, int]:
    """Map test result ids to the ids of their runs."""
    ids = sorted(set(result_ids))
    if not ids:
        return {}
    return dict(session.execute(select(TestResult.id, TestResult.run_id).where(TestResult.id.in_(ids))).tuples())


#: Evidence types whose ref id is a stored row that belongs to one run.
RUN_EVIDENCE = (EvidenceType.TEST_RUN, EvidenceType.TEST_RESULT)


def describe_refs(
    session: Session, refs: Iterable[tuple[str, str]], url_template: str | None = None
) -> dict[tuple[str, str], RunRef]:
    """For ``(ref_type, ref_id)`` pairs of evidence on runs or results, the run each one points at.

    ``ref_type`` is an :class:`EvidenceType` value (a stored evidence row's string); the keys of the
    answer are the pairs as given.
    """
    pairs = [(t, i) for t, i in refs if t in RUN_EVIDENCE and i.isdigit()]
    res_runs = result_runs(session, (int(i) for t, i in pairs if t == EvidenceType.TEST_RESULT))
    run_of = {(t, i): int(i) if t == EvidenceType.TEST_RUN else res_runs.get(int(i)) for t, i in pairs}
    runs = run_refs(session, (r for r in run_of.values() if r is not None), url_template)
    return {k: runs[r] for k, r in run_of.items() if r is not None and r in runs}


def resolve_run(session: Session, text: str) -> int:
    """The stored run a user means: a CI run id (``4711``), or Argus's own id written ``#12``.

    A CI run id shared by several stored runs (re-run attempts) means the newest of them.
    """
    raw = text.strip()
    if raw.startswith("#"):
        if not raw[1:].isdigit():
            raise InputError(f"--run {text!r}: write Argus's own run id as #12 (or give the CI run id)")
        run = session.get(TestRun, int(raw[1:]))
        if run is None or run.project_id != current_project_id(session):
            raise NotFoundError(f"run {raw} not found in this project")
        return run.id
    found = session.scalars(
        select(TestRun.id)
        .where(TestRun.project_id == current_project_id(session), TestRun.ci_run_id == raw)
        .order_by(TestRun.id.desc())
        .limit(1)
    ).first()
    if found is None:
        raise NotFoundError(f"no run with CI run id {raw!r} in this project (Argus's own ids are written #12)")
    return int(found)
