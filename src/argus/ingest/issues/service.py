"""Store tracker issues, link commits to them, and keep fix flags consistent in either order.

:func:`store_issues` upserts issues by key. :func:`relink` (re)computes, for the project's commits,
their issue references (:class:`~argus.store.models.CommitIssueLink`), the fix decision and what
decided it (``Commit.fix_source``) with the stored issues; git ingestion calls it for the commits it
adds, ``argus ingest issues`` for all of them. A commit whose fix flag changes gets its SZZ state
reset (links removed, ``szz_done_at`` cleared; the FIX feature updated), so the next
``argus ingest szz`` labels exactly the fixes the tracker now names — history then issues, or
issues then history, give the same labels.

:func:`distrust_links` applies the SZZ plausibility rules that need the tracker or the store:
a candidate inducing commit authored after the bug report of its fix was created cannot have caused
it (da Costa et al. 2017); a candidate that changed more than ``git.szz_max_inducing_files`` files
is a bulk change (import, mass rename, reformatting) and is distrusted (Kim et al. 2006; Rosa et al. 2021).
Services never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from argus.core.clock import utcnow
from argus.core.settings import GitSettings, IssueSettings
from argus.ingest.issues.links import SOURCE_RANK, CommitClassifier, IssueInfo, IssueRefs
from argus.ingest.issues.parsers import IssueRecord
from argus.ingest.issues.rules import BugRule
from argus.ingest.issues.workitems import store_work_items
from argus.store.models import (
    BugLink,
    Commit,
    CommitFeatures,
    CommitFile,
    CommitIssueLink,
    DeliveryPrCommit,
    DeliveryPullRequest,
    Issue,
)
from argus.store.session import current_project_id

CHUNK = 500


@dataclass
class IssueIngestResult:
    """What one ``argus ingest issues`` did."""

    file: str
    format: str
    issues: int = 0
    new: int = 0
    updated: int = 0
    bugs: int = 0
    work_items: int = 0  # delivery work items written (argus work points|epics)
    relink: RelinkResult | None = None
    distrusted: DistrustOutcome | None = None


@dataclass
class RelinkResult:
    """Links and fix decisions (re)computed for a set of commits."""

    commits: int = 0
    links: int = 0
    links_by_source: dict[str, int] = field(default_factory=dict)
    commits_linked_to_stored_issue: int = 0
    fixes: int = 0
    fixes_by_source: dict[str, int] = field(default_factory=dict)
    became_fix: int = 0
    no_longer_fix: int = 0
    szz_pending: int = 0  # fixes whose SZZ labels must be (re)computed: run `argus ingest szz`


def store_issues(session: Session, records: Sequence[IssueRecord], settings: IssueSettings) -> tuple[int, int, int]:
    """Insert or update ``records`` by key; ``(new, updated, bugs)``."""
    rule = BugRule(settings)
    project_id = current_project_id(session)
    existing: dict[str, Issue] = {}
    keys = [r.key for r in records]
    for i in range(0, len(keys), CHUNK):
        for stored in session.scalars(select(Issue).where(Issue.key.in_(keys[i : i + CHUNK]))):
            existing[stored.key] = stored
    new_rows: list[dict[str, Any]] = []
    bugs = updated = 0
    now = utcnow()
    for r in records:
        bug = rule.is_bug(r)
        bugs += bug
        values = {"tracker": r.tracker, "issue_type": r.issue_type, "title": r.title, "status": r.status,
                  "priority": r.priority, "labels": list(r.labels), "is_bug": bug, "created_at": r.created_at,
                  "resolved_at": r.resolved_at, "ingested_at": now}
        row = existing.get(r.key)
        if row is None:
            new_rows.append({"project_id": project_id, "key": r.key, **values})
        else:
            updated += 1
            for k, v in values.items():
                setattr(row, k, v)
    if new_rows:
        session.execute(insert(Issue), new_rows)
    session.flush()
    return len(new_rows), updated, bugs


def known_issues(session: Session) -> dict[str, IssueInfo]:
    """The project's stored issues as the fix decision sees them."""
    return {key: IssueInfo(bool(bug), created) for key, bug, created in
            session.execute(select(Issue.key, Issue.is_bug, Issue.created_at))}


