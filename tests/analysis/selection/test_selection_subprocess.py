"""Tests that run the project in a subprocess, changed lines no test covers, and the base side of a
changed file (pure, golden inputs; one scan of a temporary checkout)."""

from __future__ import annotations

from pathlib import Path

from argus.analysis.selection.algo import select
from argus.analysis.selection.diffparse import old_side, parse_diff
from argus.analysis.selection.imports import build_graph, scan
from argus.analysis.selection.schemas import (
    Budget,
    ChangedFile,
    CoverageIndex,
    FileStatus,
    MapEntry,
    Mode,
    Signal,
)
from argus.analysis.selection.service import base_side_graph
from argus.analysis.selection.subprocs import declared_scripts

PKG = {
    "src/pkg/__init__.py": "",
    "src/pkg/__main__.py": "from pkg.cli import main\nmain()\n",
    "src/pkg/cli.py": "from pkg import core\n\ndef main():\n    return core.run()\n\nif __name__ == '__main__':\n    main()\n",
    "src/pkg/lib.py": "from pkg import core\n\nX = 1\n\ndef f():\n    return X\n",  # no __main__ block
    "src/pkg/core.py": "def run():\n    return 1\n",
    "src/pkg/other.py": "def g():\n    return 2\n",
}
PYPROJECT = '[project]\nname = "pkg"\n[project.scripts]\npkgtool = "pkg.cli:main"\n'


