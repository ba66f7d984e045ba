"""Pure parts of test selection: line ranges, context → identity, coverage JSON, unified diffs, imports."""

from __future__ import annotations

import json

import pytest

from argus.analysis.selection.contexts import (
    base_identity,
    identity_of_node,
    node_of_identity,
    ref_of_context,
)
from argus.analysis.selection.diffparse import parse_diff
from argus.analysis.selection.imports import build_graph
from argus.analysis.selection.mapfile import parse_coverage_json
from argus.analysis.selection.ranges import count, decode, encode, hits, lines_of
from argus.analysis.selection.schemas import FileStatus
from argus.analysis.selection.testfiles import defined_tests, is_test_file
from argus.core.errors import InputError
from argus.ingest.testreports.identity import make_identity


def test_ranges_round_trip() -> None:
    assert encode([7, 1, 2, 3, 9, 10, 3]) == "1-3,7,9-10"
    assert encode([]) == ""
    assert decode("1-3,7") == [(1, 3), (7, 7)]
    assert lines_of("1-3,7") == {1, 2, 3, 7}
    assert count("1-3,7,9-10") == 6
    assert hits("1-3,7", [0, 2, 7, 8]) == [2, 7]
    with pytest.raises(ValueError):
        decode("5-2")


@pytest.mark.parametrize(("context", "identity", "node"), [
    ("tests/test_x.py::TestA::test_b[1]|run", "tests.test_x.TestA::test_b[1]", "tests/test_x.py::TestA::test_b[1]"),
    ("tests/test_x.py::test_c|setup", "tests.test_x::test_c", "tests/test_x.py::test_c"),
    ("tests/test_x.py::test_c|teardown", "tests.test_x::test_c", "tests/test_x.py::test_c"),
    ("pkg/tests/test_y.py::test_d", "pkg.tests.test_y::test_d", "pkg/tests/test_y.py::test_d"),
])
def test_pytest_cov_contexts_become_junit_identities(context: str, identity: str, node: str) -> None:
    ref = ref_of_context(context)
    assert ref is not None and ref.identity == identity and ref.node_id == node and not ref.all_params
    # pytest's JUnit XML for the same test: classname is the dotted module (+ class), name the function
    cls, name = identity.rsplit("::", 1)
    assert make_identity("pytest", cls, name, None) == identity


def test_test_function_contexts_stand_for_every_parametrisation() -> None:
    ref = ref_of_context("tests.test_x.TestA.test_b")
    assert ref is not None and ref.identity == "tests.test_x.TestA::test_b" and ref.all_params
    assert ref.node_id == "tests/test_x.py::TestA::test_b"
    assert base_identity("tests.test_x.TestA::test_b[1-2]") == ref.identity


def test_import_and_foreign_contexts_name_no_test() -> None:
    assert ref_of_context("") is None
    assert ref_of_context("not a test") is None


def test_node_ids_of_identities() -> None:
    assert node_of_identity("tests.test_x.TestA::test_b[1]") == "tests/test_x.py::TestA::test_b[1]"
    assert node_of_identity("tests.test_x::t", "tests/test_x.py") == "tests/test_x.py::t"
    assert node_of_identity("com.acme.BillingTest::testPay") is None
    assert identity_of_node("a/test_b.py::C::t[x]") == "a.test_b.C::t[x]"


def _report() -> dict[str, object]:
    return {"meta": {"show_contexts": True}, "files": {
        "src/pkg/mod.py": {"executed_lines": [1, 2, 5, 6, 7], "contexts": {
            "1": [""], "2": [""], "5": ["tests/test_mod.py::test_a|run", "tests/test_mod.py::test_b|run"],
            "6": ["tests/test_mod.py::test_a|run"], "7": ["tests/test_mod.py::test_a|setup"]}},
        "src/pkg/other.py": {"executed_lines": [3], "contexts": {"3": ["tests/test_mod.py::test_b|run"]}},
    }}


def test_coverage_json_with_contexts_becomes_ranges_per_test_and_file() -> None:
    m = parse_coverage_json(json.dumps(_report()))
    assert m.tests == {"tests.test_mod::test_a": "tests/test_mod.py::test_a",
                       "tests.test_mod::test_b": "tests/test_mod.py::test_b"}
    assert m.entries[("tests.test_mod::test_a", "src/pkg/mod.py")] == "5-7"
    assert m.entries[("tests.test_mod::test_b", "src/pkg/other.py")] == "3"
    assert m.import_lines == {"src/pkg/mod.py": "1-2"}
    assert m.lines == 5


