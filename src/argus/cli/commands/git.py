"""``argus ingest git`` (history, features, SZZ labels), ``argus ingest szz`` and ``argus changes show|list``."""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.cli.render import card, line, para, summary_line
from argus.ingest.git.queries import change_detail, list_changes, parse_since
from argus.ingest.git.service import ingest_git

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from argus.cli.app import CommandGroups
    from argus.ingest.git.labels import LabelOutcome
    from argus.ingest.git.queries import ChangeDetail
    from argus.ingest.git.szz import InducingLink
    from argus.ingest.git.szz_followup import SzzBatch, SzzFollowUp
    from argus.store.models import Project


_PROGRESS_LABELS = {"commits": ("reading history", "commits"), "szz": ("SZZ", "fixes blamed"),
                    "szz-done": ("SZZ", "fixes done")}


class _Progress:
    """Progress of ``ingest git`` on stderr: one rewritten line on a terminal, else a line every few seconds."""

    def __init__(self, stream: TextIO, live: bool) -> None:
        self.stream, self.live = stream, live
        self.phase: str | None = None
        self.last = 0.0
        self.open_line = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        final = total > 0 and done >= total
        if phase == self.phase and not final and now - self.last < (0.25 if self.live else 5.0):
            return
        if phase != self.phase:
            self.end_line()
        self.phase, self.last = phase, now
        title, unit = _PROGRESS_LABELS.get(phase, (phase, ""))
        of = f"/{total:,}" if total else ""
        pct = f" ({100 * done // total}%)" if total else ""
        text = f"{title}: {done:,}{of} {unit}{pct}"
        if self.live:
            self.stream.write("\r" + text.ljust(60))
            self.open_line = True
            if final:
                self.end_line()
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end_line(self) -> None:
        if self.open_line:
            self.stream.write("\n")
            self.stream.flush()
            self.open_line = False


def _fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.3f}"


def _print_detail(d: ChangeDetail) -> None:
    out = console()
    flags = [f for f, on in (("fix", d.is_fix), ("merge", d.is_merge), ("gone (force-pushed away)", not d.present)) if on]
    out.print(f"commit {d.sha}" + (f"  [{', '.join(flags)}]" if flags else ""), markup=False)
    out.print(f"author {d.author} <{d.author_email}>  {d.author_time:%Y-%m-%d %H:%M} UTC", markup=False)
    out.print("\n    " + "\n    ".join(d.message.rstrip().splitlines()) + "\n", markup=False)
    if d.features is not None:
        para(out, "JIT features (raw): " + ", ".join(f"{k}={_fmt(v)}" for k, v in d.features.items()))
    else:
        out.print("no features (merge or shallow-boundary commit)")
    if d.files:
        line(out, "files:")
        for f in d.files:
            size = "binary" if f.is_binary else f"+{f.lines_added} -{f.lines_deleted}"
            summary_line(out, f"  {f.path}", f"{f.change_type} {size}" + (f" (was {f.old_path})" if f.old_path else ""))
    for title, links in (("Introduced by (SZZ)", d.induced_by), ("Fixed later by (SZZ)", d.fixed_by)):
        if links:
            line(out, f"{title}:")
            for link in links:
                card(out, f"  {link.sha}", [f"{link.summary}", f"{link.path} lines {','.join(map(str, link.lines))}"],
                     indent="    ")


