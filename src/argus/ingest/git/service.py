"""Ingest a git branch: commits, files, Kamei features, fix labels and SZZ links (incrementally).

One run: resolve the branch; decide the range from the stored state of that branch (first run: the
whole history or ``--since``; later runs: only commits after the last ingested tip; after a
force-push: commits no longer on the branch are marked ``present = False`` and features are rebuilt
from the whole history); stream ``git log`` once, oldest first; compute features; write in batches;
save the feature state and tip; label bug-inducing commits of the new fixes (SZZ). The caller owns
the transaction: on any error nothing of the run is committed.

Merge commits are stored (parents, message, files against the first parent) but get no features,
are never fixes and do not count in history or experience: the merged branch's own commits do.
Shallow clones: the boundary commits' parents are missing, so they are stored without files or
features (their diff would be the whole tree) and history features only see the visible history.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from argus.core.clock import utcnow
from argus.core.errors import InputError
from argus.core.settings import GitSettings, IssueSettings
from argus.ingest.git import gitcmd
from argus.ingest.git.features import FEATURE_VERSION, FeatureState
from argus.ingest.git.labels import label_fixes
from argus.ingest.git.lines import LineCounter
from argus.ingest.git.logparse import FileChange, RawCommit, log_args, parse_stream, repair_idents
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.szz import InducingLink, SzzStats
from argus.ingest.git.szz_pipeline import BlamePipeline
from argus.ingest.git.szz_rules import LinkRules
from argus.ingest.git.writer import BatchWriter, Prepared, WriteStats
from argus.ingest.issues.links import CommitClassifier
from argus.ingest.issues.service import RelinkResult, classifier, relink
from argus.store.models import Commit, GitIngestState, Project
from argus.store.session import current_project_id

#: ``progress(phase, done, total)``: phase ``commits`` or ``szz``.
Progress = Callable[[str, int, int], None]
#: Histories shorter than this are blamed without building a commit-graph (it would cost more than it saves).
COMMIT_GRAPH_MIN_COMMITS = 1000
#: Commits between two progress calls while reading history.
PROGRESS_EVERY = 500


@dataclass
class GitIngestResult:
    """What one ``argus ingest git`` did."""

    repo: str
    branch: str
    head: str
    mode: str  # full | incremental | rebuild | up-to-date
    previous_tip: str | None = None
    commits_read: int = 0
    commits_new: int = 0
    merges: int = 0
    files: int = 0
    features: int = 0
    fixes: int = 0
    marked_absent: int = 0
    restored: int = 0
    links: int = 0
    links_unresolved: int = 0
    fixes_blamed: int = 0
    fixes_tangled: int = 0  # fixes changing more than git.szz_max_files source files (not blamed)
    fixes_no_source: int = 0  # fixes that changed no blameable source line (docs, tests, cosmetic only)
    links_later_than_fix: int = 0  # candidates authored after the fix (dropped)
    links_after_report: int = 0  # candidates authored after the fix's bug report was created (dropped)
    links_too_large: int = 0  # candidates changing more than git.szz_max_inducing_files files (dropped)
    issue_links: RelinkResult | None = None  # commit ↔ issue links and fix sources of the new commits
    over_blamed: list[str] = field(default_factory=list)  # commits blamed by too many fixes (links removed)
    blob_reads: int = 0
    malformed: int = 0  # commits whose author/committer line git could not parse (repaired, see notes)
    bare: bool = False
    shallow: bool = False
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def identity(name: str, email: str) -> tuple[str, str, str]:
    """(name, normalised e-mail, identity key): e-mail stripped and case-folded; key falls back to name."""
    norm = email.strip().casefold()
    return name.strip(), norm, norm or name.strip().casefold()


def _since_args(git: gitcmd.Git, since: str | None) -> tuple[list[str], str | None]:
    """``--since`` as an excluded revision (``^REV``) or an ISO date for git's ``--since``."""
    if not since:
        return [], None
    sha = gitcmd.resolve_commit(git, since)
    if sha is not None:
        return [f"^{sha}"], None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise InputError(f"--since {since!r}: expected a revision of the repository or an ISO date (2024-01-31)") from None
    return [], moment.isoformat()


