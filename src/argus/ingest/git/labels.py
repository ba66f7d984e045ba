"""Store SZZ links (fix → bug-inducing commit) as evidence rows.

Each :class:`~argus.store.models.BugLink` keeps the fix, the inducing commit, the file and the line
numbers (in the fix's parent revision) that tie them, so a change-risk label can always be traced
back to the lines behind it. Inducing commits that are not stored (before a ``--since`` window or a
shallow boundary) cannot be linked and are counted as unresolved.

Two plausibility rules after da Costa et al. (2017): a candidate authored *after* the fix was
authored cannot have caused the bug the fix was written for (it reached the fix's ancestry by a
rebase) and is dropped; a commit blamed by more than ``max_fixes_per_inducing`` distinct fixes —
stored ones included — is almost always a bulk import, a move or a reformatting, not the cause of
that many bugs: its links are removed, the commit is named in the result and flagged
(``Commit.szz_over_blamed``), so later passes (an incremental ingest, the next batch of ``argus
ingest szz``) link nothing more to it — the cap gives the same links in one pass or in batches.
With ``max_inducing_files`` and ``before_report``, :func:`argus.ingest.issues.service.distrust_links`
then drops links to very large commits and to commits authored after the fix's bug report.
Every fix handed in is marked as considered (``Commit.szz_done_at``), links or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from argus.core.clock import utcnow
from argus.ingest.git.szz import InducingLink, SzzStats
from argus.ingest.git.szz_rules import pick_candidates
from argus.ingest.issues.service import distrust_links
from argus.store.models import BugLink, Commit
from argus.store.session import current_project_id

METHOD = "szz-blame"


@dataclass
class LabelOutcome:
    """What one SZZ pass stored and left out."""

    fixes: int = 0
    links: int = 0
    unresolved: int = 0  # links to commits that are not stored
    later_than_fix: int = 0  # candidates authored after the fix (dropped)
    over_blamed: list[str] = field(default_factory=list)  # shas blamed by too many fixes (links removed)
    to_over_blamed: int = 0  # links dropped because an earlier pass found their inducing commit over-blamed
    after_report: int = 0  # links to commits authored after the fix's bug report was created (dropped)
    too_large: int = 0  # links to commits changing more than git.szz_max_inducing_files files (dropped)
    not_picked: int = 0  # links of candidates git.szz_pick did not keep (dropped)
    stats: SzzStats = field(default_factory=SzzStats)


def label_fixes(
    session: Session,
    fixes: Sequence[tuple[int, str, str]],
    links: Sequence[InducingLink],
    *,
    max_fixes_per_inducing: int = 0,
    max_inducing_files: int = 0,
    before_report: bool = False,
    pick: str = "all",
) -> LabelOutcome:
    """Store the links of the fixes ``(commit id, sha, first parent)`` (replacing earlier ones).

    Links of fixes not in ``fixes`` (commits stored by an earlier run) are ignored.
    """
    out = LabelOutcome(fixes=len(fixes))
    if not fixes:
        return out
    fix_ids = {sha: cid for cid, sha, _ in fixes}
    links = [link for link in links if link.fix_sha in fix_ids]
    wanted = sorted({link.inducing_sha for link in links} | set(fix_ids))
    known: dict[str, tuple[int, Any]] = {}
    flagged: set[str] = set()
    for i in range(0, len(wanted), 500):
        rows = session.execute(
            select(Commit.sha, Commit.id, Commit.author_time, Commit.szz_over_blamed)
            .where(Commit.sha.in_(wanted[i : i + 500]))
        )
        for sha, cid, when, over in rows:
            known[sha] = (cid, when)
            if over:
                flagged.add(sha)
    project_id = current_project_id(session)
    rows_out: dict[tuple[int, int, str], dict[str, Any]] = {}
    for link in links:
        inducing = known.get(link.inducing_sha)
        if inducing is None:
            out.unresolved += 1
            continue
        fix_when = known[link.fix_sha][1] if link.fix_sha in known else None
        if fix_when is not None and _naive(inducing[1]) > _naive(fix_when):
            out.later_than_fix += 1
            continue
        if link.inducing_sha in flagged:
            out.to_over_blamed += 1
            continue
        key = (fix_ids[link.fix_sha], inducing[0], link.path)
        row = rows_out.get(key)
        if row is None:
            rows_out[key] = {"project_id": project_id, "fix_commit_id": key[0], "inducing_commit_id": inducing[0],
                             "path": link.path, "lines": sorted(link.lines), "method": link.method or METHOD}
        else:
            row["lines"] = sorted(set(row["lines"]) | set(link.lines))
    ids = list(fix_ids.values())
    now = utcnow()
    for i in range(0, len(ids), 500):
        session.execute(delete(BugLink).where(BugLink.fix_commit_id.in_(ids[i : i + 500])))
        session.execute(update(Commit).where(Commit.id.in_(ids[i : i + 500])).values(szz_done_at=now))
    if rows_out:
        session.execute(insert(BugLink), list(rows_out.values()))
        distrusted = distrust_links(session, ids, max_inducing_files=max_inducing_files, before_report=before_report)
        out.after_report, out.too_large = distrusted.after_report, distrusted.too_large
        out.not_picked = _pick(session, ids, pick)
    if max_fixes_per_inducing > 0:
        out.over_blamed = _remove_over_blamed(session, {k[1] for k in rows_out}, max_fixes_per_inducing)
    out.links = _count_links(session, ids) if (out.over_blamed or out.after_report or out.too_large
                                               or out.not_picked) else len(rows_out)
    return out


def _pick(session: Session, fix_ids: list[int], mode: str) -> int:
    """Apply ``git.szz_pick`` to the stored links of ``fix_ids``; the number of links dropped."""
    if mode == "all":
        return 0
    rows: list[tuple[int, int, int, int, Any]] = []
    for i in range(0, len(fix_ids), 500):
        rows.extend((lid, fid, iid, len(lines or ()), when) for lid, fid, iid, lines, when in session.execute(
            select(BugLink.id, BugLink.fix_commit_id, BugLink.inducing_commit_id, BugLink.lines, Commit.author_time)
            .join(Commit, Commit.id == BugLink.inducing_commit_id)
            .where(BugLink.fix_commit_id.in_(fix_ids[i : i + 500]))))
    drop = sorted(pick_candidates(rows, mode))
    for i in range(0, len(drop), 500):
        session.execute(delete(BugLink).where(BugLink.id.in_(drop[i : i + 500])))
    return len(drop)


def _naive(value: Any) -> Any:
    """Compare datetimes whatever the driver returns (SQLite gives naive UTC, PostgreSQL aware)."""
    return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) is not None else value


def _remove_over_blamed(session: Session, inducing_ids: set[int], limit: int) -> list[str]:
    """Delete every link to a commit blamed by more than ``limit`` distinct fixes; their shas."""
    over: list[int] = []
    candidates = sorted(inducing_ids)
    for i in range(0, len(candidates), 500):
        rows = session.execute(
            select(BugLink.inducing_commit_id)
            .where(BugLink.inducing_commit_id.in_(candidates[i : i + 500]))
            .group_by(BugLink.inducing_commit_id)
            .having(func.count(func.distinct(BugLink.fix_commit_id)) > limit)
        )
        over.extend(cid for (cid,) in rows)
    if not over:
        return []
    session.execute(delete(BugLink).where(BugLink.inducing_commit_id.in_(over)))
    session.execute(update(Commit).where(Commit.id.in_(over)).values(szz_over_blamed=True))
    return sorted(session.scalars(select(Commit.sha).where(Commit.id.in_(over))))


def _count_links(session: Session, fix_ids: list[int]) -> int:
    total = 0
    for i in range(0, len(fix_ids), 500):
        total += session.scalar(
            select(func.count()).select_from(BugLink).where(BugLink.fix_commit_id.in_(fix_ids[i : i + 500]))
        ) or 0
    return total
