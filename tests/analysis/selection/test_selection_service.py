"""Test selection against a real database: the map stored compactly, history read from stored runs and
commits, the selection stored as an insight whose evidence points at map rows and results."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.analysis.insights.service import get_insight
from argus.analysis.selection.diffparse import parse_diff
from argus.analysis.selection.schemas import Budget, Mode
from argus.analysis.selection.service import ingest_map, select_tests
from argus.core.settings import SelectionSettings
from argus.store.models import Commit, CommitFile, CoverageMapEntry
from argus.store.session import current_project_id
from argus.testing.builders import History

MOD = "src/pkg/mod.py"
REPORT = {"files": {
    MOD: {"executed_lines": [1, 5, 6, 9], "contexts": {
        "1": [""], "5": ["tests/test_mod.py::test_a|run"], "6": ["tests/test_mod.py::test_a|run"],
        "9": ["tests/test_mod.py::test_b|run", "tests/test_mod.py::test_a|setup"]}},
    "src/pkg/util.py": {"executed_lines": [2], "contexts": {"2": ["tests/test_util.py::test_c|run"]}},
}}
DIFF = f"--- a/{MOD}\n+++ b/{MOD}\n@@ -5 +5 @@\n-    return a < b\n+    return a >= b\n"
A, B, C = "tests.test_mod::test_a", "tests.test_mod::test_b", "tests.test_util::test_c"
D = "tests.test_other::test_d"  # not in the map: history speaks for it


def _commit(s: Session, sha: str, path: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    c = Commit(project_id=current_project_id(s), sha=sha, author_name="a", author_email="a@x", author_time=now,
               committer_name="a", committer_email="a@x", committer_time=now, message="m")
    s.add(c)
    s.flush()
    s.add(CommitFile(project_id=c.project_id, commit_id=c.id, path=path, change_type="M"))
    s.flush()


def test_ingest_is_compact_and_idempotent(project_session: Session) -> None:
    data = json.dumps(REPORT).encode()
    first = ingest_map(project_session, "demo", data, source="cov.json", commit="abc123")
    assert (first.tests, first.files, first.entries, first.lines) == (3, 2, 3, 5)
    assert first.stored_bytes < 400
    again = ingest_map(project_session, "demo", data, source="cov.json")
    assert again.duplicate and again.map_id == first.map_id
    assert project_session.scalar(select(func.count()).select_from(CoverageMapEntry)) == 3


def test_select_uses_map_history_and_durations_and_stores_an_insight(project_session: Session) -> None:
    ingest_map(project_session, "demo", json.dumps(REPORT).encode(), source="cov.json")
    h = History(project_session)
    for i in range(4):  # D and C failed every time mod.py changed; A and B passed
        sha = f"c{i:039d}"
        _commit(project_session, sha, MOD)
        h.run(sha, {A: "P", B: "P", C: "F", D: "F"}, durations={A: 2.0, B: 3.0, C: 1.0})
    sel, view = select_tests(project_session, "demo", SelectionSettings(), parse_diff(DIFF),
                             Budget(Mode.CONFIDENCE, 0.99), subject="diff:1", persist=True)
    ranked = [t.identity for t in sel.tests]
    assert set(ranked[:2]) == {A, D} and {t.test for t in view.selected} == {A, D}
    d = next(t for t in view.selected if t.test == D)
    assert d.reasons[0] == "failed 4 of the last 4 times src/pkg/mod.py changed"
    # C fails as often, but the map shows it never executes the changed line: history is explained away
    c = next(t for t in view.skipped_tests if t.test == C)
    assert "does not execute the changed lines now" in " ".join(c.reasons)
    assert next(t for t in sel.tests if t.identity == A).duration_s == 2.0
    assert view.insight_id is not None
    ins = get_insight(project_session, view.insight_id)
    refs = {e.ref_type for e in ins.evidence}
    assert {"coverage_map_entry", "test_result"} <= refs
    assert ins.kind == "test_selection" and ins.subject_id == "diff:1"


def test_disabled_selection_runs_everything(project_session: Session) -> None:
    ingest_map(project_session, "demo", json.dumps(REPORT).encode(), source="cov.json")
    _sel, view = select_tests(project_session, "demo", SelectionSettings(enabled=False), parse_diff(DIFF),
                             Budget(Mode.MAX_TESTS, 1))
    assert view.mode == "full" and len(view.selected) == view.total == 3


def test_a_test_run_at_the_maps_commit_is_known_to_the_map(project_session: Session) -> None:
    h = History(project_session)
    shas = [f"d{i:039d}" for i in range(4)]
    for sha in shas:  # D ran at every commit (the map's included) and failed whenever mod.py changed
        _commit(project_session, sha, MOD)
        h.run(sha, {A: "P", B: "P", C: "P", D: "F"})
    h.run(shas[0], {A: "P", B: "P", C: "P", D: "P"})
    ingest_map(project_session, "demo", json.dumps(REPORT).encode(), source="cov.json", commit=shas[0])
    sel, _ = select_tests(project_session, "demo", SelectionSettings(), parse_diff(DIFF), Budget(Mode.CONFIDENCE, 0.99),
                          commit=shas[0])
    d = next(t for t in sel.tests if t.identity == D)
    # D ran where the map was measured and the map holds no line of it: it executed no measured line,
    # so its co-failure is explained away like a mapped test's
    assert not d.selected and any("does not execute the changed lines now" in r.text for r in d.reasons)


def test_a_changed_constant_reaches_tests_running_code_in_an_importing_module(project_session: Session) -> None:
    # mod.py line 1 (LIMIT = 3) runs at import; util.py's check() uses it and only test_c runs check():
    # the use case loads util.py's map rows (an importer of the changed file) for the symbol analysis
    from argus.analysis.selection.imports import build_graph

    graph = build_graph({MOD: "LIMIT = 3\n", "src/pkg/__init__.py": "",
                         "src/pkg/util.py": "from pkg.mod import LIMIT\ndef check(n):\n    return n < LIMIT\n",
                         "tests/test_mod.py": "from pkg import mod\n\ndef test_a():\n    pass\n\ndef test_b():\n    pass\n",
                         "tests/test_util.py": "from pkg import util\n\ndef test_c():\n    util.check(1)\n"})
    report = {"files": {MOD: {"executed_lines": [1], "contexts": {"1": [""]}},
                        "src/pkg/util.py": {"executed_lines": [1, 2, 3], "contexts": {
                            "1": [""], "2": [""], "3": ["tests/test_util.py::test_c|run"]}}}}
    ingest_map(project_session, "demo", json.dumps(report).encode(), source="cov.json")
    diff = f"--- a/{MOD}\n+++ b/{MOD}\n@@ -1 +1 @@\n-LIMIT = 3\n+LIMIT = 4\n"
    sel, view = select_tests(project_session, "demo", SelectionSettings(), parse_diff(diff),
                             Budget(Mode.CONFIDENCE, 0.99), graph=graph)
    by = {t.identity: t for t in sel.tests}
    assert by[C].selected and "executes code using LIMIT (src/pkg/util.py:3-3)" in by[C].reasons[0].text
    assert not view.notes or not any("not complete" in n for n in view.notes)
    assert sum(t.selected for t in sel.tests) <= 2  # test_c, and one test showing an error raised at import
