"""Fix detection patterns, SZZ parsing helpers, and SZZ links on a real repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_repo_builder import DAY, T0
from sqlalchemy import select

from argus.core.errors import ConfigError
from argus.core.settings import GitSettings
from argus.ingest.fixes import FixDetector
from argus.ingest.git.service import ingest_git
from argus.ingest.git.szz import (
    is_comment_or_blank,
    parse_blame_porcelain,
    parse_fix_patches,
    ranges,
    unquote_path,
)
from argus.store.models import BugLink, Commit


@pytest.mark.parametrize(
    ("message", "is_fix"),
    [
        ("Fix crash when list is empty", True),
        ("fixes #12: off-by-one", True),
        ("Bugfix: wrong sum", True),
        ("hotfix for login", True),
        ("Add fixture for the parser tests", False),  # 'fixture' is not 'fix'
        ("Prefix names with the module", False),
        ("Debug logging for the scheduler", False),
        ("Refactor storage (JIRA-12)", False),
    ],
)
def test_default_fix_keywords(message, is_fix):
    assert FixDetector.from_settings(GitSettings()).check(message).is_fix is is_fix


def test_issue_references_and_bug_ids():
    detector = FixDetector.from_settings(GitSettings(bug_issue_ids=["PROJ-7", "42"]))
    assert set(detector.issues("See PROJ-7 and #42, not a/b#3 or &#39;")) == {"42", "PROJ-7"}
    verdict = detector.check("Implement PROJ-7 properly")
    assert verdict.is_fix and verdict.keyword is None and verdict.issues == ("PROJ-7",)
    assert detector.check("Closes #42").is_fix
    assert not detector.check("Closes #43").is_fix
    assert not detector.check("Merge branch 'fix-login'", is_merge=True).is_fix


def test_custom_patterns_and_bad_regex():
    detector = FixDetector(["corrige"], [])
    assert detector.check("Corrige le calcul").is_fix and not detector.check("Fix it").is_fix
    with pytest.raises(ConfigError, match=r"git\.fix_patterns"):
        FixDetector(["(unclosed"], [])


def test_comment_and_blank_lines():
    assert is_comment_or_blank("a.py", "   # just a comment")
    assert is_comment_or_blank("a.c", " * inside a block comment")
    assert is_comment_or_blank("a.c", "// note")
    assert is_comment_or_blank("x.unknown", "   ")
    assert not is_comment_or_blank("a.c", "#include <stdio.h>")  # '#' is not a comment in C
    assert not is_comment_or_blank("a.c", "*p = 1;")
    assert not is_comment_or_blank("x.unknown", "# could be code")


def test_parse_patch_quoted_paths_and_hunks():
    patch = (
        b"\x1e\x02argus-fix\x03" + b"a" * 40 + b"\n\n"
        b"diff --git a/my file.py b/my file.py\nindex 1..2 100644\n--- a/my file.py\t\n+++ b/my file.py\t\n"
        b"@@ -3,3 +3 @@ def f():\n-    x = 1\n-    # comment\n---- looks like a header\n+    x = 2\n"
        b"@@ -10,0 +9,2 @@\n+added\n+added\n"
        b'diff --git "a/caf\\303\\251.py" "b/caf\\303\\251.py"\n--- "a/caf\\303\\251.py"\n+++ "b/caf\\303\\251.py"\n'
        b"@@ -1 +1 @@\n-old\n+new\n"
        b"diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x\n"
    )
    (p,) = parse_fix_patches([patch])
    assert p.sha == "a" * 40 and p.files_changed == 3
    assert [(f.path, f.lines) for f in p.files] == [("my file.py", (3, 5)), ("café.py", (1,))]
    assert unquote_path(b'"a/tab\\there"') == "tab\there"


def test_blame_porcelain_and_ranges():
    sha1, sha2 = "1" * 40, "2" * 40
    out = (
        f"{sha1} 1 1 2\nauthor A\nboundary\nfilename f\n\tone\n{sha1} 2 2\n\ttwo\n"
        f"{sha2} 5 3 1\nauthor B\nfilename f\n\tthree\n"
    ).encode()
    assert parse_blame_porcelain(out) == {3: sha2}  # boundary commits are not blamed
    assert ranges([5, 1, 2, 3, 7, 8]) == [(1, 3), (5, 5), (7, 8)]


def test_szz_links_fix_to_inducing_commit(make_repo, project_session):
    r = make_repo()
    r.write("calc.py", "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n")
    r.write("notes.txt", "hello\n")
    base = r.commit("initial", when=T0)
    r.write("calc.py", "def total(xs):\n    s = 1\n    for x in xs:\n        s += x\n    return s\n\n# helper\n")
    bad = r.commit("start sums at one", author=("Bob", "bob@example.com"), when=T0 + DAY)
    r.write("calc.py", "def total(xs):\n    s = 1\n    for x in xs:\n        s += x\n    return  s\n\n# helper text\n")
    cosmetic = r.commit("whitespace and comment", when=T0 + 2 * DAY)
    r.write("calc.py", "def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n\n# helper\n")
    r.write("notes.txt", "hello world\n")
    fix = r.commit("Fix off-by-one in total", when=T0 + 3 * DAY)
    result = ingest_git(project_session, r.path, GitSettings())
    assert result.fixes == 1 and result.fixes_blamed == 1
    rows = project_session.execute(
        select(Commit.sha, BugLink.path, BugLink.lines).join(BugLink, BugLink.inducing_commit_id == Commit.id)
    ).all()
    # line 2 ('s = 1') comes from `bad`; line 5 changed only in whitespace and line 7 is a comment:
    # neither is blamed; notes.txt is not source code (the initial commit wrote it: no link either)
    assert rows == [(bad, "calc.py", [2])]
    assert base not in {sha for sha, _, _ in rows}
    assert cosmetic not in {sha for sha, _, _ in rows}
    fix_ids = set(project_session.scalars(select(BugLink.fix_commit_id)))
    assert fix_ids == set(project_session.scalars(select(Commit.id).where(Commit.sha == fix)))


def test_szz_skips_fixes_changing_too_many_files(make_repo, project_session):
    r = make_repo()
    for i in range(3):
        r.write(f"f{i}.py", "a = 1\n")
    r.commit("initial", when=T0)
    for i in range(3):
        r.write(f"f{i}.py", "b = 2\n")
    r.commit("fix everything", when=T0 + DAY)
    result = ingest_git(project_session, r.path, GitSettings(szz_max_files=2))
    assert result.fixes_blamed == 1 and result.links == 0


def test_szz_commit_graph_is_never_written_into_the_repository(make_repo, project_session):
    r = make_repo()
    r.write("a.py", "x = 1\ny = 2\n")
    first = r.commit("initial", when=T0)
    r.write("a.py", "x = 1\ny = 3\n")
    r.commit("Fix y", when=T0 + DAY)
    before = sorted(p.relative_to(r.path) for p in (r.path / ".git").rglob("*"))
    result = ingest_git(project_session, r.path, GitSettings(szz_commit_graph=True))
    assert result.links == 1
    # the commit-graph lives in a temporary directory: nothing is written into the repository
    assert sorted(p.relative_to(r.path) for p in (r.path / ".git").rglob("*")) == before
    inducing = project_session.scalars(select(Commit.sha).join(BugLink, BugLink.inducing_commit_id == Commit.id))
    assert list(inducing) == [first]


def test_temporary_commit_graph_serves_blame_outside_the_repository(make_repo):
    from argus.ingest.git import gitcmd
    from argus.ingest.git.szz import FixFile, blame_file

    r = make_repo()
    r.write("a.py", "x = 1\ny = 2\n")
    first = r.commit("initial", when=T0)
    r.write("a.py", "x = 1\ny = 3\n")
    second = r.commit("Fix y", when=T0 + DAY)
    git, info = gitcmd.open_repo(r.path)
    before = sorted(p.relative_to(r.path) for p in (r.path / ".git").rglob("*"))
    with gitcmd.temporary_commit_graph(git, info) as graph:
        assert graph is not None
        tmp = graph.env["GIT_OBJECT_DIRECTORY"]
        assert (Path(tmp) / "info" / "commit-graph").is_file()
        assert blame_file(graph, second + "^", FixFile("a.py", (2,))) == {2: first}
    assert not Path(tmp).exists()
    assert sorted(p.relative_to(r.path) for p in (r.path / ".git").rglob("*")) == before
