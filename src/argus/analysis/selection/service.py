"""Store coverage maps; select the tests a change needs (load → algo → Insight). Never commits.

This is the module of test selection another capability imports (the gate's PR report calls
:func:`select_tests`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session

from argus.analysis.selection import queries as q
from argus.analysis.selection.algo import select, skip_reason
from argus.analysis.selection.diffparse import old_side
from argus.analysis.selection.imports import ImportGraph, build_graph, python_files
from argus.analysis.selection.insights import selection_insight
from argus.analysis.selection.mapfile import parse_coverage_json
from argus.analysis.selection.readmodels import MapIngested, SelectedTest, SelectionView
from argus.analysis.selection.schemas import (
    Budget,
    ChangedFile,
    FileStatus,
    Mode,
    Selection,
    SelectParams,
    TestInfo,
)
from argus.analysis.selection.testfiles import is_test_file
from argus.core.settings import SelectionSettings, derive

__all__ = ["budget_text", "has_map", "ingest_map", "params_from", "select_tests"]

_SKIPPED_SHOWN = 50


def params_from(s: SelectionSettings) -> SelectParams:
    return derive(SelectParams, s)


def ingest_map(session: Session, project: str, data: bytes, *, source: str, commit: str | None = None,
               strip_prefix: str | None = None) -> MapIngested:
    """Parse and store a coverage.py JSON report with contexts (the same bytes twice: stored once)."""
    digest = hashlib.sha256(data).hexdigest()
    old = q.find_map_by_hash(session, digest)
    if old is not None:
        return MapIngested(project, old.id, old.commit_sha, old.n_tests, old.n_files, old.n_entries, old.n_lines,
                           old.stored_bytes, duplicate=True)
    parsed = parse_coverage_json(data, source=source, strip_prefix=strip_prefix)
    row = q.store_map(session, parsed, source=source, content_hash=digest, commit=commit)
    return MapIngested(project, row.id, commit, row.n_tests, row.n_files, row.n_entries, row.n_lines,
                       row.stored_bytes, contexts_skipped=parsed.contexts_skipped)


def has_map(session: Session) -> bool:
    """Whether a coverage map is stored for the scoped project."""
    from sqlalchemy import select as sql_select

    from argus.store.models import CoverageMap

    return session.scalars(sql_select(CoverageMap.id).limit(1)).first() is not None


def budget_text(b: Budget) -> str:
    if b.mode is Mode.BUDGET:
        return f"{100 * b.value:g}%"
    if b.mode is Mode.MAX_TESTS:
        return f"{int(b.value)} tests"
    if b.mode is Mode.MAX_TIME:
        return f"{b.value:g}s"
    return f"confidence {b.value:g}"


def _infos(session: Session, s: SelectionSettings) -> tuple[dict[str, TestInfo], list[tuple[int, str | None]],
                                                            dict[str, list[tuple[int, int]]]]:
    runs = q.recent_runs(session, s.history_runs) if s.history_runs else []
    stats = q.test_stats(session, [r for r, _ in runs])
    fails = q.failing_results(session, [r for r, _ in runs])
    flaky: set[str] = set()
    failing_ids = [t.identity for t in stats if t.failures]
    if failing_ids:
        from argus.analysis.flaky.service import FlakyStatus, flaky_status

        status = flaky_status(session, failing_ids) or {}
        flaky = {i for i, st in status.items() if st is FlakyStatus.FLAKY}
    infos = {
        t.identity: TestInfo(t.identity, t.node_id, t.duration_s, t.runs, t.failures, t.last_failed,
                             t.identity in flaky, tuple(r for r, _ in fails.get(t.identity, ())))
        for t in stats
    }
    return infos, runs, fails


def base_side_graph(root: Path, changed: Sequence[ChangedFile], cache_dir: Path | None = None) -> ImportGraph:
    """The import graph of the checkout at ``root`` with each changed file read on the *base* side of the
    diff — the side the changed line numbers and the coverage map refer to (the checkout usually holds
    the new side: its hunks are undone). A changed file whose checkout text matches neither side keeps
    its import edges but loses its symbol facts (line-level analysis of it falls back, never misreads).
    With ``cache_dir``, the scan goes through the per-file scan cache kept there (only files whose text
    the cache does not hold are parsed)."""
    from argus.analysis.selection.scancache import ScanCache
    from argus.analysis.selection.subprocs import read_metadata

    sources = python_files(root)
    unknown: list[str] = []
    for f in changed:
        if f.binary or f.status is FileStatus.ADDED or not f.base_path.endswith(".py"):
            continue
        old = old_side(sources.get(f.path), f)
        if old is not None:
            sources[f.base_path] = old
        elif f.hunks:
            unknown.append(f.base_path)
    graph = build_graph(sources, read_metadata(root), ScanCache(cache_dir, root) if cache_dir is not None else None)
    for path in unknown:
        graph.symbols.pop(path, None)
        graph.callables.pop(path, None)
        graph.main_blocks.pop(path, None)
    return graph


def _test_sources(root: Path | None, changed: Sequence[ChangedFile], p: SelectParams) -> dict[str, str]:
    out: dict[str, str] = {}
    if root is None:
        return out
    for f in changed:
        if f.status is not FileStatus.DELETED and is_test_file(f.path, p.test_globs):
            path = root / f.path
            if path.is_file():
                out[f.path] = path.read_text(encoding="utf-8", errors="replace")
    return out


def select_tests(
    session: Session,
    project: str,
    settings: SelectionSettings,
    changed: Sequence[ChangedFile],
    budget: Budget,
    *,
    root: Path | None = None,
    graph: ImportGraph | None = None,
    commit: str | None = None,
    subject: str = "change",
    persist: bool = False,
) -> tuple[Selection, SelectionView]:
    """Rank every test for ``changed`` and fill ``budget``; store the TEST_SELECTION insight when ``persist``."""
    p = params_from(settings)
    m = q.latest_map(session, commit)
    if graph is None and root is not None:
        graph = base_side_graph(root, changed, settings.scan_cache_dir if settings.scan_cache else None)
    files = {f.base_path for f in changed} | {f.path for f in changed}
    if graph is not None:  # symbol-level evidence for import-time lines reads the rows of the code using a name
        for f in list(files):
            if f.endswith(".py") and not is_test_file(f, p.test_globs):
                files |= {g for g in graph.importers(f) if not is_test_file(g, p.test_globs)}
    index = q.load_index(session, m, files)
    infos, runs, fails = _infos(session, settings)
    cof = q.cofailures(session, runs, sorted({f.base_path for f in changed}), fails, settings.history_half_life_runs)
    sel = select(changed, index, infos, budget, cof, graph, p, _test_sources(root, changed, p))
    if not settings.enabled:
        sel = replace(sel, mode=Mode.FULL, tests=tuple(replace(t, selected=True) for t in sel.tests),
                      full_reasons=("test selection is disabled (TEST_SELECTION_ENABLED=false)",), estimated_miss=0.0)
    notes = sel.notes
    view = _view(project, sel, m.id if m is not None else None, budget, notes)
    if persist:
        from argus.analysis.insights.service import save_insights

        ins = selection_insight(sel, subject, p, view.as_json())
        (iid,) = save_insights(session, [ins])
        view = SelectionView(**{**view.__dict__, "insight_id": iid})
    return sel, view


def _view(project: str, sel: Selection, map_id: int | None, budget: Budget, notes: Sequence[str]) -> SelectionView:
    def texts(t: object) -> tuple[str, ...]:
        return tuple(r.text for r in t.reasons if r.signal.value != "prior")  # type: ignore[attr-defined]

    chosen = tuple(SelectedTest(t.identity, t.node_id, t.score, texts(t), True) for t in sel.tests if t.selected)
    skipped = tuple(SelectedTest(t.identity, t.node_id, t.score, texts(t), False, skip_reason(t))
                    for t in sel.tests if not t.selected)
    uncovered = tuple(f"{u.file}:{n}" for u in sel.uncovered for n in u.lines)
    return SelectionView(project, sel.mode.value, len(sel.tests), chosen, skipped, sel.changed_files,
                         sel.full_reasons, uncovered, sel.estimated_miss, tuple(notes), map_id, None,
                         budget_text(budget))


# --------------------------------------------------------------------------------------------- for change risk


def impact_index(session: Session) -> tuple[int, dict[str, frozenset[int]]] | None:
    """The newest coverage map as ``(number of tests, {file: indices of the tests that executed it})``;
    ``None`` when no map is stored. What change risk counts the impacted tests of a change with."""
    from sqlalchemy import select as sql_select

    from argus.store.models import CoverageMapEntry
    from argus.store.session import current_project_id

    m = q.latest_map(session)
    if m is None:
        return None
    e = CoverageMapEntry.__table__.c
    by_file: dict[int, set[int]] = {}
    for fi, ti in session.execute(sql_select(e.file_idx, e.test_idx).distinct()
                                  .where(e.project_id == current_project_id(session), e.map_id == m.id)):
        by_file.setdefault(int(fi), set()).add(int(ti))
    return len(m.tests), {m.files[fi]: frozenset(t) for fi, t in by_file.items() if fi < len(m.files)}


def changed_files(diff: str | None, paths: Sequence[str] = ()) -> list[ChangedFile]:
    """The changed files of a unified diff, or (no diff) of bare paths (file level: no line is known)."""
    from argus.analysis.selection.diffparse import parse_diff

    if diff:
        return parse_diff(diff)
    return [ChangedFile(p, None, FileStatus.MODIFIED) for p in paths]


def tests_to_run(session: Session, project: str, settings: SelectionSettings, changed: Sequence[ChangedFile], *,
                 root: Path | None = None, subject: str = "change") -> SelectionView | None:
    """The safe-mode selection (configured confidence) for ``changed``; ``None`` without a coverage map."""
    if not changed or not has_map(session):
        return None
    _, view = select_tests(session, project, settings, changed, Budget(Mode.CONFIDENCE, settings.default_confidence),
                           root=root, subject=subject)
    return view
