"""SZZ precision rules: conventional-commit types, source files only, cosmetic changes, plausibility."""

from __future__ import annotations

import pytest
from git_repo_builder import DAY, T0
from sqlalchemy import select

from argus.core.settings import GitSettings
from argus.ingest.fixes import FixDetector
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.service import ingest_git
from argus.ingest.git.szz import SzzStats, parse_fix_patches
from argus.store.models import BugLink, Commit


@pytest.mark.parametrize(
    ("message", "is_fix"),
    [
        ("docs: fix PagerDuty capitalization", False),
        ("chore(deps): fix lockfile", False),
        ("ci: fix flaky job", False),
        ("style: fix lint errors", False),
        ("test: fix flaky test", False),
        ("build!: fix wheel tags", False),
        ("feat: retries\n\n* fix lint\n* fix tests", False),  # a squash body does not make a feature a fix
        ("refactor(core): fix naming", False),
        ("fix: handle empty list", True),
        ("fix(api)!: reject bad ids", True),
        ("Fix(api): reject bad ids", True),
        ("hotfix: restore login", True),
        ("fix: tidy", True),  # the type decides even without a keyword
        ("perf: fix slow query", True),  # not a configured type: the keywords decide
        ("net: fix null deref", True),  # a subsystem prefix (kernel style) is not a type
        ("docs fix typo", True),  # no colon: not conventional
    ],
)
def test_conventional_commit_types_decide(message, is_fix):
    verdict = FixDetector.from_settings(GitSettings()).check(message)
    assert verdict.is_fix is is_fix


def test_conventional_types_are_configurable():
    detector = FixDetector.from_settings(GitSettings(nonfix_commit_types=[], fix_commit_types=["bug"]))
    assert detector.check("docs: fix typo").is_fix  # back to keywords
    assert detector.check("bug: off by one").commit_type == "bug"


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("src/app/main.py", True),
        ("lib/x.ts", True),
        ("README.md", False),
        ("docs/guide/setup.mdx", False),
        ("docs/conf.py", False),
        ("tests/test_main.py", False),
        ("src/app/test_util.py", False),
        ("pkg/server_test.go", False),
        ("web/src/button.test.tsx", False),
        ("src/test/java/FooTest.java", False),
        ("package-lock.json", False),
        ("go.sum", False),
        ("vendor/github.com/x/y.go", False),
        ("web/dist/app.min.js", False),
        ("api/v1/service.pb.go", False),
        ("assets/logo.png", False),
        ("config.yaml", False),
    ],
)
def test_source_filter_defaults(path, wanted):
    assert SourceFilter.from_settings(GitSettings()).wanted(path) is wanted


def test_source_filter_tests_can_be_included_and_globs_configured():
    f = SourceFilter.from_settings(GitSettings(szz_exclude_tests=False))
    assert f.wanted("tests/test_main.py")
    custom = SourceFilter(["*.py", "conf/*.yaml"], ["legacy/"])
    assert custom.wanted("conf/app.yaml") and not custom.wanted("a/legacy/b.py") and custom.wanted("a/b.py")


def _patch(body: bytes) -> bytes:
    return b"\x1e\x02argus-fix\x03" + b"a" * 40 + b"\n\n" + body


def test_cosmetic_hunks_moved_and_punctuation_lines_are_not_blamed():
    patch = _patch(
        b"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
        # re-wrapped call: same code once whitespace is gone
        b"@@ -2,2 +2 @@\n-    call(a,\n-         b)\n+    call(a, b)\n"
        # only the trailing comment changed
        b"@@ -10 +9 @@\n-    x = 1  # old\n+    x = 1  # new words\n"
        # a line moved to another place in the fix
        b"@@ -20 +19,0 @@\n-    configure_logging(level)\n"
        b"@@ -30,0 +29 @@\n+    configure_logging(level)\n"
        # a short line deleted here and added elsewhere is not a move (too common to tell)
        b"@@ -35 +35 @@\n-    return None\n+    return 0\n"
        b"@@ -37,0 +38 @@\n+    return None\n"
        # the real change, plus a lone closing bracket
        b"@@ -40,2 +39 @@\n-    y = a - b\n-    )\n+    y = a + b\n"
        b"diff --git a/s.c b/s.c\n--- a/s.c\n+++ b/s.c\n"
        b"@@ -5 +5 @@\n-  if (p) free(p); // free it\n+  if (p) free(p);\n"
        b"@@ -9 +9 @@\n-  }\n+  };\n"
    )
    stats = SzzStats()
    (p,) = parse_fix_patches([patch], SourceFilter.from_settings(GitSettings()), stats)
    assert [(f.path, f.lines) for f in p.files] == [("m.py", (35, 40))]
    assert stats.lines_cosmetic == 7


