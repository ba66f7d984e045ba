"""The selection model: each signal alone, the rules, the budget modes (pure, golden inputs)."""

from __future__ import annotations

from argus.analysis.selection.algo import apfd, score, select, skip_reason
from argus.analysis.selection.imports import build_graph
from argus.analysis.selection.schemas import (
    Budget,
    ChangedFile,
    CoFailure,
    CoverageIndex,
    FileStatus,
    MapEntry,
    Mode,
    SelectParams,
    Signal,
    TestInfo,
)

MOD = "src/pkg/mod.py"
A, B, C, D = (f"tests.test_mod::test_{x}" for x in "abcd")
NODES = {t: "tests/test_mod.py::" + t.split("::")[1] for t in (A, B, C, D)}


def _index(**extra: object) -> CoverageIndex:
    entries = {MOD: [MapEntry(A, MOD, "10-12", 1), MapEntry(B, MOD, "20-22", 2)]}
    return CoverageIndex(NODES, frozenset(), entries, {MOD: "1-3"}, frozenset({MOD, "src/pkg/other.py"}),
                         **extra)  # type: ignore[arg-type]


def _change(*lines: int, path: str = MOD, status: FileStatus = FileStatus.MODIFIED) -> ChangedFile:
    return ChangedFile(path, None, status, frozenset(lines), frozenset(lines))


def _by_id(changed: list[ChangedFile], **kw: object) -> dict[str, object]:
    ranked, _, _ = score(changed, kw.pop("index", _index()), kw.pop("infos", {}), **kw)  # type: ignore[arg-type]
    return {t.identity: t for t in ranked}


def test_coverage_signal_line_beats_file_beats_nothing() -> None:
    t = _by_id([_change(11)])
    assert t[A].score > 0.4 and t[A].reasons[0].signal is Signal.LINE  # type: ignore[attr-defined]
    assert "covers changed line src/pkg/mod.py:11" in t[A].reasons[0].text  # type: ignore[attr-defined]
    assert t[A].reasons[0].evidence == (("coverage_map_entry", "1"),)  # type: ignore[attr-defined]
    assert t[B].reasons[0].signal is Signal.FILE  # type: ignore[attr-defined]
    assert t[A].score > t[B].score > t[C].score  # type: ignore[attr-defined]


def test_a_line_run_at_import_reaches_every_test_of_the_file_and_its_importers() -> None:
    graph = build_graph({MOD: "X = 1\n", "tests/test_mod.py": "from pkg import mod\n", "src/pkg/__init__.py": ""})
    t = _by_id([_change(2)], graph=graph)
    assert t[A].reasons[0].signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]
    assert t[C].reasons[0].signal is Signal.IMPORT_TIME and "imports src/pkg/mod.py" in t[C].reasons[0].text  # type: ignore[attr-defined]


def test_uncovered_changed_lines_are_reported() -> None:
    sel = select([_change(40)], _index(), {}, Budget(Mode.CONFIDENCE, 0.99))
    assert [(u.file, u.lines) for u in sel.uncovered] == [(MOD, (40,))]


def test_import_graph_covers_tests_the_map_never_saw_and_files_it_does_not_know() -> None:
    graph = build_graph({"src/pkg/new.py": "", "tests/test_new.py": "from pkg import new\n",
                         "src/pkg/__init__.py": ""})
    infos = {"tests.test_new::test_x": TestInfo("tests.test_new::test_x", "tests/test_new.py::test_x")}
    t = _by_id([_change(1, path="src/pkg/new.py")], infos=infos, graph=graph)
    r = t["tests.test_new::test_x"].reasons[0]  # type: ignore[attr-defined]
    assert r.signal is Signal.IMPORTS and "imports src/pkg/new.py (depth 1)" in r.text
    assert t["tests.test_new::test_x"].score > t[C].score  # type: ignore[attr-defined]


