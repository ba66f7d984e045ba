"""Symbol-level evidence for changed lines run at import, and test-source name references (pure)."""

from __future__ import annotations

import ast

from argus.analysis.selection.algo import score, select
from argus.analysis.selection.impact import symbol_impact
from argus.analysis.selection.imports import build_graph
from argus.analysis.selection.schemas import (
    Budget,
    ChangedFile,
    CoverageIndex,
    FileStatus,
    MapEntry,
    Mode,
    SelectParams,
    Signal,
)
from argus.analysis.selection.symbols import file_symbols
from argus.analysis.selection.testfiles import is_test_file

MOD = "src/pkg/mod.py"
USER = "src/pkg/user.py"
# line 1: constant; 3: decorator; 4: def header (default value); 5: body; 7-8: a function using LIMIT
SRC = "LIMIT = 3\n\n@staticmethod\ndef f(x=1):\n    return x\n\ndef g(n):\n    return n < LIMIT\n\n__all__ = ['f', 'g']\n"
CALLS = "tests.test_calls::test_calls_f"
NAMES = "tests.test_names::test_names_f"
OTHER = "tests.test_names::test_other"
STAR = "tests.test_star::test_star"
NSPACE = "tests.test_ns::test_namespace"
PLAIN = "tests.test_plain::test_plain"
LIMITS = "tests.test_plain::test_limit"
NODES = {t: t.split("::")[0].replace(".", "/") + ".py::" + t.split("::")[1]
         for t in (CALLS, NAMES, OTHER, STAR, NSPACE, PLAIN, LIMITS)}
TESTS = {
    "tests/test_calls.py": "from pkg import mod\n\ndef test_calls_f():\n    assert mod.f() == 1\n",
    "tests/test_names.py": "from pkg.mod import f\n\ndef test_names_f():\n    assert f.__name__ == 'f'\n\n"
                           "def test_other():\n    assert True\n",
    "tests/test_star.py": "from pkg.mod import *\n\ndef test_star():\n    assert g(1)\n",
    "tests/test_ns.py": "import pkg.mod\n\ndef test_namespace():\n    assert 'f' in vars(pkg.mod)\n",
    "tests/test_plain.py": "from pkg import mod\n\ndef test_plain():\n    assert mod\n\ndef test_limit():\n"
                           "    assert mod.g(1)\n",
}


def _graph(src: str = SRC, **more: str) -> object:
    return build_graph({MOD: src, "src/pkg/__init__.py": "", **TESTS, **more})


def _index(extra: dict[str, list[MapEntry]] | None = None, imports: str = "1,3-4,7,10") -> CoverageIndex:
    entries = {MOD: [MapEntry(CALLS, MOD, "5", 1), MapEntry(LIMITS, MOD, "8", 2), MapEntry(STAR, MOD, "8", 3)],
               **(extra or {})}
    return CoverageIndex(NODES, frozenset(), entries, {MOD: imports}, frozenset(entries) | {MOD},
                         ran=frozenset(NODES))


def _scored(lines: tuple[int, ...], graph: object, index: CoverageIndex | None = None,
            p: SelectParams | None = None, added: tuple[str, ...] | None = None) -> dict[str, object]:
    # by default the new side keeps the old statements (a changed value, not a removed name)
    new = added if added is not None else tuple((SRC + "LIMIT2 = 4\n").splitlines()[n - 1] for n in lines)
    ch = ChangedFile(MOD, None, FileStatus.MODIFIED, frozenset(lines), frozenset(lines), added=new)
    ranked, _, notes = score([ch], index or _index(), {}, graph=graph, p=p)  # type: ignore[arg-type]
    out: dict[str, object] = {t.identity: t for t in ranked}
    out["notes"] = notes
    return out


def _top(t: object) -> object:
    return t.reasons[0]  # type: ignore[attr-defined]


