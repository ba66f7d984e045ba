"""Which changed files SZZ may blame: source code, not docs, tests, lock, generated or vendored files.

Glob forms (``git.szz_include``, ``git.szz_exclude``, ``git.szz_test_globs``): ``dir/`` matches a
directory of that name at any depth; a glob without ``/`` matches the file name (``*.py``,
``test_*.py``); any other glob matches the whole path (``src/gen/*.c``; ``*`` also crosses ``/``).
Matching is case-sensitive, as git paths are.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from argus.core.settings import GitSettings


class _Globs:
    def __init__(self, globs: Iterable[str]) -> None:
        self.dirs = {g.strip("/") for g in globs if g.endswith("/") and g.strip("/")}
        self.names = [g for g in globs if "/" not in g]
        self.paths = [g for g in globs if "/" in g and not g.endswith("/")]

    def match(self, path: str) -> bool:
        parts = path.split("/")
        name = parts[-1]
        if self.dirs and any(p in self.dirs for p in parts[:-1]):
            return True
        return any(fnmatchcase(name, g) for g in self.names) or any(fnmatchcase(path, g) for g in self.paths)


class SourceFilter:
    """``wanted(path)``: whether SZZ blames lines of ``path`` (included and not excluded)."""

    def __init__(self, include: Iterable[str], exclude: Iterable[str], tests: Iterable[str] = ()) -> None:
        self.include = _Globs(list(include))
        self.exclude = _Globs([*exclude, *tests])
        self._cache: dict[str, bool] = {}

    @classmethod
    def from_settings(cls, settings: GitSettings) -> SourceFilter:
        tests = settings.szz_test_globs if settings.szz_exclude_tests else ()
        return cls(settings.szz_include, settings.szz_exclude, tests)

    def wanted(self, path: str) -> bool:
        hit = self._cache.get(path)
        if hit is None:
            hit = self.include.match(path) and not self.exclude.match(path)
            if len(self._cache) < 100_000:
                self._cache[path] = hit
        return hit