def test_history_co_failure_and_flaky_discount() -> None:
    other = "src/pkg/other.py"
    cof = [CoFailure(C, other, 3.0, 5.0, 3, 5, (77,)), CoFailure(D, other, 3.0, 5.0, 3, 5)]
    infos = {C: TestInfo(C, NODES[C]), D: TestInfo(D, NODES[D], flaky=True)}
    t = _by_id([_change(5, path=other)], index=CoverageIndex(NODES), infos=infos, cofail=cof)
    rc = t[C].reasons[0]  # type: ignore[attr-defined]
    assert rc.signal is Signal.HISTORY and rc.text == "failed 3 of the last 5 times src/pkg/other.py changed"
    assert rc.evidence == (("test_result", "77"),)
    assert t[C].score > 5 * t[D].score  # a known-flaky test's failures are hardly evidence  # type: ignore[attr-defined]


def test_recent_failure_rate_ranks_but_is_not_bounded_by_safe_mode() -> None:
    infos = {C: TestInfo(C, NODES[C], runs=10, failures=5)}
    t = _by_id([_change(11)], infos=infos)
    assert t[C].score > t[D].score and t[C].change_score < 0.001  # type: ignore[attr-defined]


def test_rules_new_and_edited_tests_run_always_run_and_deleted_tests_drop() -> None:
    src = "def test_a():\n    pass\n\ndef test_z():\n    pass\n"
    changed = [ChangedFile("tests/test_mod.py", None, FileStatus.MODIFIED, frozenset({1}), frozenset({4})),
               ChangedFile("tests/test_brand.py", None, FileStatus.ADDED, frozenset(), frozenset({1}))]
    p = SelectParams(always_run=("*::test_d",))
    sel = select(changed, _index(), {}, Budget(Mode.MAX_TESTS, 1), p=p,
                 sources={"tests/test_mod.py": src, "tests/test_brand.py": "def test_new():\n    pass\n"})
    chosen = {t.identity: t for t in sel.selected}
    assert set(chosen) == {"tests.test_mod::test_z", "tests.test_brand::test_new", D}
    assert chosen["tests.test_brand::test_new"].reasons[0].text == "new test"
    assert chosen[D].reasons[0].text == "always run"
    gone = select([ChangedFile("tests/test_mod.py", None, FileStatus.DELETED, frozenset({1}))], _index(), {},
                  Budget(Mode.BUDGET, 1.0))
    assert gone.tests == ()


def test_full_suite_rules() -> None:
    p = SelectParams(force_full_globs=("conftest.py", ".github/*", "*.lock"), max_changed_files=2)
    for path in ("tests/conftest.py", ".github/workflows/ci.yml", "uv.lock"):
        sel = select([_change(1, path=path)], _index(), {}, Budget(Mode.MAX_TESTS, 1), p=p)
        assert sel.mode is Mode.FULL and len(sel.selected) == 4, path
    many = [_change(1, path=f"src/pkg/m{i}.py") for i in range(3)]
    sel = select(many, _index(), {}, Budget(Mode.MAX_TESTS, 1), p=p)
    assert sel.mode is Mode.FULL and sel.full_reasons == ("3 files changed (> 2)",)


def test_budget_modes() -> None:
    idx = _index()
    ch = [_change(11, 21)]
    assert len(select(ch, idx, {}, Budget(Mode.BUDGET, 0.25)).selected) == 1
    assert len(select(ch, idx, {}, Budget(Mode.BUDGET, 0.5)).selected) == 2
    assert len(select(ch, idx, {}, Budget(Mode.MAX_TESTS, 3)).selected) == 3
    infos = {A: TestInfo(A, NODES[A], duration_s=5.0), B: TestInfo(B, NODES[B], duration_s=30.0),
             C: TestInfo(C, NODES[C], duration_s=1.0), D: TestInfo(D, NODES[D], duration_s=1.0)}
    timed = select(ch, idx, infos, Budget(Mode.MAX_TIME, 10.0))
    assert {t.identity for t in timed.selected} == {A, C, D}  # B (30 s) does not fit
    safe = select(ch, idx, {}, Budget(Mode.CONFIDENCE, 0.99))
    assert {t.identity for t in safe.selected} == {A, B} and safe.estimated_miss < 0.01
    looser = select(ch, idx, {}, Budget(Mode.CONFIDENCE, 0.4))
    assert len(looser.selected) == 1 and looser.estimated_miss <= 0.6