def test_coverage_json_without_contexts_or_files_is_refused() -> None:
    with pytest.raises(InputError, match="no contexts"):
        parse_coverage_json(json.dumps({"files": {"a.py": {"executed_lines": [1]}}}))
    with pytest.raises(InputError, match="files"):
        parse_coverage_json(b"[]")
    with pytest.raises(InputError, match="not JSON"):
        parse_coverage_json(b"{")


DIFF = """diff --git a/src/pkg/mod.py b/src/pkg/mod.py
index 1..2 100644
--- a/src/pkg/mod.py
+++ b/src/pkg/mod.py
@@ -4,4 +4,4 @@ def f():
 x = 1
-    return a < b
+    return a >= b
 y = 2
 z = 3
@@ -20,2 +20,4 @@
 a = 1
+b = 2
+c = 3
 d = 4
diff --git a/tests/test_new.py b/tests/test_new.py
new file mode 100644
--- /dev/null
+++ b/tests/test_new.py
@@ -0,0 +1,2 @@
+def test_new():
+    assert True
diff --git a/old.py b/new.py
similarity index 90%
rename from old.py
rename to new.py
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-x = 1
-y = 2
"""


def test_unified_diff_gives_old_side_lines_and_statuses() -> None:
    files = {f.path: f for f in parse_diff(DIFF)}
    mod = files["src/pkg/mod.py"]
    assert mod.status is FileStatus.MODIFIED
    assert mod.old_lines == {5, 20, 21}  # the replaced line; an insertion's neighbours
    assert mod.new_lines == {5, 21, 22}
    assert files["tests/test_new.py"].status is FileStatus.ADDED
    assert files["new.py"].status is FileStatus.RENAMED and files["new.py"].old_path == "old.py"
    assert files["gone.py"].status is FileStatus.DELETED and files["gone.py"].old_lines == {1, 2}


def test_plain_diff_u_and_garbage() -> None:
    text = "--- a/x.py\t2024\n+++ b/x.py\t2024\n@@ -1 +1 @@\n-a\n+b\n--- a/y.py\n+++ b/y.py\n@@ -3,0 +4 @@\n+c\n"
    files = {f.path: f for f in parse_diff(text)}
    assert files["x.py"].old_lines == {1}
    assert files["y.py"].old_lines == {3, 4}
    with pytest.raises(InputError, match="no unified diff"):
        parse_diff("hello\nworld\n")
    assert parse_diff("") == []


def test_static_import_graph_is_transitive_and_resolves_relative_imports() -> None:
    g = build_graph({
        "src/pkg/__init__.py": "",
        "src/pkg/core.py": "X = 1\n",
        "src/pkg/api.py": "from .core import X\n",
        "src/pkg/cli.py": "from pkg import api\n",
        "tests/test_cli.py": "import pkg.cli\n",
        "tests/test_other.py": "import json\n",
        "broken.py": "def (:\n",
    })
    assert g.importers("src/pkg/core.py") == {"src/pkg/api.py": 1, "src/pkg/cli.py": 2, "tests/test_cli.py": 3}
    assert "tests/test_other.py" not in g.importers("src/pkg/__init__.py")
    assert g.importers("src/pkg/__init__.py")["tests/test_cli.py"] == 1


def test_test_files_and_their_tests() -> None:
    assert is_test_file("tests/test_a.py", ("test_*.py",))
    assert is_test_file("pkg/a_test.py", ("*_test.py",))
    assert not is_test_file("src/pkg/a.py", ("test_*.py", "*_test.py"))
    src = "import x\n\ndef test_a():\n    pass\n\nclass TestB:\n    @x.mark\n    def test_c(self):\n        pass\n"
    assert defined_tests("t/test_m.py", src) == [("t/test_m.py::test_a", 3, 4), ("t/test_m.py::TestB::test_c", 7, 9)]


def test_a_double_colon_inside_parameters_does_not_split_the_node_id() -> None:
    node = "tests/test_grouping.py::test_typecast[select foo::integer from bar-integer]"
    ident = "tests.test_grouping::test_typecast[select foo::integer from bar-integer]"
    assert ref_of_context(node + "|run") is not None and ref_of_context(node + "|run").identity == ident  # type: ignore[union-attr]
    assert base_identity(ident) == "tests.test_grouping::test_typecast"
    assert node_of_identity(ident) == node


def test_a_diff_keeps_the_text_of_its_added_lines() -> None:
    from argus.analysis.selection.diffparse import parse_diff as _parse

    (f,) = _parse("--- a/m.py\n+++ b/m.py\n@@ -2,2 +2,2 @@\n-X = 1\n+X = 2\n Y = 3\n")
    assert f.added == ("X = 2",) and f.old_lines == frozenset({2})