def test_file_symbols_records_bindings_mentions_stars_and_namespace_reads() -> None:
    fs = file_symbols(ast.parse(SRC), MOD, "pkg.mod")
    assert [s.binds for s in fs.stmts] == [frozenset({"LIMIT"}), frozenset({"f"}), frozenset({"g"}),
                                           frozenset({"__all__"})]
    assert fs.all_names == ("f", "g") and not fs.introspective
    assert "LIMIT" in fs.function_at(8).mentions and fs.function_at(8).name == "g"  # type: ignore[union-attr]
    ns = file_symbols(ast.parse(TESTS["tests/test_ns.py"]), "tests/test_ns.py", "tests.test_ns")
    assert ns.dynamic == (("test_namespace", 4, "pkg.mod"),)
    star = file_symbols(ast.parse(TESTS["tests/test_star.py"]), "tests/test_star.py", "tests.test_star")
    assert star.stars == ("pkg.mod",)
    own = file_symbols(ast.parse("X = 1\nglobals()['Y'] = X\n"), "m.py", "m")
    assert own.introspective


def test_a_changed_def_header_reaches_the_tests_running_or_naming_the_function_only() -> None:
    t = _scored((4,), _graph())
    assert _top(t[CALLS]).signal is Signal.IMPORT_TIME and "executes code using f" in _top(t[CALLS]).text  # type: ignore[attr-defined]
    assert _top(t[NAMES]).signal is Signal.SYMBOL and "tests/test_names.py:4) mentions f" in _top(t[NAMES]).text  # type: ignore[attr-defined]
    # the other test of that module only shares its import line: module-level mention, lower
    assert _top(t[OTHER]).signal is Signal.SYMBOL and t[OTHER].score < t[NAMES].score  # type: ignore[attr-defined]
    assert "reads the namespace of pkg.mod" in _top(t[NSPACE]).text  # type: ignore[attr-defined]
    assert "from pkg.mod import *" in _top(t[STAR]).text  # type: ignore[attr-defined]
    # test_plain neither runs nor mentions f: the file-level probability (its module is the import smoke test
    # only when it comes first; here test_calls executes the file)
    assert _top(t[PLAIN]).signal is Signal.FILE and "neither runs nor mentions f" in _top(t[PLAIN]).text  # type: ignore[attr-defined]
    assert t[PLAIN].score < 1e-4  # type: ignore[attr-defined]
    # without symbols, a def header reaches the tests running its body only: not a test naming f
    off = _scored((4,), _graph(), p=SelectParams(symbol_evidence=False))
    assert not any(r.signal is Signal.SYMBOL for r in off[NAMES].reasons)  # type: ignore[attr-defined]


def test_a_changed_constant_reaches_the_tests_running_code_that_uses_it() -> None:
    t = _scored((1,), _graph())
    assert "executes code using LIMIT (src/pkg/mod.py:8-8)" in _top(t[LIMITS]).text  # type: ignore[attr-defined]
    assert _top(t[NAMES]).signal is Signal.FILE or t[NAMES].score < 1e-3  # type: ignore[attr-defined]
    sel = select([ChangedFile(MOD, None, FileStatus.MODIFIED, frozenset({1}), frozenset({1}))], _index(), {},
                 Budget(Mode.CONFIDENCE, 0.99), graph=_graph())  # type: ignore[arg-type]
    chosen = {x.identity for x in sel.selected}
    assert {LIMITS, STAR} <= chosen and PLAIN not in chosen and NAMES not in chosen


def test_a_constant_used_at_import_elsewhere_follows_the_names_bound_there() -> None:
    # user.py binds DOUBLE from LIMIT at import; test_calls names DOUBLE through pkg.user
    user = "from pkg.mod import LIMIT\nDOUBLE = LIMIT * 2\n"
    calls = "from pkg import user\n\ndef test_calls_f():\n    assert user.DOUBLE\n"
    g = _graph(**{USER: user, "tests/test_calls.py": calls})
    imp = symbol_impact(g, MOD, [1], lambda f: is_test_file(f, ("tests/*.py",)), lambda f: True,  # type: ignore[arg-type]
                        ["LIMIT = 4"])
    assert not isinstance(imp, str)
    assert (USER, "DOUBLE") in imp.affected and "test_calls_f" in imp.test_refs["tests/test_calls.py"]


