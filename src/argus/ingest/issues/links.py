"""Commit ↔ issue references, and the fix decision: the tracker when it knows, else the message.

**References** (:func:`IssueRefs.find`), each with where it came from:

- ``closing-keyword``: GitHub's closing keywords — close/closes/closed, fix/fixes/fixed,
  resolve/resolves/resolved — followed by ``#12``, ``GH-12``, ``owner/repo#12`` or ``ABC-123``
  (lists such as ``Fixes #1, #2 and #3`` too);
- ``message-key``: any ``ABC-123`` (``issues.key_pattern``; prefixes such as ``UTF-8``, ``CVE-…``
  are ignored), ``#12`` or ``GH-12`` in the message; GitHub's ``GH-12`` is stored as ``#12``;
- ``branch-name``: the merged branch of a merge commit (``Merge branch 'bug/ABC-12-npe'``,
  ``Merge pull request #7 from ann/fix-123-crash``): Jira keys, and numbers after ``issue``,
  ``bug``, ``fix`` or ``gh``. The pull-request number of a merge subject is not an issue.
- ``pr-title``, ``pr-body``, ``pr-branch``: when delivery data holds the pull request that carried the
  commit (``pr_commits``, or the PR's merge commit), the keys in the PR's title, description and head
  branch (:meth:`IssueRefs.pull_request`). A key the message names keeps the message's source.

**Fix decision** (:meth:`CommitClassifier.decide`), which says what decided (``fix_source``):

- ``tracker``: the commit references at least one stored issue (or an id of ``git.bug_issue_ids``):
  it is a fix when one of them is a bug (Jira type Bug, label ``bug``… see ``issues.*``). With
  ``issues.tracker_fallback_to_message = false`` and a tracker, unlinked commits are not fixes
  (also ``tracker``).
- ``message``: no stored issue decides; the message classifier gave a verdict (a conventional-commit
  type, a revert, a closing keyword, a negative pattern, a bug keyword). Also, with
  ``issues.tracker_nonbug_rescue``, a commit linked only to issues *not* typed as bugs whose message
  says it fixes a bug (``fix:``, "Fix …", "NPE" …; a closing keyword alone does not count): bug
  reports are mistyped both ways (Herzig et al. 2013), and the commit's own words are the better
  witness of what it did.
- ``none``: nothing said anything (a merge; a message without signal): not a fix.

The message classifier improves on bare keywords where histories talk *about* fixes: reverts,
documentation, tests and flaky tests, build/CI, dependency bumps and CVE upgrades, warnings and lint,
formatting and other cosmetic work are not bug fixes, whatever verb they use ("Fix eclipse
warnings", "Fix flaky test", "Bump jackson to fix CVE-2020-1234"); conventional-commit types decide
first, as in :class:`argus.ingest.fixes.FixDetector`. Keywords count in the subject only, and only
among the first words of one of its clauses — where a message says what it does ("Fix NPE",
"HDFS-1. Fix …", "parser: fix …"), not where it talks about fixes ("fixes marked done", "the fix
keywords"); words that name a bug outright (crash, NPE, deadlock, memory leak…) count anywhere in
the subject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from argus.core.errors import ConfigError
from argus.core.settings import GitSettings, IssueSettings
from argus.ingest.fixes import FixDetector, FixVerdict

CLOSING, MESSAGE, BRANCH = "closing-keyword", "message-key", "branch-name"
PR_TITLE, PR_BODY, PR_BRANCH = "pr-title", "pr-body", "pr-branch"
#: Strongest first: a key found twice keeps the strongest source.
SOURCE_RANK = {CLOSING: 0, BRANCH: 1, MESSAGE: 2, PR_TITLE: 3, PR_BRANCH: 4, PR_BODY: 5}
#: Only the start of a PR description is read (templates and logs follow).
PR_BODY_CHARS = 4000
TRACKER, BY_MESSAGE, NONE = "tracker", "message", "none"
#: Decisions remembered between the history pass and the relink pass of one ingest (bounded memory).
MEMO_ENTRIES = 200_000

_REF = r"(?:[\w.-]+/[\w.-]+)?#\d+|GH-\d+|[A-Z][A-Z0-9]{1,9}-\d+"
_CLOSING = re.compile(
    rf"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+((?:{_REF})(?:\s*(?:,|\band\b|&)\s*(?:{_REF}))*)",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(_REF, re.IGNORECASE)
_HASH = re.compile(r"(?<![\w/&#])(?:GH-|#)(\d{1,7})\b", re.IGNORECASE)
_MERGE_PR = re.compile(r"\AMerge (?:pull request|PR) #(\d+) from (\S+)", re.IGNORECASE)
_MERGE_BRANCH = re.compile(r"\AMerge (?:remote-tracking )?branch '([^']+)'", re.IGNORECASE)
_BRANCH_NUMBER = re.compile(r"(?:^|[/_-])(?:issues?|bugs?|fix(?:es)?|gh)[-_/]?#?(\d{1,7})(?![\d])", re.IGNORECASE)

_REVERT = re.compile(r"\A\s*(?:revert\b|back out|backout\b|undo\b)|^This reverts commit [0-9a-f]{7,}", re.IGNORECASE | re.MULTILINE)
#: Subjects of commits that are not bug fixes, whatever verb they use.
NEGATIVE_PATTERNS = (
    r"\b(?:typos?|spelling|misspell\w*|grammar|wording)\b",
    r"\b(?:javadocs?|docs?|documentation|readme|changelog|comments?|licen[cs]e|copyright|notice file)\b",
    r"\b(?:tests?|testcases?|unit[- ]?tests?|flaky|flakey|flakiness|test failures?|it tests?)\b",
    r"\b(?:warnings?|lint|linter|checkstyle|findbugs|spotbugs|pmd|sonar\w*|errorprone|rat check|deprecations?)\b",
    r"\b(?:format(?:ting)?|whitespace|indent\w*|code style|coding style|cosmetic|trailing spaces?|unused imports?|"
    r"imports? order)\b",
    r"\b(?:bump(?:s|ed)?|upgrade[sd]?|downgrade[sd]?|update[sd]? (?:dependenc\w+|deps?|version)|dependabot)\b",
    r"\b(?:dependenc(?:y|ies)|deps|pom(?:\.xml)?|gradle|maven|sbt|requirements\.txt|package\.json|lockfile)\b",
    r"\b(?:build|ci|jenkins\w*|travis|github actions|workflows?|release notes|prepare release|javac)\b",
    r"\bCVE-\d{4}-\d+\b",
    r"\b(?:refactor\w*|clean[- ]?up|cleanups|tidy|renam\w+|polish\w*)\b",
)
#: Words that name a bug outright: they outweigh the negative patterns (not reverts nor conventional types).
STRONG_PATTERNS = (
    r"\b(?:crash(?:es|ed|ing)?|npe|nullpointerexception|null pointer|segfault|segmentation fault|memory leak|"
    r"deadlock|data loss|corrupt\w*|race condition|infinite loop|off[- ]by[- ]one)\b",
)
#: Bug words beyond ``git.fix_patterns``. Like the keywords, they are looked for in the subject only: bodies
#: describe, quote and list ("* fix lint"), and long bodies mention fixes and errors all the time.
EXTRA_SUBJECT_PATTERNS = (
    r"\b(?:exception|incorrect(?:ly)?|wrong(?:ly)?|broken|mis[- ]?handl\w+|leaks?|overflow|hangs?)\b",
)


@dataclass(frozen=True)
class IssueInfo:
    """What the fix decision needs of a stored issue."""

    is_bug: bool
    created_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """The fix decision of one commit, what decided it, and its issue references ``(key, source)``."""

    is_fix: bool
    source: str  # tracker | message | none
    refs: tuple[tuple[str, str], ...]
    reason: str = ""


class IssueRefs:
    """Compiled reference patterns."""

    def __init__(self, settings: IssueSettings) -> None:
        try:
            self.key = re.compile(settings.key_pattern)
        except re.error as exc:
            raise ConfigError(f"invalid regular expression in issues.key_pattern: {settings.key_pattern!r} ({exc})") from None
        self.ignored = {p.upper() for p in settings.ignored_key_prefixes}

    def _jira(self, text: str) -> list[str]:
        out = []
        for m in self.key.finditer(text):
            key = (m.group(1) if self.key.groups else m.group(0)).upper()
            if key.rsplit("-", 1)[0] not in self.ignored:
                out.append(key)
        return out

    def _norm(self, ref: str) -> str | None:
        ref = ref.strip()
        if "#" in ref:
            return "#" + ref.rsplit("#", 1)[1]
        if ref.upper().startswith("GH-"):
            return "#" + ref[3:]
        key = ref.upper()
        return key if key.rsplit("-", 1)[0] not in self.ignored else None

    def find(self, message: str, *, is_merge: bool = False) -> tuple[tuple[str, str], ...]:
        """Issue keys referenced by ``message``, each with its strongest source, in order of appearance."""
        found: dict[str, str] = {}

        def add(key: str | None, source: str) -> None:
            if key and (key not in found or SOURCE_RANK[source] < SOURCE_RANK[found[key]]):
                found[key] = source

        text = message
        subject = message.split("\n", 1)[0]
        if is_merge or subject.lower().startswith("merge "):
            m = _MERGE_PR.match(subject)
            branch = m.group(2) if m else None
            if m:
                text = message[: m.start(1) - 1] + message[m.end(1):]  # the PR number is not an issue
            else:
                mb = _MERGE_BRANCH.match(subject)
                branch = mb.group(1) if mb else None
            if branch:
                for key in self.branch(branch):
                    add(key, BRANCH)
        for m in _CLOSING.finditer(text):
            for item in _LIST_ITEM.finditer(m.group(1)):
                add(self._norm(item.group(0)), CLOSING)
        for key in self._jira(text):
            add(key, MESSAGE)
        for m in _HASH.finditer(text):
            add(f"#{m.group(1)}", MESSAGE)
        return tuple(found.items())


    def branch(self, branch: str) -> list[str]:
        """Keys in a branch name: Jira keys, and numbers after ``issue``, ``bug``, ``fix`` or ``gh``."""
        return [*self._jira(branch), *(f"#{m.group(1)}" for m in _BRANCH_NUMBER.finditer(branch))]

    def pull_request(self, title: str | None, body: str | None, head_branch: str | None) -> tuple[tuple[str, str], ...]:
        """Keys referenced by a pull request, each with the strongest of ``pr-title``/``pr-branch``/``pr-body``."""
        found: dict[str, str] = {}

        def add(key: str, source: str) -> None:
            if key not in found or SOURCE_RANK[source] < SOURCE_RANK[found[key]]:
                found[key] = source

        for key, _ in self.find(title or ""):
            add(key, PR_TITLE)
        for key in self.branch(head_branch or ""):
            add(key, PR_BRANCH)
        for key, _ in self.find((body or "")[:PR_BODY_CHARS]):
            add(key, PR_BODY)
        return tuple(found.items())


class MessageClassifier:
    """Bug fix or not from the message alone (see the module docstring); ``None`` when nothing says."""

    def __init__(self, git: GitSettings) -> None:
        self.base = FixDetector(git.fix_patterns, [], (), git.fix_commit_types, git.nonfix_commit_types)
        self.negative = re.compile("|".join(NEGATIVE_PATTERNS), re.IGNORECASE)
        self.strong = re.compile("|".join(STRONG_PATTERNS), re.IGNORECASE)
        self.extra = re.compile("|".join(EXTRA_SUBJECT_PATTERNS), re.IGNORECASE)

    def verdict(self, message: str, refs: tuple[tuple[str, str], ...] = ()) -> tuple[bool | None, str]:
        """``(is_fix or None, reason)``."""
        kind = self.base.commit_type(message)
        if kind is not None:
            return kind in self.base.fix_types, f"type:{kind}"
        if _REVERT.search(message):
            return False, "revert"
        subject = message.strip().split("\n", 1)[0]
        strong = self.strong.search(subject)
        if strong:
            return True, strong.group(0).lower()
        neg = self.negative.search(subject)
        if neg:
            return False, f"not-a-fix:{neg.group(0).lower()}"
        if any(src == CLOSING for _, src in refs):
            return True, CLOSING
        for clause in _clause_starts(subject):
            m = self.base.any_fix.search(clause) if self.base.any_fix is not None else None
            if m:
                return True, m.group(0).lower()
            m = self.extra.search(clause)
            if m:
                return True, m.group(0).lower()
        return None, ""


_CLAUSE = re.compile(r"[:;]\s+|\.\s+|\s[-–—]\s")


def _clause_starts(subject: str, words: int = 3) -> list[str]:
    """The first ``words`` words of each clause of the subject: where a message says what it does ("Fix …",
    "HDFS-1. Fix …", "parser: fix …"), not where it talks about fixes ("fixes marked as done", "fix keywords")."""
    return [" ".join(part.split()[:words]) for part in _CLAUSE.split(subject) if part.strip()]


class CommitClassifier(FixDetector):
    """The fix decision of the ingest: tracker first, message classifier otherwise.

    A :class:`FixDetector` so that git ingestion can use it in place of the keyword detector
    (:meth:`check`); :meth:`decide` gives the full decision with its source and references.
    """

    def __init__(self, git: GitSettings, issues: IssueSettings, known: Mapping[str, IssueInfo],
                 pr_refs: Mapping[str, tuple[tuple[str, str], ...]] | None = None) -> None:
        super().__init__(git.fix_patterns, git.issue_patterns, git.bug_issue_ids, git.fix_commit_types,
                         git.nonfix_commit_types)
        self.refs = IssueRefs(issues)
        self.messages = MessageClassifier(git)
        self.known: dict[str, IssueInfo] = dict(known)
        for bug in self.bug_issues:  # git.bug_issue_ids: a tracker export of bug ids
            self.known.setdefault(bug if bug.startswith("#") or "-" in bug else f"#{bug}", IssueInfo(True))
        self.fallback = issues.tracker_fallback_to_message or not self.known
        self.veto = issues.tracker_bug_veto
        self.rescue = issues.tracker_nonbug_rescue
        self.memo: dict[tuple[str, bool], Decision] = {}  # decisions of check(), reused by the relink pass
        self.pr_refs: Mapping[str, tuple[tuple[str, str], ...]] = pr_refs or {}  # by commit sha

    def decide(self, message: str, *, is_merge: bool = False, sha: str | None = None) -> Decision:
        """The decision of one commit; ``sha`` adds the references of the pull requests that carried it."""
        extra = self.pr_refs.get(sha) if sha is not None else None
        if extra:
            return self._decide(message, is_merge, extra)
        found = self.memo.get((message, is_merge))
        if found is not None:
            return found
        d = self._decide(message, is_merge, ())
        if len(self.memo) < MEMO_ENTRIES:
            self.memo[(message, is_merge)] = d
        return d

    def _decide(self, message: str, is_merge: bool, extra: tuple[tuple[str, str], ...]) -> Decision:
        refs = self.refs.find(message, is_merge=is_merge)
        if extra:
            named = {k for k, _ in refs}
            refs = refs + tuple((k, src) for k, src in extra if k not in named)
        if is_merge:
            return Decision(False, NONE, refs, "merge")
        linked = [self.known[k] for k, _ in refs if k in self.known]
        if linked:
            bug = any(i.is_bug for i in linked)
            if bug and self.veto:
                verdict, reason = self.messages.verdict(message, refs)
                if verdict is False:
                    return Decision(False, TRACKER, refs, f"bug issue, but {reason}")
            if not bug and self.rescue:
                verdict, reason = self.messages.verdict(message)  # without refs: a closing keyword alone is no verdict
                if verdict:
                    return Decision(True, BY_MESSAGE, refs, f"{reason} (linked issue not typed bug)")
            return Decision(bug, TRACKER, refs, "bug issue" if bug else "no bug issue")
        if not self.fallback:
            return Decision(False, TRACKER, refs, "no linked issue")
        verdict, reason = self.messages.verdict(message, refs)
        if verdict is None:
            return Decision(False, NONE, refs)
        return Decision(verdict, BY_MESSAGE, refs, reason)

    def check(self, message: str, *, is_merge: bool = False, with_issues: bool = True) -> FixVerdict:
        d = self.decide(message, is_merge=is_merge)
        return FixVerdict(d.is_fix, d.reason or None, tuple(k for k, _ in d.refs))