def test_reordered_lines_in_one_hunk_are_still_blamed():
    patch = _patch(b"diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n"
                   b"@@ -1,2 +1,2 @@\n-open()\n-check()\n+check()\n+open()\n")
    (p,) = parse_fix_patches([patch])
    assert p.files[0].lines == (1, 2)


def _links(session) -> list[tuple[str, str, str]]:
    shas = {cid: sha for cid, sha in session.execute(select(Commit.id, Commit.sha)).all()}
    rows = session.execute(select(BugLink.fix_commit_id, BugLink.inducing_commit_id, BugLink.path)).all()
    return sorted((shas[f], shas[i], path) for f, i, path in rows)


def test_docs_tests_and_conventional_non_fixes_give_no_links(make_repo, project_session):
    r = make_repo()
    r.write("docs/alerts.mdx", "Send pages to Pagerduty.\n")
    r.write("app.py", "def rate(x):\n    return x * 2\n")
    r.write("tests/test_app.py", "def test_rate():\n    assert rate(1) == 3\n")
    r.commit("feat: rates", when=T0)
    r.write("docs/alerts.mdx", "Send pages to PagerDuty.\n")
    r.commit("docs: fix PagerDuty capitalization", when=T0 + DAY)
    r.write("tests/test_app.py", "def test_rate():\n    assert rate(1) == 2\n")
    r.commit("Fix wrong expectation", when=T0 + 2 * DAY)  # "in test" would now make it a non-fix
    result = ingest_git(project_session, r.path, GitSettings())
    assert result.fixes == 1  # the docs commit is not a fix
    assert result.fixes_no_source == 1 and result.links == 0 and _links(project_session) == []


def test_tangled_fix_is_not_blamed(make_repo, project_session):
    r = make_repo()
    for i in range(4):
        r.write(f"m{i}.py", f"value = {i}\n")
    r.commit("initial", when=T0)
    for i in range(4):
        r.write(f"m{i}.py", f"value = {i + 1}\n")
        r.write(f"docs/p{i}.md", "x\n")  # non-source files do not count towards the threshold
    r.commit("fix: values", when=T0 + DAY)
    assert ingest_git(project_session, r.path, GitSettings(szz_max_files=4)).links == 4
    other = make_repo("other")
    for i in range(5):
        other.write(f"m{i}.py", f"value = {i}\n")
    other.commit("initial", when=T0)
    for i in range(5):
        other.write(f"m{i}.py", f"value = {i + 1}\n")
    other.commit("fix: values", when=T0 + DAY)
    project_session.execute(BugLink.__table__.delete())
    result = ingest_git(project_session, other.path, GitSettings(szz_max_files=4), branch="main")
    assert result.fixes_tangled == 1 and result.links == 0


def test_candidate_authored_after_the_fix_is_dropped(make_repo, project_session):
    r = make_repo()
    r.write("a.py", "x = 1\ny = 2\n")
    r.commit("initial", when=T0)
    r.write("a.py", "x = 1\ny = 3\n")
    late = r.commit("tune y", when=T0 + 5 * DAY)  # authored after the fix below was written
    r.write("a.py", "x = 1\ny = 4\n")
    env = {"GIT_AUTHOR_DATE": f"@{T0 + DAY} +0000", "GIT_COMMITTER_DATE": f"@{T0 + 6 * DAY} +0000"}
    r.git("commit", "-qam", "fix: y", env=env)  # e.g. rebased on top of `late`
    result = ingest_git(project_session, r.path, GitSettings())
    assert result.links_later_than_fix == 1 and result.links == 0
    assert late not in {i for _, i, _ in _links(project_session)}


def test_commit_blamed_by_too_many_fixes_loses_its_links(make_repo, project_session):
    r = make_repo()
    r.write("big.py", "".join(f"v{i} = {i}\n" for i in range(6)))
    bulk = r.commit("import the project", when=T0)
    r.write("small.py", "a = 1\n")
    r.commit("add small", when=T0 + DAY)
    for i in range(3):
        content = (r.path / "big.py").read_text().replace(f"v{i} = {i}\n", f"v{i} = {i + 10}\n")
        r.write("big.py", content)
        r.commit(f"fix: v{i}", when=T0 + (2 + i) * DAY)
    r.write("small.py", "a = 2\n")
    r.commit("fix: a", when=T0 + 9 * DAY)
    result = ingest_git(project_session, r.path, GitSettings(szz_max_fixes_per_inducing=2))
    assert result.over_blamed == [bulk] and any("blamed by more than 2" in n for n in result.notes)
    assert bulk not in {i for _, i, _ in _links(project_session)} and result.links == 1
