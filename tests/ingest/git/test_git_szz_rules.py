"""Labelling refinements of SZZ (argus.ingest.git.szz_rules): add-only context file by file, and which
plausible candidates of a fix are kept (all, L-SZZ, R-SZZ)."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from git_repo_builder import DAY, T0
from pydantic import ValidationError
from sqlalchemy import select
from test_git_szz_replay import _history, _links

from argus.core.settings import GitSettings
from argus.ingest.git.service import ingest_git
from argus.ingest.git.szz import CONTEXT, DELETED, parse_fix_patches
from argus.ingest.git.szz_rules import LinkRules, pick_candidates
from argus.store.models import BugLink, Commit

MIXED = (b"\x1e\x02argus-fix\x03" + b"a" * 40 + b"\n\n"
         b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -4 +4 @@\n-    y = a - b\n+    y = a + b\n"
         b"diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -10,0 +11,2 @@\n+    if x is None:\n+        return 0\n")


def test_context_per_file_blames_the_insertions_of_files_without_deleted_lines():
    (classic,) = parse_fix_patches([MIXED], add_context=2)
    assert [(f.path, f.lines, f.kind) for f in classic.files] == [("a.py", (4,), DELETED)]
    (per_file,) = parse_fix_patches([MIXED], add_context=2, context_per_file=True)
    assert [(f.path, f.lines, f.kind) for f in per_file.files] == [
        ("a.py", (4,), DELETED), ("b.py", (9, 10, 11, 12), CONTEXT)]
    (off,) = parse_fix_patches([MIXED], add_context=0, context_per_file=True)
    assert [f.path for f in off.files] == ["a.py"]  # no context at all when add-only SZZ is off
    assert LinkRules.from_settings(GitSettings()).context_per_file is True


def _two_file_history(r, rng: random.Random) -> None:
    """Commits changing lines of one file and only inserting code into another."""
    files = {f"src/m{i}.py": [f"    x{i}_{j} = {j}\n" for j in range(12)] for i in range(3)}
    for path, text in files.items():
        r.write(path, "".join(text))
    r.commit("initial", when=T0)
    for step in range(15):
        changed, grown = rng.sample(sorted(files), 2)
        files[changed][rng.randrange(len(files[changed]))] = f"    w{step} = {rng.randint(0, 99)}\n"
        at = rng.randrange(len(files[grown]) + 1)
        files[grown][at:at] = [f"    v{step}_{k} = {k}\n" for k in range(rng.randint(1, 2))]
        for path in (changed, grown):
            r.write(path, "".join(files[path]))
        r.commit(f"work {step}", when=T0 + (step + 1) * DAY)


def test_replay_gives_the_links_of_git_blame_with_context_per_file(make_repo):
    r = make_repo()
    _history(r, random.Random(7))
    _two_file_history(r, random.Random(3))
    rules = LinkRules(context_per_file=True)
    blamed = _links(r.path, None, rules=rules)
    assert _links(r.path, "HEAD", rules=rules) == blamed
    assert len(blamed) > len(_links(r.path, None))  # per file, more insertions are blamed


def _t(day: int) -> datetime:
    return datetime(2024, 1, 1 + day)


ROWS = [  # (link id, fix id, inducing id, lines, inducing time)
    (1, 10, 100, 3, _t(1)), (2, 10, 101, 1, _t(5)), (3, 10, 100, 1, _t(1)),  # fix 10: 100 owns 4 lines, 101 one
    (4, 11, 102, 2, _t(2)), (5, 11, 103, 2, _t(3)),  # fix 11: a tie on lines, 103 is later
]


@pytest.mark.parametrize(("mode", "dropped"), [
    ("all", set()),
    ("max-lines", {2}),
    ("latest", {1, 3, 4}),
    ("max-lines-latest", {2, 4}),
])
def test_pick_candidates(mode, dropped):
    assert pick_candidates(ROWS, mode) == dropped


def test_pick_rejects_unknown_modes():
    with pytest.raises(ValueError, match="szz_pick"):
        pick_candidates(ROWS, "newest")
    with pytest.raises(ValidationError, match="szz_pick"):
        GitSettings(szz_pick="newest")
    assert GitSettings().szz_pick == "latest"


def _tied_history(r) -> None:
    r.write("a.py", "".join(f"a{i} = {i}\n" for i in range(10)))
    r.commit("feat: a", when=T0)
    r.write("a.py", "a0 = 100\n" + "".join(f"a{i} = {i}\n" for i in range(1, 10)))
    r.commit("feat: a0", when=T0 + DAY)
    r.write("a.py", "a0 = 100\n" + "".join(f"a{i} = {i}\n" for i in range(1, 9)) + "a9 = 900\n")
    r.commit("feat: a9", when=T0 + 2 * DAY)
    r.write("a.py", "a0 = 101\n" + "".join(f"a{i} = {i}\n" for i in range(1, 9)) + "a9 = 901\n")
    r.commit("fix: a0 and a9", when=T0 + 3 * DAY)


@pytest.mark.parametrize(("pick", "inducing"), [("all", {"feat: a0", "feat: a9"}), ("latest", {"feat: a9"}),
                                                ("max-lines", {"feat: a0", "feat: a9"}),
                                                ("max-lines-latest", {"feat: a9"})])
def test_ingest_keeps_the_picked_candidates(make_repo, project_session, pick, inducing):
    r = make_repo()
    _tied_history(r)
    result = ingest_git(project_session, r.path, GitSettings(szz_pick=pick))
    msgs = dict(project_session.execute(select(Commit.id, Commit.message)).all())
    got = {msgs[i].strip() for (i,) in project_session.execute(select(BugLink.inducing_commit_id)).all()}
    assert got == inducing and result.links == len(inducing)
