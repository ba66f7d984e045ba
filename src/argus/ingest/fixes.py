"""Decide whether a commit fixes a bug, from its message (configurable patterns).

A commit is a fix when one of ``fix_patterns`` (:class:`argus.core.settings.GitSettings`) matches its message (keywords such as "fix", "bug",
"defect", "hotfix", "crash", "regression"; after Mockus & Votta 2000 and Commit Guru), or when it
references an issue (``issue_patterns``, e.g. ``#123`` or ``PROJ-123``) listed in ``bug_issue_ids``
(ids exported from the tracker as bugs). Merge commits are never fixes: the merged commits carry
the fix.

A Conventional-Commits subject (``type(scope)!: summary``) is the author's own classification and
is taken first: a type in ``fix_commit_types`` (``fix:``, ``fix(api):``) is a fix, a type in
``nonfix_commit_types`` (``docs:``, ``chore:``, ``ci:``, ``style:``, ``test:``, ``build:``,
``refactor:``, ``feat:`` …) is not — "docs: fix PagerDuty capitalization" is documentation work.
Other prefixes (``perf:``, or a subsystem such as ``net:``) fall back to the keywords and issues. Patterns are case-insensitive regular expressions; the first group of an issue pattern, if
any, is the issue id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from argus.core.errors import ConfigError
from argus.core.settings import GitSettings


@dataclass(frozen=True)
class FixVerdict:
    """Whether a message marks a fix, and why (matched keyword, referenced issue ids)."""

    is_fix: bool
    keyword: str | None
    issues: tuple[str, ...]
    commit_type: str | None = None  # the conventional-commit type that decided, if any


#: ``type(scope)!: `` at the start of the subject line.
_CONVENTIONAL = re.compile(r"\A\s*([A-Za-z][A-Za-z0-9_-]*)(?:\([^)\n]*\))?!?:\s")


class FixDetector:
    """Compiled fix and issue patterns."""

    def __init__(self, fix_patterns: Iterable[str], issue_patterns: Iterable[str], bug_issue_ids: Iterable[str] = (),
                 fix_types: Iterable[str] = (), nonfix_types: Iterable[str] = ()) -> None:
        self.fix_res = [_compile(p, "git.fix_patterns", re.IGNORECASE) for p in fix_patterns]
        # one alternation: a single scan per message instead of one per pattern
        self.any_fix = re.compile("|".join(f"(?:{rx.pattern})" for rx in self.fix_res), re.IGNORECASE) if self.fix_res else None
        self.issue_res = [_compile(p, "git.issue_patterns", 0) for p in issue_patterns]
        self.bug_issues = {i.strip().upper() for i in bug_issue_ids if i.strip()}
        self.fix_types = {t.strip().lower() for t in fix_types if t.strip()}
        self.nonfix_types = {t.strip().lower() for t in nonfix_types if t.strip()} - self.fix_types

    @classmethod
    def from_settings(cls, settings: GitSettings) -> FixDetector:
        """The detector configured by ``settings.git`` (defaults in :class:`GitSettings`)."""
        return cls(settings.fix_patterns, settings.issue_patterns, settings.bug_issue_ids,
                   settings.fix_commit_types, settings.nonfix_commit_types)

    def commit_type(self, message: str) -> str | None:
        """The subject's conventional-commit type when it is a configured fix or non-fix type."""
        if not (self.fix_types or self.nonfix_types):
            return None
        m = _CONVENTIONAL.match(message)
        if m is None:
            return None
        kind = m.group(1).lower()
        return kind if kind in self.fix_types or kind in self.nonfix_types else None

    def issues(self, message: str) -> tuple[str, ...]:
        """Issue ids referenced by ``message`` (in order of appearance, without duplicates)."""
        found: dict[str, None] = {}
        for rx in self.issue_res:
            for m in rx.finditer(message):
                found[(m.group(1) if rx.groups else m.group(0)).upper()] = None
        return tuple(found)

    def check(self, message: str, *, is_merge: bool = False, with_issues: bool = True) -> FixVerdict:
        """Whether ``message`` marks a fix; ``with_issues=False`` skips collecting issue ids when no
        configured bug id could make the commit a fix (the ingest's hot path)."""
        if is_merge:
            return FixVerdict(False, None, ())
        kind = self.commit_type(message)
        if kind is not None:
            issues = self.issues(message) if with_issues else ()
            return FixVerdict(kind in self.fix_types, None, issues, kind)
        m = self.any_fix.search(message) if self.any_fix is not None else None
        need_issues = with_issues or bool(self.bug_issues)
        issues = self.issues(message) if need_issues else ()
        if m:
            return FixVerdict(True, m.group(0), issues)
        if self.bug_issues and any(i in self.bug_issues or i.lstrip("#") in self.bug_issues for i in issues):
            return FixVerdict(True, None, issues)
        return FixVerdict(False, None, issues)


def _compile(pattern: str, setting: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ConfigError(f"invalid regular expression in {setting}: {pattern!r} ({exc})") from None
