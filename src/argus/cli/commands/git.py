"""``argus ingest git`` (history, features, SZZ labels), ``argus ingest szz`` and ``argus changes show|list``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.cli.render import card, line, para, summary_line
from argus.report.ingest import record_json, records_json

if TYPE_CHECKING:
    from argus.app.git import ChangeDetail
    from argus.cli.app import CommandGroups


T = TypeVar("T")
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


def ingest_git(
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
    from argus.app.git import IngestHistoryRequest, ingest_history

    runtime = state(ctx).runtime
    request = IngestHistoryRequest(project, repo, Path.cwd(), since, branch, szz)
    result = _with_progress(progress, lambda reporter: ingest_history(runtime, request, reporter))
    if json_out:
        print_json(record_json(result))
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
                  f"tangled (> {runtime.settings.git.szz_max_files} source files), {result.fixes_no_source} "
                  "without source lines to blame", markup=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    out.print(f"took {result.seconds.get('total', 0.0):.2f} s", markup=False)


def ingest_szz(
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
    from argus.app.git import SzzRequest, run_szz

    runtime = state(ctx).runtime
    result = _with_progress(progress, lambda reporter: run_szz(
        runtime, SzzRequest(project, repo, Path.cwd(), batch, max_fixes), reporter))
    if json_out:
        print_json(record_json(result))
        return
    out = console()
    if not result.pending_before:
        out.print("SZZ: nothing to do, every stored fix has been through SZZ already", markup=False)
        return
    git = runtime.settings.git
    out.print(f"SZZ: {result.fixes} fixes in {result.batches} batch(es), {result.links} links "
              f"({result.links_unresolved} to commits not ingested); not blamed: {result.fixes_tangled} tangled "
              f"(> {git.szz_max_files} source files), {result.fixes_no_source} without source lines "
              "to blame", markup=False)
    if result.over_blamed:
        out.print(f"note: {len(result.over_blamed)} commits were blamed by more than "
                  f"{git.szz_max_fixes_per_inducing} fixes: their links were removed", markup=False)
    out.print(f"{result.remaining} fixes still pending" + (" (run `argus ingest szz` again to continue)"
              if result.remaining else "") + f"; took {result.seconds['total']:.2f} s", markup=False)


def changes_show(
    ctx: typer.Context,
    sha: str = typer.Argument(..., help="Commit sha or unambiguous prefix (≥ 4 hex digits)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show one change: its features, files and SZZ links (what it fixed, what fixed it)."""
    from argus.app.git import show_change

    detail = show_change(state(ctx).runtime, sha, project)
    if json_out:
        print_json(record_json(detail))
    else:
        _print_detail(detail)


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
    from argus.app.git import ListChangesRequest, list_changes

    rows = list_changes(state(ctx).runtime, ListChangesRequest(project, since, limit, fixes, all_))
    if json_out:
        print_json(records_json(rows))
        return
    out = console()
    if not rows:
        out.print("no changes match these filters" if since or fixes else
                  "no changes yet (run `argus ingest git`)", soft_wrap=True)
    for r in rows:
        flags = ", ".join(f for f, on in (("fix", r.is_fix), ("merge", r.is_merge), ("gone", not r.present)) if on)
        line(out, f"{r.sha[:12]}  {r.committer_time:%Y-%m-%d %H:%M}" + (f"  [{flags}]" if flags else ""))
        para(out, f"{r.summary} — {r.author}; {r.files} files +{r.lines_added} -{r.lines_deleted}"
                  + (f"; blamed by {r.fixed_later} later fix(es)" if r.fixed_later else ""), "  ")


def _reporter(progress: bool | None) -> _Progress | None:
    """Progress on stderr when asked (default: when stderr is a terminal)."""
    live = sys.stderr.isatty()
    return _Progress(sys.stderr, live) if (live if progress is None else progress) else None


def _with_progress(progress: bool | None, call: Callable[[_Progress | None], T]) -> T:
    """``call`` with the progress reporter asked for, its last line ended however ``call`` ends."""
    reporter = _reporter(progress)
    try:
        return call(reporter)
    finally:
        if reporter is not None:
            reporter.end_line()


def register(root: typer.Typer, groups: CommandGroups) -> None:
    changes = typer.Typer(help="Ingested changes (commits): features, files, bug links.", no_args_is_help=True)
    root.add_typer(changes, name="changes")
    groups.ingest.command("git")(ingest_git)
    groups.ingest.command("szz")(ingest_szz)
    changes.command("show")(changes_show)
    changes.command("list")(changes_list)