def ingest_git(
    session: Session,
    repo_path: Path,
    settings: GitSettings,
    *,
    branch: str | None = None,
    since: str | None = None,
    szz: bool | None = None,
    progress: Progress | None = None,
    issues: IssueSettings | None = None,
) -> GitIngestResult:
    """Ingest ``branch`` (default: the repository's current branch) of ``repo_path`` into the project.

    ``progress(phase, done, total)`` is called now and then: phase ``commits`` while reading history
    (total from ``git rev-list --count``), then ``szz`` as fixes are blamed.
    """
    started = time.perf_counter()
    git, info = gitcmd.open_repo(repo_path)
    name = branch or gitcmd.current_branch(git) or "HEAD"
    head = gitcmd.resolve_commit(git, name)
    if head is None:
        if branch is None:
            raise InputError(f"git repository {repo_path} has no commits")
        raise InputError(f"git repository {repo_path}: branch or revision {branch!r} not found")
    project_id = current_project_id(session)
    project = session.get(Project, project_id)
    if project is not None:
        project.repo_path = str(repo_path.resolve())
    result = GitIngestResult(repo=str(repo_path), branch=name, head=head, mode="full", bare=info.bare,
                             shallow=info.shallow)
    extra, since_date = _since_args(git, since)
    state_row = session.scalars(select(GitIngestState).where(GitIngestState.branch == name)).first()
    revisions = [head]
    state = FeatureState()
    if state_row is not None:
        result.previous_tip = state_row.tip_sha
        if state_row.tip_sha == head and state_row.feature_version == FEATURE_VERSION:
            result.mode = "up-to-date"
        elif state_row.feature_version == FEATURE_VERSION and git.ok(
            ["merge-base", "--is-ancestor", state_row.tip_sha, head]
        ):
            result.mode = "incremental"
            revisions.append(f"^{state_row.tip_sha}")
            state = FeatureState.load(state_row.feature_state)
        else:
            result.mode = "rebuild"
            result.marked_absent = _mark_absent(session, git, name, head)
    if result.mode == "up-to-date":
        result.seconds["total"] = time.perf_counter() - started
        return result
    revisions.extend(extra)
    boundary = gitcmd.shallow_boundary(info)
    if info.shallow:
        result.notes.append(
            "shallow clone: history before the shallow boundary is missing; boundary commits are stored "
            "without files or features, history features (NDEV, AGE, NUC, EXP, REXP, SEXP) count only the "
            "visible history, and SZZ cannot link to commits beyond the boundary"
        )
    has_commits = session.execute(select(Commit.id).limit(1)).first() is not None
    writer = BatchWriter(session, name, batch_size=settings.batch_commits, check_existing=has_commits,
                         refresh_features=result.mode == "rebuild")
    detector = classifier(session, settings, issues or IssueSettings())  # tracker first, else the message
    catfile = gitcmd.CatFile(git)
    counter = LineCounter(catfile, settings.blob_cache_entries)
    do_szz = settings.szz if szz is None else szz
    total = _count_commits(git, revisions, since_date) if progress is not None or do_szz else 0
    with ExitStack() as stack:
        pipeline = _start_szz(stack, git, info, settings, result, total, head) if do_szz else None
        try:
            for commit in parse_stream(git.stream(log_args(revisions, since_date=since_date))):
                prepared = _prepare(commit, state, counter, detector, git, boundary, result)
                writer.add(prepared)
                if pipeline is not None:
                    if prepared.is_fix and commit.parents:
                        pipeline.add(commit.sha, commit.parents[0], commit.files)
                    pipeline.passed(commit.sha)  # the replay (if any) may go past this commit
                if progress is not None and result.commits_read % PROGRESS_EVERY == 0:
                    progress("commits", result.commits_read, total)
        except BaseException:
            writer.abort()
            raise
        else:
            writer.close()
        finally:
            catfile.close()
        # New commits were written with their decision and links; this catches stored commits never decided.
        leftover = relink(session, settings, issues or IssueSettings(), only_new=True, decide=detector)
        result.issue_links = _merge_links(writer.stats, leftover)
        result.seconds["history"] = time.perf_counter() - started
        stats = writer.stats
        result.commits_new, result.files, result.features = stats.commits_new, stats.files, stats.features
        result.restored, result.blob_reads = stats.restored, counter.reads
        if result.malformed:
            result.notes.append(
                f"{result.malformed} commits have an author or committer line git cannot parse (no date, a date "
                "out of range, a NUL in the name): names and dates were read leniently from the commit objects "
                "(a missing or out-of-range date takes the commit's other date, else 1970-01-01)"
            )
        _save_state(session, state_row, name, repo_path, head, state, stats.commits_new, info.shallow)
        if progress is not None:
            progress("commits", result.commits_read, max(total, result.commits_read))
        if pipeline is not None:
            t0 = time.perf_counter()
            links = pipeline.finish((lambda done, n: progress("szz", done, n)) if progress is not None else None)
            _store_links(session, settings, stats.new_fixes, links, pipeline.stats, result)
            result.seconds["szz_wait"] = time.perf_counter() - t0
            result.seconds["szz"] = result.seconds.get("szz_setup", 0.0) + result.seconds["szz_wait"]
    result.seconds["total"] = time.perf_counter() - started
    return result