def test_an_incomplete_analysis_falls_back_to_every_user_of_the_module_and_says_why() -> None:
    # a module-level call using f: a side effect the names cannot follow
    g = _graph(**{USER: "from pkg.mod import LIMIT\nprint(LIMIT)\n", "tests/test_user.py": "from pkg import user\n"})
    t = _scored((1,), g)
    assert _top(t[PLAIN]).signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]
    assert any("symbol analysis not complete" in n and "src/pkg/user.py:2 uses LIMIT" in n for n in t["notes"])  # type: ignore[attr-defined]
    # a module reading its own namespace
    t2 = _scored((1,), _graph(SRC + "globals()['h'] = f\n"))
    assert _top(t2[PLAIN]).signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]
    # code using the name in a file the map did not measure
    g3 = _graph(**{USER: "from pkg.mod import f\ndef h():\n    return f()\n", "tests/test_plain.py":
                   "from pkg import user\n\ndef test_plain():\n    assert user\n\ndef test_limit():\n    pass\n"})
    t3 = _scored((4,), g3)
    assert any("did not measure" in n for n in t3["notes"])  # type: ignore[attr-defined]
    # measured: the tests executing h are reached through the map
    idx = _index({USER: [MapEntry(PLAIN, USER, "3", 9)]})
    t4 = _scored((4,), g3, idx)
    assert "executes code using f (src/pkg/user.py:3-3)" in _top(t4[PLAIN]).text  # type: ignore[attr-defined]


def test_a_changed_all_reaches_star_importers_and_namespace_readers() -> None:
    t = _scored((10,), _graph())
    assert any(r.signal is Signal.SYMBOL and "import *" in r.text for r in t[STAR].reasons)  # type: ignore[attr-defined]
    assert "reads the namespace" in _top(t[NSPACE]).text  # type: ignore[attr-defined]
    assert t[PLAIN].score < t[STAR].score  # type: ignore[attr-defined]


def test_a_function_called_at_import_reaches_the_state_it_fills() -> None:
    # register() runs at import (the module calls it) and fills RULES; lookup() reads RULES: a change to
    # register's body reaches the tests running lookup, and one test importing the module
    src = "RULES = []\n\ndef register(a):\n    RULES.append(a)\n\ndef lookup(x):\n    return x in RULES\n\nregister(1)\n"
    g = _graph(src)
    imp = symbol_impact(g, MOD, [4], lambda f: is_test_file(f, ("tests/*.py",)), lambda f: True)  # type: ignore[arg-type]
    assert not isinstance(imp, str) and (MOD, "RULES") in imp.affected and (7, 7) in [sp[:2] for sp in imp.spans[MOD]]
    idx = CoverageIndex(NODES, frozenset(), {MOD: [MapEntry(LIMITS, MOD, "7", 1), MapEntry(PLAIN, MOD, "4", 2)]},
                        {MOD: "1,3-4,6,9"}, frozenset({MOD}), ran=frozenset(NODES))
    t = _scored((4,), g, idx, added=("    RULES.append(a + 1)",))
    assert "executes code using RULES (src/pkg/mod.py:7-7)" in _top(t[LIMITS]).text  # type: ignore[attr-defined]
    assert t[NAMES].score < 1e-4  # type: ignore[attr-defined]
    # a method run at import acts on instance state: not followed
    meth = "class R:\n    def add(self, a):\n        self.a = a\n\nREG = R()\nREG.add(1)\n"
    got = symbol_impact(_graph(meth), MOD, [3], lambda f: is_test_file(f, ("tests/*.py",)), lambda f: True)  # type: ignore[arg-type]
    assert isinstance(got, str) and "method" in got


