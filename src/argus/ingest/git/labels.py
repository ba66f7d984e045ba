"""Store SZZ links (fix → bug-inducing commit) as evidence rows.

Each :class:`~argus.store.models.BugLink` keeps the fix, the inducing commit, the file and the line
numbers (in the fix's parent revision) that tie them, so a change-risk label can always be traced
back to the lines behind it. Inducing commits that are not stored (before a ``--since`` window or a
shallow boundary) cannot be linked and are counted as unresolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from argus.ingest.git.gitcmd import Git
from argus.ingest.git.szz import find_inducing
from argus.store.models import BugLink, Commit
from argus.store.session import current_project_id

METHOD = "szz-blame"


def label_fixes(
    session: Session, git: Git, fixes: Sequence[tuple[int, str, str]], *, max_files: int, workers: int
) -> tuple[int, int, int]:
    """Blame the fixes ``(commit id, sha, first parent)`` and store links; (fixes, links, unresolved)."""
    if not fixes:
        return 0, 0, 0
    fix_ids = {sha: cid for cid, sha, _ in fixes}
    links = list(find_inducing(git, [(sha, parent) for _, sha, parent in fixes], max_files=max_files,
                               workers=workers))
    wanted = sorted({link.inducing_sha for link in links})
    known: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        rows = session.execute(select(Commit.sha, Commit.id).where(Commit.sha.in_(wanted[i : i + 500])))
        known.update({sha: cid for sha, cid in rows})
    project_id = current_project_id(session)
    rows_out: dict[tuple[int, int, str], dict[str, Any]] = {}
    unresolved = 0
    for link in links:
        inducing = known.get(link.inducing_sha)
        if inducing is None:
            unresolved += 1
            continue
        key = (fix_ids[link.fix_sha], inducing, link.path)
        row = rows_out.get(key)
        if row is None:
            rows_out[key] = {"project_id": project_id, "fix_commit_id": key[0], "inducing_commit_id": inducing,
                             "path": link.path, "lines": sorted(link.lines), "method": METHOD}
        else:
            row["lines"] = sorted(set(row["lines"]) | set(link.lines))
    ids = list(fix_ids.values())
    for i in range(0, len(ids), 500):
        session.execute(delete(BugLink).where(BugLink.fix_commit_id.in_(ids[i : i + 500])))
    if rows_out:
        session.execute(insert(BugLink), list(rows_out.values()))
    return len(fixes), len(rows_out), unresolved