def pr_refs(session: Session, refs: IssueRefs) -> dict[str, tuple[tuple[str, str], ...]]:
    """Issue references of the pull requests (title, body, head branch) by the sha of each commit they
    carried (``pr_commits``) and of their merge commit; empty without delivery data."""
    by_pr: dict[str, tuple[tuple[str, str], ...]] = {}
    merge_of: dict[str, str] = {}
    rows = session.execute(select(DeliveryPullRequest.ext_id, DeliveryPullRequest.title, DeliveryPullRequest.body,
                                  DeliveryPullRequest.head_branch, DeliveryPullRequest.merge_commit_sha))
    for ext_id, title, body, head, merge_sha in rows:
        found = refs.pull_request(title, body, head)
        if found:
            by_pr[ext_id] = found
            if merge_sha:
                merge_of[merge_sha] = ext_id
    if not by_pr:
        return {}
    out: dict[str, dict[str, str]] = {}

    def add(sha: str, pr: str) -> None:
        mine = out.setdefault(sha, {})
        for key, source in by_pr[pr]:
            if key not in mine or SOURCE_RANK[source] < SOURCE_RANK[mine[key]]:
                mine[key] = source

    for sha, pr in merge_of.items():
        add(sha, pr)
    for pr, sha in session.execute(select(DeliveryPrCommit.pr_id, DeliveryPrCommit.commit_sha)):
        if pr in by_pr:
            add(sha, pr)
    return {sha: tuple(found.items()) for sha, found in out.items()}


def classifier(session: Session, git: GitSettings, issues: IssueSettings) -> CommitClassifier:
    """The fix decision with the project's stored issues and its pull requests' references."""
    return CommitClassifier(git, issues, known_issues(session), pr_refs(session, IssueRefs(issues)))


def relink(session: Session, git: GitSettings, issues: IssueSettings, *, only_new: bool = False,
           decide: CommitClassifier | None = None) -> RelinkResult:
    """Recompute links, fix flags and fix sources; ``only_new``: commits never linked (``fix_source`` null)."""
    decide = decide or classifier(session, git, issues)
    project_id = current_project_id(session)
    out = RelinkResult()
    query = select(Commit.id, Commit.sha, Commit.message, Commit.is_merge, Commit.is_fix,
                   Commit.fix_source).order_by(Commit.id)
    if only_new:
        query = query.where(Commit.fix_source.is_(None))
    rows = session.execute(query).all()
    out.commits = len(rows)
    groups: dict[tuple[bool, str], list[int]] = {}
    changed: list[int] = []
    link_rows: list[dict[str, Any]] = []
    by_source: Counter[str] = Counter()
    fixes_by: Counter[str] = Counter()
    for cid, sha, message, is_merge, was_fix, old_source in rows:
        d = decide.decide(message or "", is_merge=bool(is_merge), sha=sha)
        for key, source in d.refs:
            link_rows.append({"project_id": project_id, "commit_id": cid, "issue_key": key[:64], "source": source})
            by_source[source] += 1
        if any(k in decide.known for k, _ in d.refs):
            out.commits_linked_to_stored_issue += 1
        if d.is_fix:
            out.fixes += 1
            fixes_by[d.source] += 1
        if d.is_fix != bool(was_fix):
            changed.append(cid)
            if d.is_fix:
                out.became_fix += 1
            else:
                out.no_longer_fix += 1
        if d.is_fix != bool(was_fix) or d.source != old_source:
            groups.setdefault((d.is_fix, d.source), []).append(cid)
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), CHUNK):
        session.execute(delete(CommitIssueLink).where(CommitIssueLink.project_id == project_id,
                                                      CommitIssueLink.commit_id.in_(ids[i : i + CHUNK])))
    for i in range(0, len(link_rows), 5000):
        session.execute(insert(CommitIssueLink), link_rows[i : i + 5000])
    for (is_fix, source), members in groups.items():
        for i in range(0, len(members), CHUNK):
            session.execute(update(Commit).where(Commit.project_id == project_id, Commit.id.in_(members[i : i + CHUNK]))
                            .values(is_fix=is_fix, fix_source=source))
    changed_set = set(changed)
    for (_is_fix, _), members in groups.items():
        chunked = [c for c in members if c in changed_set]
        for i in range(0, len(chunked), CHUNK):
            part = chunked[i : i + CHUNK]
            session.execute(update(CommitFeatures).where(CommitFeatures.project_id == project_id,
                                                         CommitFeatures.commit_id.in_(part)).values(fix=float(_is_fix)))
            session.execute(delete(BugLink).where(BugLink.project_id == project_id, BugLink.fix_commit_id.in_(part)))
            session.execute(update(Commit).where(Commit.project_id == project_id, Commit.id.in_(part))
                            .values(szz_done_at=None))
    out.links = len(link_rows)
    out.links_by_source = dict(sorted(by_source.items()))
    out.fixes_by_source = dict(sorted(fixes_by.items()))
    out.szz_pending = out.became_fix
    session.flush()
    return out


@dataclass
class DistrustOutcome:
    after_report: int = 0  # links whose inducing commit was authored after the fix's bug report was created
    too_large: int = 0  # links to commits changing more than git.szz_max_inducing_files files
    requeued: int = 0  # fixes queued for SZZ again (requeue: their links had been picked among implausible ones)