def test_an_import_error_is_still_seen_by_one_importing_test() -> None:
    # nobody runs or names LIMIT2: one test importing the module still runs (an error raised at import)
    src = SRC + "LIMIT2 = 4\n"
    t = _scored((11,), _graph(src), _index(imports="1,3-4,7,10-11"))
    smoke = [x for x in t.values() if hasattr(x, "reasons") and any("error raised at import" in r.text
                                                                    for r in x.reasons)]
    assert len(smoke) == 1 and smoke[0].change_score >= 0.3  # type: ignore[attr-defined]


def test_a_covering_test_naming_the_changed_function_ranks_first() -> None:
    # test_star and test_limit both cover line 8 (g's body); only test_limit's own code names g … and
    # test_star too (g(1)); test_plain's test_plain covers it as well but never names g
    idx = _index({MOD: [MapEntry(PLAIN, MOD, "8", 4), MapEntry(LIMITS, MOD, "8", 2)]})
    t = _scored((8,), _graph(), idx)
    assert any(r.signal is Signal.SYMBOL and "names g" in r.text for r in t[LIMITS].reasons)  # type: ignore[attr-defined]
    assert t[LIMITS].score > t[PLAIN].score  # type: ignore[attr-defined]


def test_a_removed_name_used_at_import_elsewhere_is_not_narrowed() -> None:
    # user.py imports LIMIT at import: removing LIMIT = 3 makes user.py fail to import
    g = _graph(**{USER: "from pkg.mod import LIMIT\n\ndef h():\n    return LIMIT\n",
                  "tests/test_user.py": "from pkg import user\n"})
    idx = _index({USER: [MapEntry(PLAIN, USER, "4", 9)]})
    kept = _scored((1,), g, idx)
    assert not any("symbol analysis not complete" in n for n in kept["notes"])  # type: ignore[attr-defined]
    gone = _scored((1,), g, idx, added=("pass",))
    assert any("src/pkg/user.py:1 uses LIMIT at import, which the change may remove" in n for n in gone["notes"])  # type: ignore[attr-defined]
    assert _top(gone[PLAIN]).signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]


def test_a_removed_name_used_later_at_import_by_its_own_module_is_not_narrowed() -> None:
    # removing FLAGS = 1 makes "FLAGS |= 2" fail when the module is imported: every importer fails
    src = "FLAGS = 1\nif True:\n    FLAGS |= 2\n"
    gone = _scored((1,), _graph(src), _index(imports="1-3"), added=("pass",))
    assert any("src/pkg/mod.py:2 uses FLAGS at import, which the change may remove" in n for n in gone["notes"])  # type: ignore[attr-defined]
    kept = _scored((1,), _graph(src), _index(imports="1-3"), added=("FLAGS = 4",))
    assert not any("not complete" in n for n in kept["notes"])  # type: ignore[attr-defined]


def test_a_dunder_body_line_run_at_import_is_not_narrowed_by_name() -> None:
    # __getitem__ runs at import through x[0] in some module: nobody names it, so every user is at risk
    src = "class L(list):\n    def __getitem__(self, i):\n        return 1\n"
    g = build_graph({MOD: src, "src/pkg/__init__.py": "", "tests/test_plain.py": "from pkg import mod\n"
                     "X = mod.L()[0]\n\ndef test_plain():\n    assert X\n"})
    idx = CoverageIndex(NODES, frozenset(), {MOD: []}, {MOD: "1-3"}, frozenset({MOD}), ran=frozenset(NODES))
    t = _scored((3,), g, idx, added=("        return 2",))
    assert _top(t[PLAIN]).signal is Signal.IMPORT_TIME  # type: ignore[attr-defined]


