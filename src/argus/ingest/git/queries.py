"""Read ingested changes back: one change in full, or a list since a date or revision."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from argus.core.errors import InputError, NotFoundError
from argus.core.values import MAX_TIMESTAMP, MIN_TIMESTAMP, ago, bounded_timestamp
from argus.ingest.git.features import FEATURE_NAMES
from argus.store.models import BugLink, Commit, CommitFeatures, CommitFile, CommitIssueLink, Issue

_HEX = re.compile(r"^[0-9a-fA-F]{4,64}$")
_RELATIVE = re.compile(r"^(\d+)\s*([dwh])$")


@dataclass(frozen=True)
class FileRow:
    path: str
    old_path: str | None
    change_type: str
    lines_added: int
    lines_deleted: int
    is_binary: bool


@dataclass(frozen=True)
class LinkRow:
    """A fix → inducing link seen from one side: the other commit, the file and the lines."""

    sha: str
    summary: str
    path: str
    lines: list[int]


@dataclass(frozen=True)
class IssueRef:
    """A commit's reference to a tracker issue: where it was found, and the issue when it is stored."""

    key: str
    source: str  # closing-keyword | message-key | branch-name
    stored: bool
    is_bug: bool | None


@dataclass(frozen=True)
class ChangeDetail:
    sha: str
    parents: list[str]
    author: str
    author_email: str
    author_time: datetime
    committer_time: datetime
    message: str
    is_merge: bool
    is_fix: bool
    present: bool
    branch: str | None
    features: dict[str, float] | None
    files: list[FileRow]
    induced_by: list[LinkRow]  # this change is a fix; these commits introduced the lines it changed
    fixed_by: list[LinkRow]  # this change introduced lines that these fixes changed
    fix_source: str | None = None  # what decided is_fix: tracker | message | none
    issues: list[IssueRef] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeSummary:
    sha: str
    committer_time: datetime
    author: str
    summary: str
    is_fix: bool
    is_merge: bool
    present: bool
    files: int
    lines_added: int
    lines_deleted: int
    fixed_later: int  # number of fixes that blamed lines of this change (SZZ bug-inducing when > 0)
    fix_source: str | None = None  # what decided is_fix: tracker | message | none
    bug_inducing: bool = False  # fixed_later > 0
    issues: list[IssueRef] = field(default_factory=list)


def _summary(message: str) -> str:
    return message.strip().split("\n", 1)[0][:200]


def find_commit(session: Session, sha: str) -> Commit:
    """The stored commit whose sha is ``sha`` or starts with it (at least 4 hex digits, unambiguous)."""
    if not _HEX.match(sha):
        raise InputError(f"commit {sha!r}: expected a sha or a prefix of at least 4 hex digits")
    rows = session.scalars(select(Commit).where(Commit.sha.startswith(sha.lower())).limit(2)).all()
    if not rows:
        raise NotFoundError(f"commit {sha} not found (run `argus ingest git` first?)")
    if len(rows) > 1:
        raise InputError(f"commit prefix {sha} is ambiguous: give more digits")
    return rows[0]


def change_detail(session: Session, sha: str) -> ChangeDetail:
    """Everything stored about one change: features, files and SZZ links in both directions."""
    c = find_commit(session, sha)
    feat = session.get(CommitFeatures, c.id)
    files = session.scalars(select(CommitFile).where(CommitFile.commit_id == c.id).order_by(CommitFile.path)).all()
    # the other side of each link is the (unaliased) Commit of the query: project scoping applies to it
    induced = session.execute(
        select(Commit.sha, Commit.message, BugLink.path, BugLink.lines)
        .join(BugLink, BugLink.inducing_commit_id == Commit.id)
        .where(BugLink.fix_commit_id == c.id)
        .order_by(Commit.sha, BugLink.path)
    ).all()
    fixed = session.execute(
        select(Commit.sha, Commit.message, BugLink.path, BugLink.lines)
        .join(BugLink, BugLink.fix_commit_id == Commit.id)
        .where(BugLink.inducing_commit_id == c.id)
        .order_by(Commit.sha, BugLink.path)
    ).all()
    return ChangeDetail(
        sha=c.sha,
        parents=list(c.parents),
        author=c.author_name,
        author_email=c.author_email,
        author_time=c.author_time,
        committer_time=c.committer_time,
        message=c.message,
        is_merge=c.is_merge,
        is_fix=c.is_fix,
        present=c.present,
        branch=c.branch,
        features={n: getattr(feat, n) for n in FEATURE_NAMES} if feat is not None else None,
        files=[FileRow(f.path, f.old_path, f.change_type, f.lines_added, f.lines_deleted, f.is_binary) for f in files],
        induced_by=[LinkRow(s, _summary(m), p, list(ln)) for s, m, p, ln in induced],
        fixed_by=[LinkRow(s, _summary(m), p, list(ln)) for s, m, p, ln in fixed],
        fix_source=c.fix_source,
        issues=issue_refs(session, [c.id]).get(c.id, []),
    )