def _graph(tests: dict[str, str], metadata: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return build_graph({**PKG, **tests}, {"pyproject.toml": PYPROJECT} if metadata is None else metadata)


def _runs(graph, path: str) -> set[tuple[tuple[str, ...], str]]:  # type: ignore[no-untyped-def]
    return {(la.targets, la.what) for la in graph.runs.get(path, ())}


def test_python_dash_m_in_a_list_and_in_a_command_string() -> None:
    g = _graph({
        "tests/test_a.py": "import subprocess, sys\n\ndef test_a():\n"
                           "    subprocess.run([sys.executable, '-m', 'pkg'], check=True)\n",
        "tests/test_b.py": "import os\n\ndef test_b():\n    os.system('python -m pkg.cli --help')\n",
    })
    assert _runs(g, "tests/test_a.py") == {(("src/pkg/__init__.py", "src/pkg/__main__.py"), "python -m pkg")}
    assert _runs(g, "tests/test_b.py") == {(("src/pkg/cli.py", "src/pkg/__init__.py"), "python -m pkg.cli")}


def test_script_path_join_console_script_dash_c_and_runpy() -> None:
    g = _graph({
        "tests/test_path.py": "import subprocess, sys\ncmd = [sys.executable, 'src/pkg/cli.py']\n",
        "tests/test_join.py": "import os, subprocess\nHERE = os.path.dirname(__file__)\n"
                              "CLI = os.path.join(HERE, '..', 'src', 'pkg', 'cli.py')\n",
        "tests/test_script.py": "import subprocess\n\ndef test_s():\n    subprocess.check_output(['pkgtool', '-v'])\n",
        "tests/test_c.py": "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import pkg.core'])\n",
        "tests/test_runpy.py": "import runpy\n\ndef test_r():\n    runpy.run_module('pkg.cli', run_name='__main__')\n",
    })
    assert _runs(g, "tests/test_path.py") == {(("src/pkg/cli.py",), "python src/pkg/cli.py")}
    assert _runs(g, "tests/test_join.py") == {(("src/pkg/cli.py",), "python src/pkg/cli.py")}
    assert _runs(g, "tests/test_script.py") == {(("src/pkg/cli.py", "src/pkg/__init__.py"), "script pkgtool (pkg.cli:main)")}
    assert ("src/pkg/core.py", "src/pkg/__init__.py") in {t for t, _ in _runs(g, "tests/test_c.py")}
    (la,) = g.runs["tests/test_runpy.py"]
    assert la.in_process and la.targets[0] == "src/pkg/cli.py"


def test_no_launch_without_a_process_or_a_project_module() -> None:
    g = _graph({
        # the script's name as data, in a module that launches nothing
        "tests/test_data.py": "NAMES = ['pkgtool', 'x']\nPATH = 'src/pkg/cli.py'\n",
        # -m naming a module outside the project
        "tests/test_pytest.py": "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pytest'])\n",
    })
    assert g.runs == {}


def test_runners_reach_the_run_modules_dependencies_with_depth() -> None:
    g = _graph({
        "tests/helpers.py": "import subprocess, sys\n\ndef cli(*a):\n"
                            "    return subprocess.run([sys.executable, '-m', 'pkg.cli', *a])\n",
        "tests/test_h.py": "from tests.helpers import cli\n\ndef test_h():\n    cli('x')\n",
    })
    got = {f: d for f, (d, _) in g.runners("src/pkg/core.py").items()}
    assert got["tests/helpers.py"] == 2  # pkg.cli imports pkg.core
    assert got["tests/test_h.py"] == 3  # … and the test imports the helper
    assert g.runners("src/pkg/other.py") == {}


def test_declared_scripts_from_each_metadata_file() -> None:
    cfg = "[options.entry_points]\nconsole_scripts =\n    cfgtool = pkg.cli:main\n"
    setup = "from setuptools import setup\nsetup(entry_points={'console_scripts': ['pytool = pkg.core:run']})\n"
    got = declared_scripts({"pyproject.toml": PYPROJECT, "setup.cfg": cfg, "setup.py": setup})
    assert got == {"pkgtool": "pkg.cli:main", "cfgtool": "pkg.cli:main", "pytool": "pkg.core:run"}


def test_bad_input_does_not_break_the_scan(tmp_path: Path) -> None:
    assert declared_scripts({"pyproject.toml": "[project\nname=", "setup.cfg": "no section\n= x",
                             "setup.py": "setup(entry_points={"}) == {}
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "__main__.py").write_text("print(1)\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_broken.py").write_text("import subprocess\ndef test(:\n  ['-m', 'pkg']\n")
    (tmp_path / "tests" / "test_ok.py").write_text("import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pkg'])\n")
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe[project")
    g = scan(tmp_path)
    assert "tests/test_broken.py" not in g.runs
    assert _runs(g, "tests/test_ok.py") == {(("pkg/__init__.py", "pkg/__main__.py"), "python -m pkg")}


# --------------------------------------------------------------------------------------------- selection

CLI_T = "tests.test_cli::test_cli"
API_T = "tests.test_api::test_api"
NODES = {CLI_T: "tests/test_cli.py::test_cli", API_T: "tests/test_api.py::test_api"}


def _index(cli_rows: str | None = None) -> CoverageIndex:
    core = "src/pkg/core.py"
    entries = {core: [MapEntry(API_T, core, "1-2", 1)]}
    files = frozenset({core, "src/pkg/cli.py", "src/pkg/__init__.py"})
    return CoverageIndex(NODES, frozenset(), entries, {core: "1", "src/pkg/cli.py": "1-3"}, files)


def test_safe_mode_selects_a_test_running_the_changed_module_in_a_subprocess() -> None:
    g = _graph({
        "tests/test_cli.py": "import subprocess, sys\n\ndef test_cli():\n"
                             "    subprocess.run([sys.executable, '-m', 'pkg.cli'], check=True)\n",
        "tests/test_api.py": "from pkg import core\n\ndef test_api():\n    assert core.run() == 1\n",
    })
    # cli.py:4 is the body of main(): no test of the map executes it (the subprocess is not measured)
    change = ChangedFile("src/pkg/cli.py", None, FileStatus.MODIFIED, frozenset({4}), frozenset({4}))
    sel = select([change], _index(), {}, Budget(Mode.CONFIDENCE, 0.99), graph=g)
    by = {t.identity: t for t in sel.tests}
    assert by[CLI_T].selected
    assert by[CLI_T].reasons[0].signal is Signal.SUBPROCESS
    assert by[CLI_T].reasons[0].text == "runs python -m pkg.cli in a subprocess"
    # a dependency of the run module: the test is at risk too, less so
    change = ChangedFile("src/pkg/core.py", None, FileStatus.MODIFIED, frozenset({2}), frozenset({2}))
    sel = select([change], _index(), {}, Budget(Mode.CONFIDENCE, 0.99), graph=g)
    by = {t.identity: t for t in sel.tests}
    assert by[CLI_T].selected and by[API_T].selected
    assert by[CLI_T].reasons[0].text == "runs python -m pkg.cli in a subprocess, which depends on src/pkg/core.py (depth 2)"
    assert by[CLI_T].reasons[0].p == 0.15


def test_an_uncovered_changed_line_selects_the_modules_importers_except_in_a_main_block() -> None:
    mod = "src/pkg/tool.py"
    g = build_graph({**PKG, mod: "def f():\n    return 1\n\nif __name__ == '__main__':\n    print(f())\n",
                     "tests/test_tool.py": "from pkg import tool\n\ndef test_t():\n    assert tool.f()\n"})
    t = "tests.test_tool::test_t"
    index = CoverageIndex({t: "tests/test_tool.py::test_t"}, frozenset(), {mod: [MapEntry(t, mod, "1", 1)]},
                          {mod: "1,4"}, frozenset({mod}))
    sel = select([ChangedFile(mod, None, FileStatus.MODIFIED, frozenset({2}), frozenset({2}))], index, {},
                 Budget(Mode.CONFIDENCE, 0.99), graph=g)
    (only,) = sel.tests
    assert only.selected and "changed line src/pkg/tool.py:2 is covered by no test" in only.reasons[0].text
    sel = select([ChangedFile(mod, None, FileStatus.MODIFIED, frozenset({5}), frozenset({5}))], index, {},
                 Budget(Mode.CONFIDENCE, 0.99), graph=g)
    assert not sel.tests[0].selected
    assert any("__main__ block" in n for n in sel.notes)


def test_the_uncovered_fallback_narrows_to_modules_that_can_call_the_function() -> None:
    mod = "src/pkg/tool.py"
    g = build_graph({**PKG, mod: "def f():\n    return 1\n\ndef g():\n    return f()\n\ndef h():\n    return 3\n",
                     "tests/test_g.py": "from pkg import tool\n\ndef test_g():\n    assert tool.g()\n",
                     "tests/test_h.py": "from pkg import tool\n\ndef test_h():\n    assert tool.h()\n"})
    tg, th = "tests.test_g::test_g", "tests.test_h::test_h"
    index = CoverageIndex({tg: "tests/test_g.py::test_g", th: "tests/test_h.py::test_h"}, frozenset(),
                          {mod: [MapEntry(th, mod, "7-8", 1)]}, {mod: "1,4,7"}, frozenset({mod}))
    sel = select([ChangedFile(mod, None, FileStatus.MODIFIED, frozenset({2}), frozenset({2}))], index, {},
                 Budget(Mode.CONFIDENCE, 0.99), graph=g)
    by = {t.identity: t for t in sel.tests}
    assert by[tg].selected and "uses f/g" in by[tg].reasons[0].text  # g calls f
    assert not by[th].selected
    # an alias at module level reaches f without its name: every importer again
    g2 = build_graph({**PKG, mod: "def f():\n    return 1\n\nalias = f\n",
                      "tests/test_h.py": "from pkg import tool\n\ndef test_h():\n    assert tool.alias()\n"})
    sel = select([ChangedFile(mod, None, FileStatus.MODIFIED, frozenset({2}), frozenset({2}))], index, {},
                 Budget(Mode.CONFIDENCE, 0.99), graph=g2)
    assert {t.identity: t for t in sel.tests}[th].selected


# ------------------------------------------------------------------------------- the base side of a change

OLD = "import os\nLIMIT = 3\n\n\ndef f():\n    return LIMIT\n"
NEW = "import os\n\n\ndef g():\n    return 0\n\n\ndef f():\n    return LIMIT + 1\n"


def _diff(old: str, new: str, path: str = "pkg/m.py") -> ChangedFile:
    import difflib

    text = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
    (f,) = parse_diff(text)
    return f


def test_old_side_is_rebuilt_from_either_checkout_or_refused() -> None:
    f = _diff(OLD, NEW)
    assert old_side(NEW, f) == OLD  # a new-side checkout: hunks undone
    assert old_side(OLD, f) == OLD  # the base checked out already
    assert old_side("something else\n", f) is None
    gone = _diff(OLD, "")
    assert old_side(None, ChangedFile("pkg/m.py", None, FileStatus.DELETED, gone.old_lines, frozenset(),
                                      hunks=gone.hunks)) == OLD
    pure_insert = _diff(OLD, OLD + "X = 1\n")
    assert old_side(OLD + "X = 1\n", pure_insert) == OLD


def test_symbol_facts_of_a_changed_file_come_from_the_base_side(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "m.py").write_text(NEW)  # the checkout holds the new side
    f = _diff(OLD, NEW)
    assert 2 in f.old_lines  # LIMIT = 3, numbered on the old side
    new_side = scan(tmp_path).symbols["pkg/m.py"].stmt_at(2)
    assert new_side is None or "LIMIT" not in new_side.binds  # the bug: line 2 of the new side is blank
    stmt = base_side_graph(tmp_path, [f]).symbols["pkg/m.py"].stmt_at(2)
    assert stmt is not None and stmt.binds == {"LIMIT"}
    # a checkout matching neither side: no symbol facts rather than wrong ones
    (tmp_path / "pkg" / "m.py").write_text("print('unrelated')\n")
    assert "pkg/m.py" not in base_side_graph(tmp_path, [f]).symbols


def test_a_map_that_measured_the_child_process_replaces_the_static_signal() -> None:
    g = _graph({"tests/test_cli.py": "import subprocess, sys\n\ndef test_cli():\n"
                                     "    subprocess.run([sys.executable, '-m', 'pkg'], check=True)\n"})
    cli = "src/pkg/cli.py"
    # subprocess coverage: the test's rows include __main__.py (run only as a program) and main()'s body
    entries = {"src/pkg/__main__.py": [MapEntry(CLI_T, "src/pkg/__main__.py", "1-2", 1)],
               cli: [MapEntry(CLI_T, cli, "4", 2)]}
    index = CoverageIndex(NODES, frozenset(), entries, {cli: "1-3"},
                          frozenset({cli, "src/pkg/__main__.py", "src/pkg/__init__.py"}))
    change = ChangedFile(cli, None, FileStatus.MODIFIED, frozenset({4}), frozenset({4}))
    by = {t.identity: t for t in select([change], index, {}, Budget(Mode.CONFIDENCE, 0.99), graph=g).tests}
    assert by[CLI_T].selected and by[CLI_T].reasons[0].signal is Signal.LINE
    assert all(r.signal is not Signal.SUBPROCESS for r in by[CLI_T].reasons)
    # the map saw the child run main() but not this line: the map's evidence, not the static signal
    change = ChangedFile(cli, None, FileStatus.MODIFIED, frozenset({2}), frozenset({2}))
    by = {t.identity: t for t in select([change], index, {}, Budget(Mode.CONFIDENCE, 0.99), graph=g).tests}
    assert all(r.signal is not Signal.SUBPROCESS for r in by[CLI_T].reasons)


def test_only_the_test_functions_launching_it_or_calling_a_launching_helper_are_at_risk() -> None:
    g = _graph({
        "src/pkg/doc.py": '"""Run it with `python -m pkg`."""\n\ndef h():\n    """Or python -m pkg.cli."""\n',
        "tests/test_cli.py": "import subprocess, sys\n\ndef _run(*a):\n"
                             "    return subprocess.run([sys.executable, '-m', 'pkg.cli', *a])\n\n"
                             "def test_cli():\n    _run('x')\n\ndef test_api():\n    assert True\n",
    })
    assert "src/pkg/doc.py" not in g.runs  # prose in docstrings launches nothing
    (la,) = g.runs["tests/test_cli.py"]
    assert la.tops == {"_run"}
    nodes = {"tests.test_cli::test_cli": "tests/test_cli.py::test_cli", "tests.test_cli::test_api": "tests/test_cli.py::test_api"}
    index = CoverageIndex(nodes, frozenset(), {}, {"src/pkg/cli.py": "1-3"}, frozenset({"src/pkg/cli.py"}))
    change = ChangedFile("src/pkg/cli.py", None, FileStatus.MODIFIED, frozenset({4}), frozenset({4}))
    by = {t.identity: t for t in select([change], index, {}, Budget(Mode.CONFIDENCE, 0.99), graph=g).tests}
    assert by["tests.test_cli::test_cli"].selected
    assert all(r.signal is not Signal.SUBPROCESS for r in by["tests.test_cli::test_api"].reasons)


def test_history_of_a_test_running_the_file_in_a_subprocess_is_not_explained_away() -> None:
    from argus.analysis.selection.algo import score
    from argus.analysis.selection.schemas import CoFailure

    g = _graph({"tests/test_cli.py": "import subprocess, sys\n\ndef test_cli():\n"
                                     "    subprocess.run([sys.executable, '-m', 'pkg.cli'], check=True)\n"})
    cli = "src/pkg/cli.py"
    change = ChangedFile(cli, None, FileStatus.MODIFIED, frozenset({4}), frozenset({4}))
    cof = [CoFailure(CLI_T, cli, 2.0, 4.0, 2, 4)]
    ranked, _, _ = score([change], _index(), {}, cof, g)
    hist = next(r for t in ranked if t.identity == CLI_T for r in t.reasons if r.signal is Signal.HISTORY)
    assert "does not execute" not in hist.text and hist.p > 0.1


def test_a_module_without_program_code_reaches_its_child_through_import_time_lines_only() -> None:
    g = _graph({"tests/test_cli.py": "import subprocess, sys\n\ndef test_cli():\n"
                                     "    subprocess.run([sys.executable, '-m', 'pkg.lib', '--help'], check=True)\n"})
    lib = "src/pkg/lib.py"
    index = CoverageIndex(NODES, frozenset(), {}, {lib: "1-5"}, frozenset({lib}))
    body = ChangedFile(lib, None, FileStatus.MODIFIED, frozenset({6}), frozenset({6}))  # f's body: never run by -m
    by = {t.identity: t for t in select([body], index, {}, Budget(Mode.CONFIDENCE, 0.99), graph=g).tests}
    assert all(r.signal is not Signal.SUBPROCESS for r in by[CLI_T].reasons)
    const = ChangedFile(lib, None, FileStatus.MODIFIED, frozenset({3}), frozenset({3}))  # X = 1 runs at import
    by = {t.identity: t for t in select([const], index, {}, Budget(Mode.CONFIDENCE, 0.99), graph=g).tests}
    assert by[CLI_T].selected and any(r.signal is Signal.SUBPROCESS for r in by[CLI_T].reasons)