def test_a_covering_test_executing_a_read_of_a_changed_assignment_ranks_first() -> None:
    # line 2 assigns kinds; only line 5 (inside the nested check) reads it: a test that reaches line 5 can
    # observe the changed value, one that only runs line 2 hardly
    src = "def group(xs):\n    kinds = (int, str)\n    out = []\n    def check(x):\n        return isinstance(x, kinds)\n    return out\n"
    idx = CoverageIndex(NODES, frozenset(), {MOD: [MapEntry(PLAIN, MOD, "2-4,6", 1), MapEntry(LIMITS, MOD, "2-6", 2)]},
                        {MOD: "1"}, frozenset({MOD}), ran=frozenset(NODES))
    t = _scored((2,), _graph(src), idx, added=("    kinds = (int,)",))
    assert any(r.signal is Signal.LINE and "src/pkg/mod.py:5, which reads kinds" in r.text for r in t[LIMITS].reasons)  # type: ignore[attr-defined]
    assert t[LIMITS].score > t[PLAIN].score > 0.4  # type: ignore[attr-defined]
    fs = file_symbols(ast.parse(src), MOD, "pkg.mod")
    assert fs.uses[2] == ("kinds", (5,))


def test_an_incomplete_analysis_still_ranks_the_tests_naming_the_changed_binding_first() -> None:
    # a module with a __getattr__ (PEP 562): the closure over names is not complete, every user stays at
    # risk, and the test whose own code names the changed constant (through an attribute chain) leads
    src = SRC + "\ndef __getattr__(name):\n    raise AttributeError(name)\n"
    g = _graph(src, **{"tests/test_chain.py": "from pkg import mod\n\ndef test_chain():\n    assert mod.LIMIT\n\n"
                                              "def test_not():\n    assert mod\n"})
    nodes = {**NODES, "tests.test_chain::test_chain": "tests/test_chain.py::test_chain",
             "tests.test_chain::test_not": "tests/test_chain.py::test_not"}
    idx = CoverageIndex(nodes, frozenset(), _index().entries, {MOD: "1,3-4,7,10,12"}, frozenset({MOD}),
                        ran=frozenset(nodes))
    t = _scored((1,), g, idx)
    assert any("symbol analysis not complete" in n for n in t["notes"])  # type: ignore[attr-defined]
    chain, other = t["tests.test_chain::test_chain"], t["tests.test_chain::test_not"]
    assert _top(chain).signal is Signal.SYMBOL and "mentions LIMIT" in _top(chain).text  # type: ignore[attr-defined]
    assert chain.score > other.score > 0.05  # type: ignore[attr-defined]  # the other user stays at risk
    # complete analyses are unchanged: no such reason without the __getattr__
    plain = _scored((1,), _graph(**{"tests/test_chain.py": "from pkg import mod\n\ndef test_chain():\n"
                                                           "    assert mod.LIMIT\n"}), idx)
    assert "symbol analysis not complete" not in " ".join(plain["notes"])  # type: ignore[arg-type]


def test_a_changed_module_getattr_reaches_the_tests_naming_the_attributes_it_serves() -> None:
    from argus.analysis.selection.impact import direct_test_refs, getattr_names

    files = {
        "src/pkg/__init__.py": "from pkg.meta import make_getattr\n\n__getattr__ = make_getattr(__name__)\n",
        "src/pkg/meta.py": "def make_getattr(mod):\n    def __getattr__(name):\n"
                           "        if name not in ('__version__', 'helper'):\n            raise AttributeError(name)\n"
                           "        return metadata('pkg')\n    return __getattr__\n\ndef helper():\n    pass\n",
        "tests/test_meta.py": "import pytest\nimport pkg\n\n@pytest.fixture(params=[pkg])\ndef mod(request):\n"
                              "    return request.param\n\ndef test_version(mod):\n    assert mod.__version__\n\n"
                              "def test_helper(mod):\n    assert mod.helper\n\ndef test_other():\n    assert pkg\n",
    }
    g = build_graph(files)
    # the identifier literals of the function building it; a name the project binds (helper) or a module
    # name (pkg) would match any x.helper / "pkg" and is left out
    assert getattr_names(g, "src/pkg/__init__.py") == {"__version__"}
    refs = direct_test_refs(g, "src/pkg/__init__.py", {"__getattr__"}, ["tests/test_meta.py"])
    assert set(refs["tests/test_meta.py"]) == {"test_version"}


