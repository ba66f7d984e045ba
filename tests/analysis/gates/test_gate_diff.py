"""Unified-diff parsing and changed-line coverage (pure)."""

from __future__ import annotations

from argus.analysis.gates.diff import changed_line_coverage, parse_unified_diff

DIFF = """diff --git a/pkg/calc.py b/pkg/calc.py
index 3b18e51..a1b2c3d 100644
--- a/pkg/calc.py
+++ b/pkg/calc.py
@@ -2,0 +3,2 @@ def add(a, b):
+    x = 1
+    return x
@@ -9 +11 @@ def classify(n):
-        return "zero"
+        return "nil"
diff --git a/docs/readme.md b/docs/readme.md
new file mode 100644
--- /dev/null
+++ b/docs/readme.md
@@ -0,0 +1,3 @@
+# t
+
+text
diff --git a/old.py b/old.py
deleted file mode 100644
--- a/old.py
+++ /dev/null
@@ -1,2 +0,0 @@
-a = 1
-b = 2
"""


def test_parse_unified_diff() -> None:
    files = {f.path: f for f in parse_unified_diff(DIFF)}
    assert files["pkg/calc.py"].added_lines == {3, 4, 11}
    assert (files["pkg/calc.py"].added, files["pkg/calc.py"].deleted) == (3, 1)
    assert files["docs/readme.md"].added_lines == {1, 2, 3}
    assert files["old.py"].added == 0 and files["old.py"].deleted == 2


def test_changed_line_coverage_matches_paths_by_suffix() -> None:
    files = parse_unified_diff(DIFF)
    cov = {
        "/home/ci/repo/pkg/calc.py": (frozenset({1, 2, 3, 11}), frozenset({4, 9})),
        "other.py": (frozenset({1}), frozenset()),
    }
    cc = changed_line_coverage(files, cov)
    assert (cc.executable, cc.covered) == (3, 2)
    assert cc.uncovered == (("pkg/calc.py", 4, 4),)
    assert round(cc.pct or 0, 1) == 66.7