def register(root: typer.Typer, groups: CommandGroups) -> None:
    changes = typer.Typer(help="Ingested changes (commits): features, files, bug links.", no_args_is_help=True)
    root.add_typer(changes, name="changes")

    @groups.ingest.command("git")
    def ingest_git_cmd(
        ctx: typer.Context,
        repo: Path | None = typer.Option(None, "--repo", help="Repository (work tree or bare); default: the "
                                         "project's stored path, else the current directory."),
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        since: str | None = typer.Option(None, "--since", help="Only commits after this revision, or from this ISO "
                                         "date on (later runs start from the last ingested tip anyway)."),
        branch: str | None = typer.Option(None, "--branch", help="Branch or revision (default: current branch)."),
        szz: bool | None = typer.Option(None, "--szz/--no-szz", help="Label bug-inducing commits (default: settings)."),
        progress: bool | None = typer.Option(None, "--progress/--no-progress", show_default=False,
                                             help="Show progress (commits read, fixes blamed) on stderr "
                                             "[default: when stderr is a terminal]."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Ingest git history: commits, files, JIT features, fix labels and SZZ links (incremental)."""
        st = state(ctx)
        live = sys.stderr.isatty()
        reporter = _Progress(sys.stderr, live) if (live if progress is None else progress) else None
        try:
            with st.project_session(project, create=True) as (session, proj):
                path = repo or (Path(proj.repo_path) if proj.repo_path else Path.cwd())
                result = ingest_git(session, path, st.settings.git, branch=branch, since=since, szz=szz,
                                    progress=reporter, issues=st.settings.issues)
        finally:
            if reporter is not None:
                reporter.end_line()
        if json_out:
            print_json(result)
            return
        out = console()
        out.print(
            f"{result.repo} {result.branch} @ {result.head[:12]} ({result.mode}): {result.commits_new} new commits "
            f"of {result.commits_read} read, {result.files} files, {result.features} feature rows, "
            f"{result.merges} merges, {result.fixes} fixes",
            markup=False,
        )
        if result.marked_absent or result.restored:
            out.print(f"force-push: {result.marked_absent} commits no longer on the branch marked absent, "
                      f"{result.restored} restored", markup=False)
        if "szz" in result.seconds:
            out.print(f"SZZ: {result.fixes_blamed} fixes, {result.links} links "
                      f"({result.links_unresolved} to commits not ingested); not blamed: {result.fixes_tangled} "
                      f"tangled (> {st.settings.git.szz_max_files} source files), {result.fixes_no_source} without "
                      f"source lines to blame", markup=False)
        for note in result.notes:
            out.print(f"note: {note}", markup=False)
        out.print(f"took {result.seconds.get('total', 0.0):.2f} s", markup=False)

    @groups.ingest.command("szz")
    def ingest_szz_cmd(
        ctx: typer.Context,
        repo: Path | None = typer.Option(None, "--repo", help="Repository (default: the project's stored path, "
                                         "else the current directory)."),
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        batch: int = typer.Option(50, "--batch", min=1, max=10_000, help="Fixes per batch; each batch is "
                                  "committed on its own, so an interruption loses at most one."),
        max_fixes: int | None = typer.Option(None, "--max-fixes", min=1, help="Stop after this many fixes; "
                                             "a later run continues."),
        progress: bool | None = typer.Option(None, "--progress/--no-progress", show_default=False,
                                             help="Show progress (fixes done) on stderr [default: when stderr "
                                             "is a terminal]."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Label bug-inducing commits (SZZ) of fixes not processed yet, in committed batches (resumable)."""
        _run_szz(ctx, repo, project, batch, max_fixes, progress, json_out)

    @changes.command("show")
    def changes_show(
        ctx: typer.Context,
        sha: str = typer.Argument(..., help="Commit sha or unambiguous prefix (≥ 4 hex digits)."),
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Show one change: its features, files and SZZ links (what it fixed, what fixed it)."""
        with state(ctx).project_session(project) as (session, _):
            detail = change_detail(session, sha)
        if json_out:
            print_json(detail)
        else:
            _print_detail(detail)

    @changes.command("list")
    def changes_list(
        ctx: typer.Context,
        since: str | None = typer.Option(None, "--since", help="ISO date, 30d / 2w / 12h, or a commit sha."),
        limit: int = typer.Option(50, "--limit", min=1, max=100_000, help="At most this many, newest first."),
        fixes: bool = typer.Option(False, "--fixes", help="Only bug-fix commits."),
        all_: bool = typer.Option(False, "--all", help="Include commits a force-push removed."),
        project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """List changes newest first, with size, fix flag and how many later fixes blamed them."""
        with state(ctx).project_session(project) as (session, _):
            rows = list_changes(session, since=parse_since(session, since), limit=limit, fixes_only=fixes,
                                include_absent=all_)
        if json_out:
            print_json(rows)
            return
        if not rows:
            console().print("no changes match these filters" if since or fixes else
                            "no changes yet (run `argus ingest git`)", soft_wrap=True)
        out = console()
        for r in rows:
            flags = ", ".join(f for f, on in (("fix", r.is_fix), ("merge", r.is_merge), ("gone", not r.present)) if on)
            line(out, f"{r.sha[:12]}  {r.committer_time:%Y-%m-%d %H:%M}" + (f"  [{flags}]" if flags else ""))
            para(out, f"{r.summary} — {r.author}; {r.files} files +{r.lines_added} -{r.lines_deleted}"
                      + (f"; blamed by {r.fixed_later} later fix(es)" if r.fixed_later else ""), "  ")


def _store(job: SzzFollowUp, todo: SzzBatch, links: list[InducingLink], session: Session, _: Project) -> LabelOutcome:
    return job.store(session, todo, links)


def _run_szz(ctx: typer.Context, repo: Path | None, project: str | None, batch: int, max_fixes: int | None,
             progress: bool | None, json_out: bool) -> None:
    """Blame pending fixes batch by batch: read (short), blame (no transaction), store and commit."""
    from argus.ingest.git.szz_followup import SzzFollowUp, SzzRunResult, count_pending, count_stored

    st = state(ctx)
    started = time.perf_counter()
    stored_path, pending, commits = st.in_project(project, lambda s, p: (
        p.repo_path, count_pending(s), count_stored(s)))
    path = repo or (Path(stored_path) if stored_path else Path.cwd())
    result = SzzRunResult(repo=str(path), pending_before=pending)
    live = sys.stderr.isatty()
    reporter = _Progress(sys.stderr, live) if (live if progress is None else progress) and pending else None
    limit = min(pending, max_fixes) if max_fixes is not None else pending
    try:
        with SzzFollowUp(path, st.settings.git, stored_commits=commits) as job:
            while result.fixes < limit:
                if reporter is not None:
                    reporter("szz-done", result.fixes, limit)
                todo = st.in_project(project, lambda s, p: job.select(s, min(batch, limit - result.fixes)))
                if not todo.fixes:
                    break
                links, stats = job.blame(todo)
                outcome = st.in_project(project, partial(_store, job, todo, links))
                result.add(todo, job.blamed, outcome, stats)
            if reporter is not None and result.fixes:
                reporter("szz-done", result.fixes, result.fixes)
    finally:
        if reporter is not None:
            reporter.end_line()
    result.remaining = st.in_project(project, lambda s, p: count_pending(s))
    result.seconds["total"] = time.perf_counter() - started
    if json_out:
        print_json(result)
        return
    out = console()
    if not pending:
        out.print("SZZ: nothing to do, every stored fix has been through SZZ already", markup=False)
        return
    out.print(f"SZZ: {result.fixes} fixes in {result.batches} batch(es), {result.links} links "
              f"({result.links_unresolved} to commits not ingested); not blamed: {result.fixes_tangled} tangled "
              f"(> {st.settings.git.szz_max_files} source files), {result.fixes_no_source} without source lines "
              "to blame", markup=False)
    if result.over_blamed:
        out.print(f"note: {len(result.over_blamed)} commits were blamed by more than "
                  f"{st.settings.git.szz_max_fixes_per_inducing} fixes: their links were removed", markup=False)
    out.print(f"{result.remaining} fixes still pending" + (" (run `argus ingest szz` again to continue)"
              if result.remaining else "") + f"; took {result.seconds['total']:.2f} s", markup=False)
