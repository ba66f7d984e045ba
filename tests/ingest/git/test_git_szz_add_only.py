"""SZZ for fixes that only add lines (Sahal & Tosun 2018): blame the code around the insertion."""

from __future__ import annotations

from git_repo_builder import DAY, T0
from sqlalchemy import select

from argus.core.settings import GitSettings
from argus.ingest.git.service import ingest_git
from argus.ingest.git.szz import CONTEXT, DELETED, parse_fix_patches
from argus.ingest.git.szz_followup import SzzFollowUp
from argus.store.models import BugLink, Commit


def _patch(body: bytes) -> bytes:
    return b"\x1e\x02argus-fix\x03" + b"a" * 40 + b"\n\n" + body


ADD_ONLY = _patch(
    b"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
    b"@@ -10,0 +11,2 @@ def f(x):\n+    if x is None:\n+        return 0\n"
    b"@@ -30,0 +33 @@\n+    # a comment only\n"
)


def test_add_only_fix_gives_context_lines_only_when_enabled():
    (off,) = parse_fix_patches([ADD_ONLY])
    assert off.files == ()
    (on,) = parse_fix_patches([ADD_ONLY], add_context=2)
    assert [(f.path, f.lines, f.kind) for f in on.files] == [("m.py", (9, 10, 11, 12), CONTEXT)]


def test_fix_with_deleted_lines_keeps_classic_szz():
    patch = _patch(b"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
                   b"@@ -4 +4 @@\n-    y = a - b\n+    y = a + b\n@@ -10,0 +11 @@\n+    check(y)\n")
    (p,) = parse_fix_patches([patch], add_context=3)
    assert [(f.lines, f.kind) for f in p.files] == [((4,), DELETED)]


def test_insertion_at_file_start_and_new_files_are_handled():
    patch = _patch(b"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -0,0 +1 @@\n+import os\n"
                   b"diff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n"
                   b"@@ -0,0 +1 @@\n+x = 1\n")
    (p,) = parse_fix_patches([patch], add_context=2)
    assert [(f.path, f.lines) for f in p.files] == [("m.py", (1, 2))]


def _links(session) -> list[tuple[str, str, str]]:
    shas = {cid: msg for cid, msg in session.execute(select(Commit.id, Commit.message)).all()}
    rows = session.execute(select(BugLink.fix_commit_id, BugLink.inducing_commit_id, BugLink.method)).all()
    return sorted((shas[f].strip(), shas[i].strip(), m) for f, i, m in rows)


def _history(r):
    r.write("app.py", "def load(path):\n    return open(path).read()\n\n\ndef other():\n    return 1\n")
    r.commit("feat: load files", when=T0)
    r.write("app.py", "def load(path):\n    data = open(path).read()\n    return data.strip()\n\n\n"
                      "def other():\n    return 1\n")
    r.commit("feat: strip data", when=T0 + DAY)
    r.write("README.md", "docs\n")
    r.commit("docs: readme", when=T0 + 2 * DAY)
    # the fix only adds a guard above the line written by "strip data"
    r.write("app.py", "def load(path):\n    data = open(path).read()\n    if not data:\n        return ''\n"
                      "    return data.strip()\n\n\ndef other():\n    return 1\n")
    r.commit("fix: empty file crashes load", when=T0 + 3 * DAY)


def test_add_only_fix_blames_the_enclosing_code_in_a_real_repo(make_repo, project_session):
    r = make_repo()
    _history(r)
    result = ingest_git(project_session, r.path, GitSettings(szz_add_only_context=1))
    assert result.fixes == 1 and result.fixes_no_source == 0
    assert _links(project_session) == [("fix: empty file crashes load", "feat: strip data", CONTEXT)]


def test_add_only_fix_is_blamed_by_default_and_classic_szz_can_be_restored(make_repo, project_session):
    assert GitSettings().szz_add_only_context == 2
    r = make_repo()
    _history(r)
    result = ingest_git(project_session, r.path, GitSettings(szz_add_only_context=0))
    assert result.fixes == 1 and result.fixes_no_source == 1 and result.links == 0


def test_follow_up_szz_gives_the_same_context_links(make_repo, project_session):
    r = make_repo()
    _history(r)
    settings = GitSettings(szz_add_only_context=1)
    ingest_git(project_session, r.path, settings.model_copy(update={"szz": False}))
    with SzzFollowUp(r.path, settings) as follow:
        batch = follow.select(project_session, 100)
        links, _ = follow.blame(batch)
        follow.store(project_session, batch, links)
    assert _links(project_session) == [("fix: empty file crashes load", "feat: strip data", CONTEXT)]