def test_skip_reasons_and_apfd() -> None:
    sel = select([_change(11)], _index(), {}, Budget(Mode.MAX_TESTS, 1))
    skipped = {t.identity: t for t in sel.tests if not t.selected}
    assert skip_reason(skipped[C]).startswith("executes no changed line")
    assert "ranked below the budget" in skip_reason(skipped[B])
    assert apfd(["a", "b", "c", "d"], {"a"}) == 1 - 1 / 4 + 1 / 8
    assert apfd(["a"], {"z"}) is None


def test_test_function_map_rows_reach_every_parametrisation() -> None:
    idx = CoverageIndex({"tests.test_mod::test_p": "tests/test_mod.py::test_p"}, frozenset({"tests.test_mod::test_p"}),
                        {MOD: [MapEntry("tests.test_mod::test_p", MOD, "5")]}, {}, frozenset({MOD}))
    infos = {f"tests.test_mod::test_p[{i}]": TestInfo(f"tests.test_mod::test_p[{i}]") for i in (1, 2)}
    t = _by_id([_change(5)], index=idx, infos=infos)
    assert set(t) == set(infos)
    assert all(x.reasons[0].signal is Signal.LINE for x in t.values())  # type: ignore[attr-defined]


def test_a_test_of_a_module_the_map_ran_is_known_even_without_lines() -> None:
    e, f = "tests.test_mod::test_e", "tests.test_zzz::test_f"
    infos = {e: TestInfo(e, "tests/test_mod.py::test_e"), f: TestInfo(f, "tests/test_zzz.py::test_f")}
    t = _by_id([_change(11)], infos=infos)
    assert all(r.signal is not Signal.UNMAPPED for r in t[e].reasons)  # type: ignore[attr-defined]
    assert t[f].reasons[0].signal is Signal.UNMAPPED  # type: ignore[attr-defined]


def test_a_changed_definition_header_reaches_the_tests_running_its_body_only() -> None:
    # line 2 "def f(x=1):" runs at import, its body 3-4 runs in test A; line 5 heads another function
    entries = {MOD: [MapEntry(A, MOD, "3-4", 1), MapEntry(B, MOD, "6-7", 2)]}
    idx = CoverageIndex(NODES, frozenset(), entries, {MOD: "1-2,5"}, frozenset({MOD}))
    graph = build_graph({MOD: "", "tests/test_mod.py": "from pkg import mod\n", "src/pkg/__init__.py": ""})
    t = _by_id([_change(2)], index=idx, graph=graph)
    assert t[A].reasons[0].signal is Signal.IMPORT_TIME and "definition whose header" in t[A].reasons[0].text  # type: ignore[attr-defined]
    assert t[B].reasons[0].signal is Signal.FILE  # type: ignore[attr-defined]
    assert all(r.signal is not Signal.IMPORT_TIME for r in t[C].reasons)  # type: ignore[attr-defined]
    # a module constant (line 1, followed by another import-time line) still reaches every user
    t = _by_id([_change(1)], index=idx, graph=graph)
    assert t[B].reasons[0].signal is Signal.IMPORT_TIME and t[C].reasons[0].signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]


def test_a_body_line_run_at_import_reaches_the_modules_using_the_function_only() -> None:
    # line 3 is in deco's body and runs at import (a module calls deco while being imported): test_mod
    # (A, B) uses deco through src/pkg/user.py; test_other (E) imports mod but never mentions deco
    src = "import functools\n\ndef deco(f):\n    return f\n\ndef g():\n    return 1\n"
    e = "tests.test_other::test_e"
    nodes = {**NODES, e: "tests/test_other.py::test_e"}
    graph = build_graph({MOD: src, "src/pkg/__init__.py": "", "src/pkg/user.py": "from pkg.mod import deco\n"
                         "@deco\ndef h():\n    pass\n", "tests/test_mod.py": "from pkg import user\n",
                         "tests/test_other.py": "from pkg import mod\nmod.g()\n"})
    entries = {MOD: [MapEntry(A, MOD, "7", 1), MapEntry(e, MOD, "7", 3)]}
    idx = CoverageIndex(nodes, frozenset(), entries, {MOD: "1,3-4,6"}, frozenset({MOD}))
    t = _by_id([_change(4)], index=idx, graph=graph)  # only other modules call deco: the call narrowing
    assert t[A].reasons[0].signal is Signal.IMPORT_TIME and "uses deco" in t[A].reasons[0].text  # type: ignore[attr-defined]
    assert t[e].reasons[0].signal is Signal.FILE and t[e].score < 1e-4  # type: ignore[attr-defined]
    assert t[C].reasons[0].signal is Signal.IMPORT_TIME  # imports user.py, which uses deco at import
    off = _by_id([_change(4)], index=idx, graph=graph,
                 p=SelectParams(narrow_import_time_calls=False, symbol_evidence=False))
    assert off[e].reasons[0].signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]


