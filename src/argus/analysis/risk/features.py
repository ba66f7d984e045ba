"""Feature assembly from ingested history: Kamei's 14 (stored by ``argus ingest git``), the time of the
change (hour and weekday in the author's time zone), CI history (failure rates of the touched files and of
the author's recent changes, from default-branch runs of EARLIER changes only), the author's earlier
bug-inducing rate (an SZZ label counts only once its fix was committed before the change), and the labels.

Everything about a change is computed from changes before it in time order, so no feature reads the future.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.risk.authors import known_bug_rate
from argus.analysis.risk.model import CONTEXT, DERIVED, KAMEI
from argus.core.settings import RiskLabel
from argus.store.models import BugLink, Commit, CommitFeatures, CommitFile, TestRun

#: Features of models trained on ingested history: Kamei's, the ratios, and the context (time, CI history,
#: impacted tests from the newest coverage map, radon complexity of the changed functions). A context
#: feature that cannot be computed (no coverage map, no repository or radon) is missing (NaN).
STORE_FEATURES = (*KAMEI, *DERIVED, *CONTEXT)


@dataclass(frozen=True)
class Context:
    """What the context features need besides the store: the newest coverage map as ``(tests, {file:
    test indices})`` and the per-commit radon complexity ``{sha: (complexity, delta)}``."""

    impact: tuple[int, dict[str, frozenset[int]]] | None = None
    complexity: dict[str, tuple[float, float]] | None = None


@dataclass
class ChangeRow:
    """One change's features and labels, in time order."""

    commit_id: int
    sha: str
    time: datetime
    author: str
    summary: str
    values: dict[str, float | None] = field(default_factory=dict)
    szz: bool = False
    ci_failed: bool | None = None  # None: no default-branch CI run at this commit

    def label(self, kind: RiskLabel) -> int | None:
        """1 broke something, 0 did not, ``None`` unknown (no CI run for a CI label)."""
        if kind is RiskLabel.SZZ:
            return int(self.szz)
        if kind is RiskLabel.CI:
            return None if self.ci_failed is None else int(self.ci_failed)
        if self.szz or self.ci_failed:
            return 1
        return 0


def ci_outcomes(session: Session, default_branch: str) -> dict[str, bool]:
    """Per commit sha: whether a CI run on the default branch at it failed (any failed or errored test)."""
    out: dict[str, bool] = {}
    rows = session.execute(select(TestRun.commit_sha, TestRun.failed, TestRun.errors)
                           .where(TestRun.commit_sha.is_not(None), TestRun.branch == default_branch))
    for sha, failed, errors in rows:
        if sha is not None:
            out[sha] = out.get(sha, False) or (failed or 0) + (errors or 0) > 0
    return out


def impacted(impact: tuple[int, dict[str, frozenset[int]]] | None, paths: Sequence[str]) -> tuple[float, float] | None:
    """``(number, share)`` of the coverage map's tests that executed any of ``paths``; None without a map."""
    if impact is None:
        return None
    total, by_file = impact
    hit: set[int] = set()
    for p in paths:
        hit |= by_file.get(p, frozenset())
    return float(len(hit)), (len(hit) / total if total else 0.0)


def load_changes(session: Session, *, default_branch: str, window: int = 20,
                 context: Context | None = None) -> list[ChangeRow]:
    """Every present non-merge commit with features, oldest first, with context features and labels.

    The impacted-test count reads the newest coverage map for every change (the map of the code as it is
    now, not as it was: a structural feature, not a label; documented in docs/analysis/risk.md)."""
    ctx = context or Context()
    commits = session.execute(
        select(Commit.id, Commit.sha, Commit.committer_time, Commit.author_time, Commit.author_tz_minutes,
               Commit.author_email, Commit.message, CommitFeatures)
        .join(CommitFeatures, CommitFeatures.commit_id == Commit.id)
        .where(Commit.present.is_(True), Commit.is_merge.is_(False))
        .order_by(Commit.committer_time, Commit.id)).all()
    fixed_at: dict[int, datetime] = {}  # an inducing change → when its earliest fix was committed
    for inducing_id, when in session.execute(select(BugLink.inducing_commit_id, Commit.committer_time)
                                             .join(Commit, Commit.id == BugLink.fix_commit_id)):
        if inducing_id not in fixed_at or when < fixed_at[inducing_id]:
            fixed_at[inducing_id] = when
    inducing = set(session.scalars(select(BugLink.inducing_commit_id).distinct()))
    files: dict[int, list[str]] = defaultdict(list)
    for cid, path in session.execute(select(CommitFile.commit_id, CommitFile.path)):
        files[cid].append(path)
    ci = ci_outcomes(session, default_branch)
    by_file: dict[str, deque[bool]] = defaultdict(lambda: deque(maxlen=window))
    by_author: dict[str, deque[bool]] = defaultdict(lambda: deque(maxlen=window))
    rows: list[ChangeRow] = []
    for cid, sha, ctime, atime, tz, email, message, feats in commits:
        local = atime + timedelta(minutes=tz or 0)
        values: dict[str, float | None] = {k: float(getattr(feats, k)) for k in KAMEI}
        values["hour"] = float(local.hour)
        values["weekday"] = float(local.weekday())
        rates = [sum(by_file[p]) / len(by_file[p]) for p in files.get(cid, ()) if by_file[p]]
        values["file_fail_rate"] = max(rates) if rates else None
        hist = by_author[email.lower()]
        values["author_fail_rate"] = sum(hist) / len(hist) if hist else None
        imp = impacted(ctx.impact, files.get(cid, ()))
        values["impacted_tests"], values["impacted_share"] = imp if imp is not None else (None, None)
        cx = ctx.complexity.get(sha) if ctx.complexity is not None else None
        values["complexity"], values["complexity_delta"] = cx if cx is not None else (None, None)
        failed = ci.get(sha)
        rows.append(ChangeRow(cid, sha, ctime, email, (message or "").strip().splitlines()[0][:80]
                              if (message or "").strip() else "", values, cid in inducing, failed))
        if failed is not None:  # known from now on: later changes may use it
            for p in files.get(cid, ()):
                by_file[p].append(failed)
            hist.append(failed)
    _author_bug_rate(rows, fixed_at)
    return rows


def _author_bug_rate(rows: Sequence[ChangeRow], fixed_at: dict[int, datetime]) -> None:
    """The author's earlier bug-inducing rate from labels known at each change's time: an earlier change
    counts as bug-inducing only once a fix blamed on it was committed before the change being scored."""
    r = known_bug_rate([x.time.timestamp() for x in rows], [x.author.lower() for x in rows],
                       [fixed_at[x.commit_id].timestamp() if x.commit_id in fixed_at else None for x in rows])
    for i, x in enumerate(rows):
        x.values["author_bug_rate"] = finite(float(r["author_bug_rate"][i]))
        x.values["author_bug_known"] = float(r["author_bug_known"][i])


def labelled(rows: Sequence[ChangeRow], kind: RiskLabel, *, now: datetime,
             maturity_days: float = 0.0) -> tuple[list[ChangeRow], list[int]]:
    """The rows with a known label, oldest first; negatives younger than ``maturity_days`` are left out."""
    out, labels = [], []
    young = now - timedelta(days=maturity_days)
    for r in rows:
        y = r.label(kind)
        if y is None or (y == 0 and maturity_days > 0 and r.time > young):
            continue
        out.append(r)
        labels.append(y)
    return out, labels


def finite(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v
