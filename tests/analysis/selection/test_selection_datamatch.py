"""Data evidence: the change's literals matched against the tests' parameters and literals (pure)."""

from __future__ import annotations

import ast

from argus.analysis.selection.algo import score
from argus.analysis.selection.datamatch import (
    DataDoc,
    Datum,
    change_data,
    param_values,
    rank,
    safe_pattern,
    tokens,
)
from argus.analysis.selection.imports import build_graph
from argus.analysis.selection.schemas import (
    ChangedFile,
    CoverageIndex,
    FileStatus,
    MapEntry,
    SelectParams,
    Signal,
)
from argus.analysis.selection.symbols import file_symbols, literals_by_line
from argus.analysis.selection.testfiles import is_test_file

MOD = "pkg/words.py"
# 1-4: a rule table; 6-8: a registry function; 10-11: calls at import; 13-18: the function the tests run
SRC = (
    "RULES = [\n"
    "    (r'(?i)(quiz)$', r'\\1zes'),\n"
    "    (r'(?i)(ox)$', r'\\1en'),\n"
    "]\n"
    "\n"
    "def _irregular(singular, plural):\n"
    "    RULES.insert(0, (singular + '$', plural))\n"
    "    return None\n"
    "\n"
    "_irregular('person', 'people')\n"
    "_irregular('child', 'children')\n"
    "\n"
    "def pluralize(word):\n"
    "    import re\n"
    "    for rule, repl in RULES:\n"
    "        if re.search(rule, word):\n"
    "            return re.sub(rule, repl, word)\n"
    "    return word + 's'\n"
)
TEST = (
    "import pytest\n"
    "from pkg.words import pluralize\n"
    "\n"
    "PAIRS = [('person', 'people'), ('child', 'children'), ('quiz', 'quizzes'), ('box', 'boxes'), ('cat', 'cats')]\n"
    "\n"
    "@pytest.mark.parametrize(('s', 'p'), PAIRS)\n"
    "def test_plural(s, p):\n"
    "    assert pluralize(s) == p\n"
    "\n"
    "def test_empty():\n"
    "    assert pluralize('ox') == 'oxen'\n"
)
TFILE = "tests/test_words.py"
IDS = [f"tests.test_words::test_plural[{a}-{b}]" for a, b in
       [("person", "people"), ("child", "children"), ("quiz", "quizzes"), ("box", "boxes"), ("cat", "cats")]]
EMPTY = "tests.test_words::test_empty"
NODES = {t: TFILE + "::" + t.split("::")[1] for t in [*IDS, EMPTY]}


def _graph() -> object:
    return build_graph({MOD: SRC, "pkg/__init__.py": "", TFILE: TEST})


def _is_test(f: str) -> bool:
    return is_test_file(f, SelectParams().test_globs)


def test_tokens_case_fold_and_split_on_non_alphanumerics() -> None:
    assert tokens("Person-People_2") == {"person", "people", "2"}
    assert tokens("  ") == frozenset()
    assert tokens("version 3.10, size 1.5e3") == {"version", "3.10", "size", "1.5", "e3"}  # numbers stay whole
    assert tokens("Ärger.über") == {"ärger", "über"}


def test_param_values_are_the_id_and_its_dash_separated_parts() -> None:
    assert param_values("m::t[person-people]") == ("person-people", "person", "people")
    assert param_values("m::t[3]") == ("3",)
    assert param_values("m::t") == ()


def test_a_regex_literal_is_compiled_only_when_safe() -> None:
    assert safe_pattern(r"(?i)(quiz)$") is not None
    assert safe_pattern(r"(?i)([^aeiouy]|qu)y$") is not None
    assert safe_pattern(r"^\w+\s\w+$") is not None  # two repetitions: at most ~100² steps a search
    assert safe_pattern("person") is None  # no metacharacter: a word, tokenised
    assert safe_pattern("(") is None  # does not compile
    assert safe_pattern("$") is None and safe_pattern(".*") is None  # matches anything
    assert safe_pattern(r"\1zes") is None  # a replacement template: a back-reference
    for hostile in (r"(a+)+$", r"(a|aa)*b", r"(\w+\s?)*$", r"(x)\1", "a{1,100000}", r"\d+\d+\d+x"):
        assert safe_pattern(hostile) is None, hostile


def test_a_hostile_pattern_is_not_applied() -> None:
    # applied, (a+)+$ would take ~2^40 steps on this value; it is only tokenised (``a``: too short)
    docs = {"t": DataDoc(("a" * 40 + "!",), ())}
    assert rank([Datum(r"(a+)+$", "changed line m.py:1")], docs) == {}


def test_a_regex_of_a_changed_rule_is_applied_to_the_tests_values() -> None:
    docs = {t: DataDoc(param_values(t), ()) for t in IDS}
    got = rank([Datum(r"(?i)(quiz)$", "changed line m.py:2")], docs)
    assert set(got) == {IDS[2]}
    assert got[IDS[2]].text == 'pattern "(?i)(quiz)$" of changed line m.py:2 matches the test\'s data "quiz"'
    assert got[IDS[2]].weight == 1.0  # the only test it meets: full weight


def test_rarer_words_weigh_more() -> None:
    docs = {f"t{i}": DataDoc((f"common-w{i}",), ()) for i in range(20)}
    docs["rare"] = DataDoc(("common-rare",), ())
    got = rank([Datum("common", "changed line m.py:1"), Datum("rare", "changed line m.py:2")], docs)
    assert got["rare"].weight == 1.0 and got["t0"].weight < 0.2
    assert got["rare"].text.startswith('data "rare" of changed line m.py:2 appears in the test\'s parameters')


