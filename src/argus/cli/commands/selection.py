"""``argus ingest coverage-map`` and ``argus select``: test impact analysis and predictive selection.

Each command parses its options, calls one use case of :mod:`argus.app.selection` and renders the
read model: ``ids`` (one test id a line), ``pytest`` (node ids for ``pytest @file``), ``json``, or a
human summary on stderr beside the ids.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.app import selection as uc
from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.cli.validate import commit_sha
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_EXPLAIN = 20


class OutFormat(StrEnum):
    IDS = "ids"
    PYTEST = "pytest"
    JSON = "json"


def register(root: typer.Typer, groups: CommandGroups) -> None:
    groups.ingest.command("coverage-map")(ingest_coverage_map)
    root.command("select")(select_tests)


def ingest_coverage_map(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="coverage.py JSON with contexts (`coverage json --show-contexts`)."),
    project: str | None = _PROJECT,
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help="Commit the map was measured on."),
    strip_prefix: str | None = typer.Option(None, "--strip-prefix", help="Path prefix to drop from file names."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store a per-test coverage map (which tests execute which lines) for test selection."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror or exc})") from None
    res = uc.ingest_map(state(ctx).runtime, uc.IngestMapRequest(data, str(file), project, commit, strip_prefix))
    if json_out:
        print_json(res)
        return
    what = "already stored" if res.duplicate else "stored"
    c = console()
    c.print(f"coverage map {res.map_id} {what}: {res.tests} tests, {res.files} files", markup=False, highlight=False)
    c.print(f"  {res.lines} covered (test, line) pairs in {res.entries} rows, {res.stored_bytes / 1024:.1f} KiB",
            markup=False, highlight=False)


def _read_diff(diff: str) -> str:
    if diff == "-":
        return sys.stdin.read()
    try:
        return Path(diff).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"--diff {diff}: cannot read ({exc.strerror or exc})") from None


def select_tests(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    diff: str | None = typer.Option(None, "--diff", help="Unified diff file (`git diff` output), - for stdin."),
    base: str | None = typer.Option(None, "--base", help="Base revision: the change is `git diff BASE HEAD`."),
    head: str | None = typer.Option(None, "--head", help="Head revision (default: the working tree)."),
    budget: str | None = typer.Option(None, "--budget", help="Share of the suite, e.g. 25%."),
    max_tests: int | None = typer.Option(None, "--max-tests", help="At most N tests."),
    max_time: str | None = typer.Option(None, "--max-time", help="Time budget from stored durations, e.g. 10m."),
    confidence: float | None = typer.Option(None, "--confidence", help="Safe mode: P(no failing test skipped)."),
    fmt: OutFormat = typer.Option(OutFormat.IDS, "--format", "-f", help="ids, pytest or json."),
    root: Path = typer.Option(Path("."), "--root", help="Repository root (import graph, changed tests, git)."),
    commit: str | None = typer.Option(None, "--commit", callback=commit_sha, help="Prefer this commit's map."),
    save: bool = typer.Option(False, "--save", help="Store the selection as an insight."),
    explain: bool = typer.Option(False, "--explain", help="Print why each test was selected (stderr)."),
) -> None:
    """Select the tests a change needs, ranked by failure probability, with reasons."""
    if diff is not None and base is not None:
        raise InputError("give --diff or --base, not both")
    if head is not None and base is None:
        raise InputError("--head needs --base")
    b = uc.parse_budget(budget, max_tests, max_time, confidence)
    text = _read_diff(diff) if diff is not None else None
    view = uc.select_tests(state(ctx).runtime, uc.SelectRequest(text, base, head, project, b, root, commit, save))
    if fmt is OutFormat.JSON:
        print_json(view.as_json())
    else:
        for t in view.selected:
            out = t.test if fmt is OutFormat.IDS else (t.node_id or t.test)
            print(out)
    err = console(stderr=True)
    if fmt is not OutFormat.JSON:
        err.print(f"selected {len(view.selected)} of {view.total} tests ({view.mode}"
                  f"{', ' + view.budget if view.budget and view.mode != 'full' else ''}); "
                  f"estimated miss {100 * view.estimated_miss:.2g} %", soft_wrap=True, markup=False, highlight=False)
        for r in view.full_reasons:
            err.print(f"full suite: {r}", soft_wrap=True, markup=False, highlight=False)
        if view.uncovered:
            err.print(f"changed lines no test covers: {', '.join(view.uncovered[:10])}", soft_wrap=True,
                      markup=False, highlight=False)
    if explain:
        for t in view.selected[:_EXPLAIN]:
            err.print(f"{t.test} ({t.score:.2f}): {'; '.join(t.reasons) or 'fills the budget'}", soft_wrap=True,
                      markup=False, highlight=False)
        for t in view.skipped_tests[:5]:
            err.print(f"skipped {t.test}: {t.skip_reason}", soft_wrap=True, markup=False, highlight=False)