def issue_refs(session: Session, commit_ids: list[int]) -> dict[int, list[IssueRef]]:
    """The issue references of these commits (with the stored issue, when there is one)."""
    out: dict[int, list[IssueRef]] = {}
    for i in range(0, len(commit_ids), 500):
        rows = session.execute(
            select(CommitIssueLink.commit_id, CommitIssueLink.issue_key, CommitIssueLink.source, Issue.id, Issue.is_bug)
            .outerjoin(Issue, Issue.key == CommitIssueLink.issue_key)
            .where(CommitIssueLink.commit_id.in_(commit_ids[i : i + 500]))
            .order_by(CommitIssueLink.commit_id, CommitIssueLink.id)
        )
        for cid, key, source, issue_id, is_bug in rows:
            out.setdefault(cid, []).append(IssueRef(key, source, issue_id is not None,
                                                    bool(is_bug) if issue_id is not None else None))
    return out


def parse_since(session: Session, since: str | None, now: datetime | None = None) -> datetime | None:
    """``--since``: an ISO date/time, a relative ``30d``/``2w``/``12h``, or a stored commit (its time)."""
    if not since:
        return None
    m = _RELATIVE.match(since.strip())
    if m:
        per_unit = {"d": 1.0, "w": 7.0, "h": 1 / 24}[m.group(2)]
        try:
            return ago(int(m.group(1)) * per_unit, now)
        except ValueError as exc:
            raise InputError(f"--since {since!r}: {exc}") from None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        pass
    else:
        if bounded_timestamp(moment) is None:
            raise InputError(f"--since {since!r}: expected a date from {MIN_TIMESTAMP:%Y-%m-%d} to {MAX_TIMESTAMP:%Y-%m-%d}")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if _HEX.match(since):
        return find_commit(session, since).committer_time
    raise InputError(f"--since {since!r}: expected an ISO date (2024-01-31), 30d / 2w / 12h, or a commit sha")


def changes_select(*, fixes_only: bool = False, include_absent: bool = False) -> Select[Any]:
    """Rows ``(Commit, files, lines added, lines deleted, later fixes)`` of the stored changes (no order,
    no limit): what :func:`change_summaries` turns into :class:`ChangeSummary` (the CLI's list and the
    API's pages share it)."""
    files = (
        select(CommitFile.commit_id, func.count().label("n"), func.sum(CommitFile.lines_added).label("la"),
               func.sum(CommitFile.lines_deleted).label("ld"))
        .group_by(CommitFile.commit_id)
        .subquery()
    )
    links = (
        select(BugLink.inducing_commit_id.label("cid"), func.count(func.distinct(BugLink.fix_commit_id)).label("n"))
        .group_by(BugLink.inducing_commit_id)
        .subquery()
    )
    q = (
        select(Commit, files.c.n, files.c.la, files.c.ld, links.c.n)
        .outerjoin(files, files.c.commit_id == Commit.id)
        .outerjoin(links, links.c.cid == Commit.id)
    )
    if fixes_only:
        q = q.where(Commit.is_fix.is_(True))
    if not include_absent:
        q = q.where(Commit.present.is_(True))
    return q


def change_summaries(session: Session, rows: Sequence[Any]) -> list[ChangeSummary]:
    """The summaries of rows of :func:`changes_select` (their issue references in one query per 500)."""
    refs = issue_refs(session, [r[0].id for r in rows])
    out = []
    for c, n, la, ld, fx, *_ in rows:
        out.append(ChangeSummary(c.sha, c.committer_time, c.author_name, _summary(c.message), c.is_fix, c.is_merge,
                                 c.present, int(n or 0), int(la or 0), int(ld or 0), int(fx or 0), c.fix_source,
                                 bool(fx), refs.get(c.id, [])))
    return out


def list_changes(
    session: Session, *, since: datetime | None = None, limit: int = 50, fixes_only: bool = False,
    include_absent: bool = False,
) -> list[ChangeSummary]:
    """Changes newest first, with size and how many later fixes blamed them."""
    q = changes_select(fixes_only=fixes_only, include_absent=include_absent)
    q = q.order_by(Commit.committer_time.desc(), Commit.id.desc()).limit(limit)
    if since is not None:
        q = q.where(Commit.committer_time > since)
    return change_summaries(session, session.execute(q).all())
