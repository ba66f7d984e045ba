"""Use cases of test selection: store a coverage map; select the tests a change needs.

A change is a unified diff (text) or a revision range of a git repository (``git diff base head``);
the repository root (``root``) also gives the static import graph and the sources of changed tests.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from argus.analysis.selection.readmodels import MapIngested, SelectedTest, SelectionView
from argus.analysis.selection.schemas import Budget, Mode
from argus.core.errors import InputError
from argus.core.values import MAX_INT32

if TYPE_CHECKING:
    from argus.app.runtime import ProjectScope, Runtime

__all__ = ["Budget", "IngestMapRequest", "MapIngested", "Mode", "SelectRequest", "SelectedTest", "SelectionView",
           "change_diff", "ingest_map", "parse_budget", "select_tests"]


@dataclass(frozen=True)
class IngestMapRequest:
    data: bytes
    source: str
    project: str | None = None
    commit: str | None = None
    strip_prefix: str | None = None


@dataclass(frozen=True)
class SelectRequest:
    #: A unified diff; when None, ``git diff base head`` in ``root``.
    diff: str | None = None
    base: str | None = None
    head: str | None = None
    project: str | None = None
    budget: Budget | None = None  # None: safe mode at the configured confidence
    root: Path | None = None  # the repository: import graph, changed test sources, git diff
    commit: str | None = None  # prefer the coverage map of this commit
    persist: bool = False  # store the TEST_SELECTION insight


def parse_budget(budget: str | None = None, max_tests: int | None = None, max_time: str | None = None,
                 confidence: float | None = None) -> Budget | None:
    """One budget from the CLI's options (:class:`InputError` for none-or-several and bad values)."""
    given = [x for x in (budget, max_tests, max_time, confidence) if x is not None]
    if len(given) > 1:
        raise InputError("give one of --budget, --max-tests, --max-time, --confidence")
    if budget is not None:
        text = budget.strip().rstrip("%")
        try:
            v = float(text)
        except ValueError:
            raise InputError(f"--budget {budget!r}: give a share of the suite, e.g. 25%") from None
        if not 0 < v <= 100:
            raise InputError(f"--budget {budget!r}: give a share above 0% and at most 100%")
        return Budget(Mode.BUDGET, v / 100)
    if max_tests is not None:
        if not 1 <= max_tests <= MAX_INT32:
            raise InputError(f"--max-tests {str(max_tests)[:40]}: give a whole number from 1 to {MAX_INT32}")
        return Budget(Mode.MAX_TESTS, float(max_tests))
    if max_time is not None:
        return Budget(Mode.MAX_TIME, _seconds(max_time))
    if confidence is not None:
        if not 0 < confidence < 1:
            raise InputError(f"--confidence {confidence:g}: give a probability between 0 and 1, e.g. 0.99")
        return Budget(Mode.CONFIDENCE, confidence)
    return None


def _seconds(text: str) -> float:
    t = text.strip().lower()
    mult = {"s": 1, "m": 60, "h": 3600}
    try:
        v = float(t[:-1]) * mult[t[-1]] if t and t[-1] in mult else float(t)
    except ValueError:
        raise InputError(f"--max-time {text!r}: give a duration such as 90s, 10m or 1h") from None
    if not 0 < v < math.inf:  # also NaN
        raise InputError(f"--max-time {text!r}: give a positive (finite) duration")
    return v


def change_diff(root: Path, base: str, head: str | None) -> str:
    """``git diff base [head]`` of the repository at ``root`` (no head: against the working tree)."""
    from argus.ingest.git.gitcmd import Git

    args = ["diff", "--no-color", "--no-ext-diff", "-M", base] + ([head] if head else [])
    return Git(root).run(args).decode("utf-8", "replace")


def ingest_map(runtime: Runtime, req: IngestMapRequest) -> MapIngested:
    """Store a per-test coverage map (coverage.py JSON with contexts)."""

    def work(scope: ProjectScope) -> MapIngested:
        from argus.analysis.selection.service import ingest_map as put

        return put(scope.session, scope.project.slug, req.data, source=req.source, commit=req.commit,
                   strip_prefix=req.strip_prefix)

    return runtime.in_project(req.project, work, create=True)


def select_tests(runtime: Runtime, req: SelectRequest) -> SelectionView:
    """Rank every test by its chance of failing for the change and select what the budget allows."""
    from argus.analysis.selection.diffparse import parse_diff

    if req.diff is None:
        if req.base is None:
            raise InputError("give the change: --diff FILE (or - for stdin), or --base REV [--head REV]")
        diff = change_diff(req.root or Path.cwd(), req.base, req.head)
    else:
        diff = req.diff
    changed = parse_diff(diff)
    subject = req.head or req.commit or "diff:" + hashlib.sha256(diff.encode()).hexdigest()[:16]

    def work(scope: ProjectScope) -> SelectionView:
        from argus.analysis.selection.service import select_tests as run

        s = scope.settings.selection
        budget = req.budget or Budget(Mode.CONFIDENCE, s.default_confidence)
        _, view = run(scope.session, scope.project.slug, s, changed, budget, root=req.root, commit=req.commit,
                      subject=subject, persist=req.persist)
        return view

    return runtime.in_project(req.project, work)