def _merge_links(stats: WriteStats, leftover: RelinkResult) -> RelinkResult:
    """The links and fix decisions of the run: written with the new commits, plus the leftover relink's."""
    out = leftover
    out.commits += stats.decided
    out.links += sum(stats.links.values())
    by_source = Counter(leftover.links_by_source) + stats.links
    out.links_by_source = dict(sorted(by_source.items()))
    fixes = Counter(leftover.fixes_by_source) + stats.fixes_by_source
    out.fixes += sum(stats.fixes_by_source.values())
    out.fixes_by_source = dict(sorted(fixes.items()))
    out.commits_linked_to_stored_issue += stats.linked_to_stored
    return out


def _count_commits(git: gitcmd.Git, revisions: list[str], since_date: str | None) -> int:
    """How many commits the log will read (for progress only; 0 when git cannot say)."""
    args = ["rev-list", "--count", *([f"--since={since_date}"] if since_date else []), "--end-of-options", *revisions]
    out = git.run(args, check=False).strip()
    return int(out) if out.isdigit() else 0


def _start_szz(
    stack: ExitStack, git: gitcmd.Git, info: gitcmd.RepoInfo, settings: GitSettings, result: GitIngestResult,
    commits: int, head: str,
) -> BlamePipeline:
    """Start the background SZZ pipeline (through a temporary commit-graph for long histories)."""
    t0 = time.perf_counter()
    blame_git = git
    replay = settings.szz_replay and not info.shallow and commits >= settings.szz_replay_min_commits
    if settings.szz_commit_graph and commits >= COMMIT_GRAPH_MIN_COMMITS and not replay:  # the replay blames little
        graph = stack.enter_context(gitcmd.temporary_commit_graph(git, info))
        if graph is None:
            result.notes.append("git could not build a commit-graph (git >= 2.27 needed): SZZ ran without it")
        else:
            blame_git = graph
    pipeline = BlamePipeline(blame_git, SourceFilter.from_settings(settings), max_files=settings.szz_max_files,
                             workers=settings.szz_workers, add_context=settings.szz_add_only_context,
                             max_fix_added=settings.szz_max_fix_added,
                             max_inducing_per_fix=settings.szz_max_inducing_per_fix,
                             min_link_share=settings.szz_min_link_share, rules=LinkRules.from_settings(settings),
                             replay_tip=head if replay else None, replay_max_states=settings.szz_replay_max_branches)
    stack.callback(pipeline.close)
    result.seconds["szz_setup"] = time.perf_counter() - t0
    return pipeline


def _store_links(
    session: Session,
    settings: GitSettings,
    fixes: list[tuple[int, str, str]],
    links: list[InducingLink],
    stats: SzzStats,
    result: GitIngestResult,
) -> None:
    """Store the SZZ links of the run's new fixes and report what was left out."""
    outcome = label_fixes(session, fixes, links, max_fixes_per_inducing=settings.szz_max_fixes_per_inducing,
                          max_inducing_files=settings.szz_max_inducing_files, before_report=settings.szz_before_report,
                          pick=settings.szz_pick)
    result.links_after_report, result.links_too_large = outcome.after_report, outcome.too_large
    result.fixes_blamed, result.links, result.links_unresolved = outcome.fixes, outcome.links, outcome.unresolved
    result.fixes_tangled, result.fixes_no_source = stats.fixes_tangled, stats.fixes_no_source
    result.links_later_than_fix, result.over_blamed = outcome.later_than_fix, outcome.over_blamed
    if stats.fixes_feature_shaped or stats.links_low_share or stats.fixes_over_blaming:
        result.notes.append(
            f"SZZ distrusted {stats.fixes_feature_shaped} feature-shaped fixes (more than {settings.szz_max_fix_added} "
            f"source lines added, mostly additions: not blamed), {stats.links_low_share} candidates owning less than "
            f"{settings.szz_min_link_share:.0%} of a fix's blamed lines and {stats.fixes_over_blaming} fixes blaming "
            "too many commits"
        )
    if outcome.over_blamed:
        shown = ", ".join(s[:12] for s in outcome.over_blamed[:5]) + (" …" if len(outcome.over_blamed) > 5 else "")
        result.notes.append(
            f"{len(outcome.over_blamed)} commits were blamed by more than {settings.szz_max_fixes_per_inducing} "
            f"fixes (bulk imports or reformatting): their SZZ links were removed ({shown})"
        )


