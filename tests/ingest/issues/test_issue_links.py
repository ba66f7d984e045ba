"""Commit → issue references with their source, and the fix decision (tracker first, else message)."""

from __future__ import annotations

import pytest

from argus.core.settings import GitSettings, IssueSettings
from argus.ingest.issues.links import CommitClassifier, IssueInfo, IssueRefs


@pytest.mark.parametrize(
    ("message", "merge", "refs"),
    [
        ("HDFS-1234. Handle empty blocks", False, [("HDFS-1234", "message-key")]),
        ("Fixes #12 and #13: crash", False, [("#12", "closing-keyword"), ("#13", "closing-keyword")]),
        ("resolved: GH-7", False, [("#7", "closing-keyword")]),
        ("see GH-7, closes owner/repo#9", False, [("#9", "closing-keyword"), ("#7", "message-key")]),
        ("Close ABC-3, ABC-4", False, [("ABC-3", "closing-keyword"), ("ABC-4", "closing-keyword")]),
        ("Support UTF-8 and ISO-8859 names, bump for CVE-2021-4104", False, []),
        ("color #fff and a&#12 entity", False, []),
        ("Merge pull request #55 from ann/fix-123-crash\n\nCrash", True, [("#123", "branch-name")]),
        ("Merge branch 'bug/ABC-9-npe' into main", True, [("ABC-9", "branch-name")]),
        ("Merge branch 'feature/ABC-9' (ABC-9, #4)", True, [("ABC-9", "branch-name"), ("#4", "message-key")]),
    ],
)
def test_references_and_their_source(message, merge, refs):
    assert list(IssueRefs(IssueSettings()).find(message, is_merge=merge)) == refs


@pytest.mark.parametrize(
    ("message", "is_fix"),
    [
        ("Fix eclipse warnings", False),
        ("HDFS-1. Fix flaky TestBlockManager", False),
        ("Bump jackson-databind to 2.9.10.4 to fix CVE-2020-1234", False),
        ('Revert "HDFS-12. Fix NPE"', False),
        ("Fix typo in javadoc", False),
        ("Fix checkstyle and findbugs issues", False),
        ("docs: fix PagerDuty capitalization", False),
        ("Fix NPE when the block list is empty", True),
        ("Handle empty cart (fixes #12)", True),
        ("fix: off by one in paging", True),
        ("Avoid crash in test-mode startup", True),  # a crash outweighs 'test'
        ("Wrong total for discounted carts", True),
        ("Add dark mode", False),
    ],
)
def test_message_classifier_without_tracker(message, is_fix):
    d = CommitClassifier(GitSettings(), IssueSettings(), {}).decide(message)
    assert d.is_fix is is_fix
    assert d.source == ("message" if is_fix or message != "Add dark mode" else "none")


def test_tracker_decides_when_it_knows_the_issue():
    known = {"HDFS-1": IssueInfo(True), "HDFS-2": IssueInfo(False), "#5": IssueInfo(True)}
    c = CommitClassifier(GitSettings(), IssueSettings(), known)
    assert (c.decide("HDFS-1. Improve block report").is_fix, c.decide("HDFS-1. x").source) == (True, "tracker")
    assert (c.decide("HDFS-2. Add metrics").is_fix, c.decide("HDFS-2. Add metrics").source) == (False, "tracker")
    assert c.decide("Fix crash in parser").source == "message"  # no stored issue: the message decides
    assert c.decide("Merge pull request #9 from x/fix-5", is_merge=True).is_fix is False  # merges never
    strict = CommitClassifier(GitSettings(), IssueSettings(tracker_fallback_to_message=False), known)
    assert (strict.decide("Fix crash in parser").is_fix, strict.decide("Fix crash").source) == (False, "tracker")
    legacy = CommitClassifier(GitSettings(bug_issue_ids=["PROJ-7", "8"]), IssueSettings(), {})
    assert legacy.decide("PROJ-7 tidy").source == "tracker" and legacy.decide("see #8").is_fix


def test_tracker_bug_veto_when_the_message_says_not_a_fix():
    known = {"HDFS-1": IssueInfo(True), "#5": IssueInfo(True)}
    plain = CommitClassifier(GitSettings(), IssueSettings(), known)
    assert plain.decide("feat(api): bulk export (#5)").is_fix  # default: the tracker alone decides
    veto = CommitClassifier(GitSettings(), IssueSettings(tracker_bug_veto=True), known)
    d = veto.decide("feat(api): bulk export (#5)")
    assert (d.is_fix, d.source, d.reason) == (False, "tracker", "bug issue, but type:feat")
    assert veto.decide("HDFS-1. Update documentation of block reports").is_fix is False
    assert veto.decide("HDFS-1. Handle empty blocks").is_fix  # no verdict from the message: still a fix
    assert veto.decide("fix(api): bulk export (#5)").is_fix


def test_nonbug_issue_rescued_when_the_message_says_it_fixes_a_bug():
    known = {"HDFS-2": IssueInfo(False), "#5": IssueInfo(False), "#6": IssueInfo(True)}
    c = CommitClassifier(GitSettings(), IssueSettings(), known)
    assert IssueSettings().tracker_nonbug_rescue is True
    d = c.decide("HDFS-2. Fix NPE when the block list is empty")
    assert (d.is_fix, d.source) == (True, "message") and "not typed bug" in d.reason
    assert c.decide("Fix #5: parser crashes on empty input").is_fix  # 'Fix' is a verb here, not only closing
    assert c.decide("fix(api): wrong total (#5)").is_fix
    assert c.decide("Closes #5: support bulk export").is_fix is False  # a closing keyword alone rescues nothing
    assert c.decide("HDFS-2. Fix typo in javadoc").is_fix is False  # negative patterns still apply
    assert c.decide("feat: bulk export (#5)").is_fix is False
    assert c.decide("Fix crash (#5, #6)").source == "tracker"  # a bug issue among the links: the tracker decides
    off = CommitClassifier(GitSettings(), IssueSettings(tracker_nonbug_rescue=False), known)
    d = off.decide("HDFS-2. Fix NPE when the block list is empty")
    assert (d.is_fix, d.source) == (False, "tracker")