def distrust_links(session: Session, fix_ids: Iterable[int], *, max_inducing_files: int = 0,
                   before_report: bool = False, requeue: bool = False) -> DistrustOutcome:
    """Remove the stored SZZ links of ``fix_ids`` that the plausibility rules reject (see module docstring).

    ``requeue`` (stored links already narrowed by ``git.szz_pick``): a fix that loses a link here loses
    all its links and is queued for SZZ again, so its candidates are picked among the plausible ones.
    """
    out = DistrustOutcome()
    project_id = current_project_id(session)
    ids = sorted(set(fix_ids))
    if not ids or not (max_inducing_files > 0 or before_report):
        return out
    links: list[tuple[int, int, int, datetime]] = []
    for i in range(0, len(ids), CHUNK):
        links.extend(session.execute(
            select(BugLink.id, BugLink.fix_commit_id, BugLink.inducing_commit_id, Commit.author_time)
            .join(Commit, Commit.id == BugLink.inducing_commit_id)
            .where(BugLink.fix_commit_id.in_(ids[i : i + CHUNK]))
        ))
    if not links:
        return out
    drop: set[int] = set()
    if max_inducing_files > 0:
        inducing = sorted({link[2] for link in links})
        large: set[int] = set()
        for i in range(0, len(inducing), CHUNK):
            large.update(session.scalars(
                select(CommitFile.commit_id).where(CommitFile.commit_id.in_(inducing[i : i + CHUNK]))
                .group_by(CommitFile.commit_id).having(func.count() > max_inducing_files)))
        for link in links:
            if link[2] in large:
                drop.add(link[0])
                out.too_large += 1
    if before_report:
        reported = _report_times(session, ids)
        for link in links:
            when = reported.get(link[1])
            if link[0] not in drop and when is not None and _naive(link[3]) > _naive(when):
                drop.add(link[0])
                out.after_report += 1
    gone = sorted(drop)
    for i in range(0, len(gone), CHUNK):
        session.execute(delete(BugLink).where(BugLink.project_id == project_id, BugLink.id.in_(gone[i : i + CHUNK])))
    if requeue and drop:
        again = sorted({link[1] for link in links if link[0] in drop})
        out.requeued = len(again)
        for i in range(0, len(again), CHUNK):
            part = again[i : i + CHUNK]
            session.execute(delete(BugLink).where(BugLink.project_id == project_id, BugLink.fix_commit_id.in_(part)))
            session.execute(update(Commit).where(Commit.project_id == project_id, Commit.id.in_(part))
                            .values(szz_done_at=None))
    return out


def _report_times(session: Session, fix_ids: list[int]) -> dict[int, datetime]:
    """Earliest creation time of the bug issues each fix is linked to."""
    out: dict[int, datetime] = {}
    for i in range(0, len(fix_ids), CHUNK):
        rows = session.execute(
            select(CommitIssueLink.commit_id, func.min(Issue.created_at))
            .join(Issue, Issue.key == CommitIssueLink.issue_key)
            .where(CommitIssueLink.commit_id.in_(fix_ids[i : i + CHUNK]), Issue.is_bug.is_(True),
                   Issue.created_at.is_not(None))
            .group_by(CommitIssueLink.commit_id)
        )
        out.update({cid: when for cid, when in rows if when is not None})
    return out


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) is not None else value


def relink_after_pull_requests(session: Session, git: GitSettings, issues: IssueSettings) -> RelinkResult | None:
    """After pull requests (titles, bodies, head branches, their commits) were stored: relink every commit
    with them, so keys named only by a PR become links (``pr-title``/``pr-body``/``pr-branch``) and fix
    decisions. None when the project has no commits yet (git ingestion links them when they come)."""
    if session.execute(select(Commit.id).limit(1)).first() is None:
        return None
    result = relink(session, git, issues)
    fixes = list(session.scalars(select(Commit.id).where(Commit.is_fix.is_(True), Commit.szz_done_at.is_not(None))))
    distrusted = distrust_links(session, fixes, max_inducing_files=git.szz_max_inducing_files,
                                before_report=git.szz_before_report, requeue=git.szz_pick != "all")
    result.szz_pending += distrusted.requeued
    return result


def ingest_issues(session: Session, path: str, fmt: str, records: Sequence[IssueRecord], git: GitSettings,
                  issues: IssueSettings) -> IssueIngestResult:
    """Store ``records`` (as issues and as delivery work items) and relink every stored commit of the
    project with them."""
    result = IssueIngestResult(file=path, format=fmt, issues=len(records))
    result.new, result.updated, result.bugs = store_issues(session, records, issues)
    result.work_items = store_work_items(session, records, issues)
    result.relink = relink(session, git, issues)
    fixes = list(session.scalars(select(Commit.id).where(Commit.is_fix.is_(True), Commit.szz_done_at.is_not(None))))
    result.distrusted = distrust_links(session, fixes, max_inducing_files=git.szz_max_inducing_files,
                                       before_report=git.szz_before_report, requeue=git.szz_pick != "all")
    result.relink.szz_pending += result.distrusted.requeued
    return result