def _prepare(
    commit: RawCommit,
    state: FeatureState,
    counter: LineCounter,
    detector: CommitClassifier,
    git: gitcmd.Git,
    boundary: set[str],
    result: GitIngestResult,
) -> Prepared:
    """Derive identity, fix label, line counts and features of one commit (updating the state)."""
    result.commits_read += 1
    if commit.malformed:
        result.malformed += 1
        repair_idents(commit, git.run(["cat-file", "commit", commit.sha]).split(b"\n\n", 1)[0])
    name, email, key = identity(commit.author_name, commit.author_email)
    on_boundary = commit.sha in boundary
    if on_boundary:
        commit.parents = _true_parents(git, commit.sha)
    verdict = detector.decide(commit.message, is_merge=commit.is_merge, sha=commit.sha)
    if verdict.is_fix:
        result.fixes += 1
    if commit.is_merge:
        result.merges += 1
    lt: list[int] = []
    if commit.is_merge or on_boundary:
        _carry_line_counts(commit, counter)
    else:
        lt = _line_counts(commit.files, counter)
    features = None
    if not commit.is_merge and not on_boundary:
        features = state.compute(key, commit.committer_time, verdict.is_fix, commit.files, lt)
    return Prepared(commit, name, email, verdict.is_fix, features, store_files=not on_boundary,
                    fix_source=verdict.source, refs=verdict.refs,
                    linked_to_stored=any(k in detector.known for k, _ in verdict.refs))


def _line_counts(files: list[FileChange], counter: LineCounter) -> list[int]:
    """Lines of each file before the change (LT), recording the new versions' counts.

    Replaced versions are forgotten before new ones are remembered: a blob can leave one path and
    arrive at another in the same commit (a rename seen as delete + add, identical files).
    """
    before = [0 if f.change_type in ("A", "C") or f.binary else counter.lines(f.old_blob) for f in files]
    new: list[tuple[str, int]] = []
    for f, n in zip(files, before, strict=True):
        if f.change_type == "C":
            new.append((f.new_blob, counter.lines(f.old_blob) + f.added - f.deleted))
            continue
        if not f.binary and f.change_type != "D":
            new.append((f.new_blob, n + f.added - f.deleted))
        counter.forget(f.old_blob)
    for blob, n in new:
        counter.remember(blob, n)
    return before


def _carry_line_counts(commit: RawCommit, counter: LineCounter) -> None:
    """Line counts of the versions a merge brings in, when known; merges need no LT, so git is not read."""
    for f in commit.files:
        if f.binary or f.change_type == "D" or f.new_blob in counter.cache:
            continue
        old = 0 if f.change_type == "A" else counter.cache.get(f.old_blob)
        if old is not None:
            counter.remember(f.new_blob, old + f.added - f.deleted)


def _true_parents(git: gitcmd.Git, sha: str) -> list[str]:
    """Parents recorded in a commit object (a shallow clone's log shows none for boundary commits)."""
    raw = git.run(["cat-file", "commit", sha])
    header = raw.split(b"\n\n", 1)[0]
    return [ln[7:].decode() for ln in header.split(b"\n") if ln.startswith(b"parent ")]


def _mark_absent(session: Session, git: gitcmd.Git, branch: str, head: str) -> int:
    """Mark stored commits of ``branch`` that ``head`` no longer reaches (force-push) as not present."""
    reachable = set(git.run(["rev-list", head]).decode().split())
    stored = session.execute(select(Commit.id, Commit.sha).where(Commit.branch == branch, Commit.present.is_(True)))
    gone = [cid for cid, sha in stored if sha not in reachable]
    for i in range(0, len(gone), 500):
        session.execute(update(Commit).where(Commit.id.in_(gone[i : i + 500])).values(present=False))
    return len(gone)


def _save_state(
    session: Session,
    row: GitIngestState | None,
    branch: str,
    repo_path: Path,
    head: str,
    state: FeatureState,
    new_commits: int,
    shallow: bool,
) -> None:
    if row is None:
        row = GitIngestState(project_id=current_project_id(session), branch=branch, commits=0)
        session.add(row)
    row.repo_path = str(repo_path.resolve())
    row.tip_sha = head
    row.feature_version = FEATURE_VERSION
    row.feature_state = state.dump()
    row.commits = (row.commits or 0) + new_commits
    row.shallow = shallow
    row.updated_at = utcnow()
    session.flush()