def test_a_covering_test_reading_an_attribute_the_changed_line_stores_ranks_first() -> None:
    # line 2 stores w.g: test_limit's own code reads .g (mod.g), test_plain only runs past the line
    src = "def wrap(w):\n    w.g = 1\n    setattr(w, 'h', 2)\n    return w\n"
    idx = CoverageIndex(NODES, frozenset(), {MOD: [MapEntry(PLAIN, MOD, "2-4", 1), MapEntry(LIMITS, MOD, "2-4", 2)]},
                        {MOD: "1"}, frozenset({MOD}), ran=frozenset(NODES))
    t = _scored((2,), _graph(src), idx, added=("    w.g = 2",))
    assert any(r.signal is Signal.LINE and "reads .g, which changed line src/pkg/mod.py:2 stores" in r.text
               for r in t[LIMITS].reasons)  # type: ignore[attr-defined]
    assert t[LIMITS].score > t[PLAIN].score >= 0.5  # type: ignore[attr-defined]
    fs = file_symbols(ast.parse(src), MOD, "pkg.mod")
    assert fs.stores == {2: ("g",), 3: ("h",)}


def test_a_test_module_calling_an_import_time_function_itself_gets_the_import_time_probability() -> None:
    # make's body runs at import: test_made's module calls it while being collected (the map cannot see
    # that), test_user's module only imports user.py, which re-exports it
    made, user = "tests.test_made::test_made", "tests.test_user::test_user"
    g = build_graph({MOD: "def make(k):\n    return k + 1\n", "src/pkg/__init__.py": "",
                     USER: "from pkg.mod import make\n",
                     "tests/test_made.py": "from pkg import mod\nX = mod.make(1)\n\ndef test_made():\n    assert X == 2\n",
                     "tests/test_user.py": "from pkg import user\n\ndef test_user():\n    assert user\n"})
    nodes = {made: "tests/test_made.py::test_made", user: "tests/test_user.py::test_user"}
    idx = CoverageIndex(nodes, frozenset(), {MOD: []}, {MOD: "1-2"}, frozenset({MOD}), ran=frozenset(nodes))
    ch = ChangedFile(MOD, None, FileStatus.MODIFIED, frozenset({2}), frozenset({2}), added=("    return k + 2",))
    ranked, _, _ = score([ch], idx, {}, graph=g)
    t = {x.identity: x for x in ranked}
    assert "tests/test_made.py) names make itself" in _top(t[made]).text
    assert t[made].score >= 0.3 > t[user].score > 0


def test_an_incomplete_analysis_ranks_tests_executing_code_that_names_the_changed_binding() -> None:
    # the __getattr__ makes the analysis incomplete; show() reads mod.LIMIT, other() does not
    src = SRC + "\ndef __getattr__(name):\n    raise AttributeError(name)\n"
    show, other = "tests.test_user::test_show", "tests.test_user::test_other"
    g = _graph(src, **{USER: "from pkg import mod\n\ndef show():\n    return mod.LIMIT\n\ndef other():\n    return 1\n",
                       "tests/test_user.py": "from pkg import user\n\ndef test_show():\n    assert user.show()\n\n"
                                             "def test_other():\n    assert user.other()\n"})
    nodes = {**NODES, show: "tests/test_user.py::test_show", other: "tests/test_user.py::test_other"}
    idx = CoverageIndex(nodes, frozenset(), {**_index().entries, USER: [MapEntry(show, USER, "4", 7),
                                                                         MapEntry(other, USER, "7", 8)]},
                        {MOD: "1,3-4,7,10,12", USER: "1,3,6"}, frozenset({MOD, USER}), ran=frozenset(nodes))
    t = _scored((1,), g, idx)
    assert any("symbol analysis not complete" in n for n in t["notes"])  # type: ignore[attr-defined]
    assert any("executes code using LIMIT (src/pkg/user.py:4-4)" in r.text for r in t[show].reasons)  # type: ignore[attr-defined]
    assert t[show].score > t[other].score > 0  # type: ignore[attr-defined]