def test_a_test_that_ran_at_the_maps_commit_without_lines_is_known_not_unmapped() -> None:
    # tests/test_data.py ran where the map was measured but executed no measured line (a data-driven
    # unittest whose body returns early): neither "not in the map" nor its import of the module, nor its
    # co-failure with the file, selects it for a change to a line the map says it does not execute
    e = "tests.test_data::test_e"
    graph = build_graph({MOD: "X = 1\nY = 2\n", "tests/test_data.py": "from pkg import mod\n",
                         "src/pkg/__init__.py": ""})
    infos = {e: TestInfo(e, "tests/test_data.py::test_e", runs=5, failures=2)}
    cof = [CoFailure(e, MOD, 2.0, 5.0, 2, 5)]
    unknown = _by_id([_change(11)], infos=infos, graph=graph, cofail=cof)[e]
    known = _by_id([_change(11)], index=_index(ran=frozenset({e})), infos=infos, graph=graph, cofail=cof)[e]
    assert unknown.change_score > 0.1  # type: ignore[attr-defined]
    assert known.change_score < 1e-4  # type: ignore[attr-defined]
    assert not any(r.signal in (Signal.UNMAPPED, Signal.IMPORTS) for r in known.reasons)  # type: ignore[attr-defined]
    # a change run at import still reaches it through its import of the module
    old = SelectParams(symbol_evidence=False)
    at_import = _by_id([_change(2)], index=_index(ran=frozenset({e})), infos=infos, graph=graph, cofail=cof, p=old)[e]
    assert any(r.signal is Signal.IMPORT_TIME for r in at_import.reasons)  # type: ignore[attr-defined]


def test_safe_mode_counts_the_evidence_free_floor_once_whatever_the_suite_size() -> None:
    # 20,000 tests executing the changed file but not its line: each has only the floor (file level + prior).
    # Counted per test, their sum (20,000 × 3e-6 = 6 %) exceeds a 1 % allowance and safe mode would run
    # thousands of tests carrying no information; the floor is one event of the change (a stale map)
    many = [f"tests.test_big::test_{i}" for i in range(20_000)]
    nodes = {**NODES, **{t: "tests/test_big.py::" + t.split("::")[1] for t in many}}
    rows = [MapEntry(A, MOD, "10-12", 1), *(MapEntry(t, MOD, "30", 2 + i) for i, t in enumerate(many))]
    idx = CoverageIndex(nodes, frozenset(), {MOD: rows}, {MOD: "1-3"}, frozenset({MOD}))
    safe = select([_change(11)], idx, {}, Budget(Mode.CONFIDENCE, 0.99))
    assert {t.identity for t in safe.selected} == {A}
    assert safe.estimated_miss < 0.01
    # evidence still adds up per test: many tests each with real evidence are all kept
    p = SelectParams(p_line=0.001)
    rows2 = [MapEntry(t, MOD, "11", 2 + i) for i, t in enumerate(many[:50])]
    idx2 = CoverageIndex(nodes, frozenset(), {MOD: rows2}, {MOD: "1-3"}, frozenset({MOD}))
    safe2 = select([_change(11)], idx2, {}, Budget(Mode.CONFIDENCE, 0.99), p=p)
    assert 40 <= len(safe2.selected) < 50  # 50 × 0.001: at most 10 may be skipped within 1 %
