"""Write ingested commits, files and features to the store in batches (bulk inserts, no commit).

Rows go in with ``session.execute(insert(Model), rows)`` (executemany); commit ids come back from one
``INSERT ... RETURNING`` per batch. Commits already stored (another branch, an earlier ``--since``
window, a rebuild after a force-push) are not inserted twice: they are looked up by sha per batch,
marked present again if a force-push had hidden them, and — when ``refresh_features`` — get their
features recomputed. New commits are written with their fix decision (``fix_source``) and their
commit ↔ issue link rows, so no second pass over the commits is needed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from argus.core.clock import utcnow
from argus.ingest.git.bulk import allocate_ids, insert_rows, is_postgres
from argus.ingest.git.features import FEATURE_VERSION, ChangeFeatures
from argus.ingest.git.logparse import RawCommit
from argus.store.models import Commit, CommitFeatures, CommitFile, CommitIssueLink
from argus.store.session import current_project_id

#: Core tables: executemany through Core skips the ORM's per-row bookkeeping on this hot path.
COMMIT: Table = Commit.__table__  # type: ignore[assignment]
FILE: Table = CommitFile.__table__  # type: ignore[assignment]
FEATURES: Table = CommitFeatures.__table__  # type: ignore[assignment]
LINK: Table = CommitIssueLink.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class Prepared:
    """A parsed commit with what ingestion derived from it."""

    commit: RawCommit
    identity_name: str
    identity_email: str
    is_fix: bool
    features: ChangeFeatures | None
    store_files: bool
    fix_source: str | None = None  # what decided is_fix (tracker | message | none)
    refs: tuple[tuple[str, str], ...] = ()  # issue references (key, source) stored as commit_issue_link rows
    linked_to_stored: bool = False  # one of the references is a stored issue


@dataclass
class WriteStats:
    commits_new: int = 0
    commits_existing: int = 0
    restored: int = 0
    files: int = 0
    features: int = 0
    new_fixes: list[tuple[int, str, str]] = field(default_factory=list)  # (id, sha, first parent)
    links: Counter[str] = field(default_factory=Counter)  # commit ↔ issue links written, by source
    fixes_by_source: Counter[str] = field(default_factory=Counter)
    decided: int = 0  # new commits written with their fix decision (fix_source)
    linked_to_stored: int = 0


def _ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class BatchWriter:
    """Accumulate prepared commits and write them ``batch_size`` at a time."""

    def __init__(self, session: Session, branch: str, *, batch_size: int, check_existing: bool,
                 refresh_features: bool) -> None:
        self.session = session
        self.project_id = current_project_id(session)
        self.branch = branch
        self.batch_size = max(1, batch_size)
        self.check_existing = check_existing
        self.refresh_features = refresh_features
        self.pending: list[Prepared] = []
        self.now = utcnow()
        self.stats = WriteStats()

    def add(self, item: Prepared) -> None:
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if batch:
            self.write(batch)

    def close(self) -> None:
        """Write what is pending."""
        self.flush()

    def abort(self) -> None:
        """Drop what is pending (the caller is failing)."""
        self.pending = []

    def write(self, batch: list[Prepared]) -> None:
        existing: dict[str, tuple[int, bool]] = {}
        if self.check_existing:
            found = self.session.execute(
                select(Commit.sha, Commit.id, Commit.present).where(Commit.sha.in_([p.commit.sha for p in batch]))
            )
            existing = {sha: (cid, present) for sha, cid, present in found}
        new = [p for p in batch if p.commit.sha not in existing]
        ids: dict[str, int] = {}
        if new and is_postgres(self.session):
            rows = [self._commit_row(p) for p in new]
            for row, cid in zip(rows, allocate_ids(self.session, COMMIT, len(rows)), strict=True):
                row["id"] = cid
                ids[row["sha"]] = cid
            insert_rows(self.session, COMMIT, rows)
        elif new:
            insert_rows(self.session, COMMIT, [self._commit_row(p) for p in new])
            inserted = self.session.execute(
                select(COMMIT.c.sha, COMMIT.c.id).where(
                    COMMIT.c.project_id == self.project_id, COMMIT.c.sha.in_([p.commit.sha for p in new])
                )
            )
            ids = {sha: cid for sha, cid in inserted}
        self._write_existing(batch, existing)
        file_rows: list[dict[str, Any]] = []
        feature_rows: list[dict[str, Any]] = []
        link_rows: list[dict[str, Any]] = []
        now = utcnow()
        for p in new:
            cid = ids[p.commit.sha]
            if p.fix_source is not None:
                self.stats.decided += 1
                self.stats.linked_to_stored += p.linked_to_stored
                if p.is_fix:
                    self.stats.fixes_by_source[p.fix_source] += 1
                for key, source in p.refs:
                    link_rows.append({"project_id": self.project_id, "commit_id": cid, "issue_key": key[:64],
                                      "source": source})
                    self.stats.links[source] += 1
            if p.store_files:
                file_rows.extend(
                    {
                        "project_id": self.project_id,
                        "commit_id": cid,
                        "path": f.path,
                        "old_path": f.old_path,
                        "change_type": f.change_type,
                        "lines_added": f.added,
                        "lines_deleted": f.deleted,
                        "is_binary": f.binary,
                    }
                    for f in p.commit.files
                )
            if p.features is not None:
                feature_rows.append(self._feature_row(cid, p.features, now))
            if p.is_fix and p.commit.parents:
                self.stats.new_fixes.append((cid, p.commit.sha, p.commit.parents[0]))
        if self.refresh_features:
            refresh = {existing[p.commit.sha][0]: p.features for p in batch if p.commit.sha in existing}
            if refresh:
                self.session.execute(delete(CommitFeatures).where(CommitFeatures.commit_id.in_(list(refresh))))
                feature_rows.extend(self._feature_row(cid, f, now) for cid, f in refresh.items() if f is not None)
        if file_rows:
            insert_rows(self.session, FILE, file_rows)
        if feature_rows:
            insert_rows(self.session, FEATURES, feature_rows)
        if link_rows:
            insert_rows(self.session, LINK, link_rows)
        self.stats.commits_new += len(new)
        self.stats.files += len(file_rows)
        self.stats.features += len(feature_rows)

    def _write_existing(self, batch: list[Prepared], existing: dict[str, tuple[int, bool]]) -> None:
        self.stats.commits_existing += len(existing)
        hidden = [cid for cid, present in existing.values() if not present]
        if hidden:
            self.session.execute(update(Commit).where(Commit.id.in_(hidden)).values(present=True))
            self.stats.restored += len(hidden)

    def _commit_row(self, p: Prepared) -> dict[str, Any]:
        c = p.commit
        return {
            "project_id": self.project_id,
            "sha": c.sha,
            "tree_sha": c.tree or None,
            "parents": c.parents,
            "author_name": p.identity_name,
            "author_email": p.identity_email,
            "author_time": _ts(c.author_time),
            "author_tz_minutes": c.author_tz,
            "committer_name": c.committer_name,
            "committer_email": c.committer_email.strip().casefold(),
            "committer_time": _ts(c.committer_time),
            "committer_tz_minutes": c.committer_tz,
            "message": c.message,
            "is_merge": c.is_merge,
            "is_fix": p.is_fix,
            "fix_source": p.fix_source,
            "present": True,
            "branch": self.branch,
            "ingested_at": self.now,
        }

    def _feature_row(self, commit_id: int, f: ChangeFeatures, now: datetime) -> dict[str, Any]:
        return {
            "commit_id": commit_id, "project_id": self.project_id, "ns": f.ns, "nd": f.nd, "nf": f.nf,
            "entropy": f.entropy, "la": f.la, "ld": f.ld, "lt": f.lt, "fix": f.fix, "ndev": f.ndev, "age": f.age,
            "nuc": f.nuc, "exp": f.exp, "rexp": f.rexp, "sexp": f.sexp, "version": FEATURE_VERSION, "computed_at": now,
        }  # fmt: skip