def test_change_data_takes_the_literals_of_a_changed_line_and_of_calls_to_a_changed_body() -> None:
    g = _graph()
    entry = change_data(g, {MOD: [2]}, _is_test)  # a rule-table entry
    assert [d.value for d in entry] == ["(?i)(quiz)$", "\\1zes"]
    body = change_data(g, {MOD: [7]}, _is_test)  # _irregular's body: its calls' arguments count
    assert {d.value for d in body} >= {"person", "people", "child", "children", "$"}
    assert any(d.where == f"changed call _irregular(...) at {MOD}:10" for d in body)


def _index() -> CoverageIndex:
    # every test runs pluralize; the module's body (tables, calls) runs at import
    rows = [MapEntry(t, MOD, "14-18", i) for i, t in enumerate([*IDS, EMPTY])]
    return CoverageIndex(NODES, frozenset(), {MOD: rows}, {MOD: "1-4,6-8,10-11,13"}, frozenset({MOD}),
                         ran=frozenset(NODES))


def _ranked(lines: set[int], p: SelectParams | None = None) -> list[tuple[str, object]]:
    changed = [ChangedFile(MOD, None, FileStatus.MODIFIED, frozenset(lines), frozenset(lines))]
    ranked, _, _ = score(changed, _index(), {}, (), _graph(), p)
    return [(t.identity, t) for t in ranked]


def test_a_changed_body_of_a_function_called_at_import_ranks_the_tests_with_its_data_first() -> None:
    ranked = _ranked({7})
    top = {ident for ident, _ in ranked[:2]}
    assert top == {IDS[0], IDS[1]}
    reason = next(r for r in ranked[0][1].reasons if r.signal is Signal.DATA)  # type: ignore[attr-defined]
    assert "of changed call _irregular(...)" in reason.text and "appears in the test's parameters" in reason.text
    off = _ranked({7}, SelectParams(data_evidence=False))
    assert not any(r.signal is Signal.DATA for _, t in off for r in t.reasons)  # type: ignore[attr-defined]


def test_a_changed_rule_entry_ranks_the_tests_it_matches_first() -> None:
    ranked = _ranked({2})
    assert ranked[0][0] == IDS[2]


def test_data_evidence_adds_no_test_without_other_evidence() -> None:
    # a test of another module sharing the change's data ("person") but no coverage or import: no reason
    other = "tests.test_other::test_x[person]"
    g = build_graph({MOD: SRC, "pkg/__init__.py": "", TFILE: TEST,
                     "tests/test_other.py": "import pytest\n\n@pytest.mark.parametrize('w', ['person'])\n"
                                            "def test_x(w):\n    assert w\n"})
    idx = _index()
    nodes = {**NODES, other: "tests/test_other.py::test_x[person]"}
    idx = CoverageIndex(nodes, frozenset(), idx.entries, idx.import_lines, idx.files, ran=frozenset(nodes))
    changed = [ChangedFile(MOD, None, FileStatus.MODIFIED, frozenset({10}), frozenset({10}))]
    ranked, _, _ = score(changed, idx, {}, (), g)
    by = {t.identity: t for t in ranked}
    assert not any(r.signal is Signal.DATA for r in by[other].reasons)
    assert any(r.signal is Signal.DATA for r in by[IDS[0]].reasons)  # the same data, and at risk


def test_literals_per_line_leave_docstrings_booleans_and_empty_strings_out() -> None:
    src = '"""doc"""\nX = {"a": 1.5, "b": True}\n\ndef f():\n    """doc"""\n    return f"" or "" or None or -2\n'
    tree = ast.parse(src)
    assert literals_by_line(tree) == {2: ("a", "b", "1.5"), 6: ("2",)}
    assert file_symbols(tree, "m.py", "m").literals == literals_by_line(tree)


def test_a_weakly_reached_test_does_not_leap_over_better_evidenced_ones() -> None:
    # a test importing the module only through a helper (depth 2) shares the changed call's data
    deep = "tests.test_deep::test_d[person]"
    g = build_graph({MOD: SRC, "pkg/__init__.py": "", TFILE: TEST, "pkg/helper.py": "from pkg import words\n",
                     "tests/test_deep.py": "import pytest\nfrom pkg import helper\n\n"
                                           "@pytest.mark.parametrize('w', ['person'])\ndef test_d(w):\n    assert w\n"})
    idx = _index()
    nodes = {**NODES, deep: "tests/test_deep.py::test_d[person]"}
    idx = CoverageIndex(nodes, frozenset(), idx.entries, idx.import_lines, idx.files, ran=frozenset(nodes))
    changed = [ChangedFile(MOD, None, FileStatus.MODIFIED, frozenset({10}), frozenset({10}))]
    ranked, _, _ = score(changed, idx, {}, (), g)
    by = {t.identity: t for t in ranked}
    data = next(r for r in by[deep].reasons if r.signal is Signal.DATA)
    reach = max(r.p for r in by[deep].reasons if r.signal in (Signal.IMPORT_TIME, Signal.IMPORTS))
    assert data.p <= reach  # scaled by how strongly the change reaches the test
    assert by[deep].score < by[IDS[3]].score  # below a test running the module, which matches no data
