"""Line counts of file versions (blobs), for Kamei's LT, without reading every blob.

``git log --numstat`` gives lines added and deleted per file and ``--raw`` the old and new blob ids,
so the size of a new version follows from the old one: ``lines(new) = lines(old) + added - deleted``
(git's numstat counts lines exactly as :func:`count_lines` does). Walking history oldest first, every
old blob was normally produced by an earlier commit; only blobs from before the ingested range (a
``--since`` start, an incremental run, a shallow boundary) or evicted from the bounded cache are read,
through one ``git cat-file --batch`` process. A version replaced by a commit is dropped from the
cache, so it holds about one entry per live file (plus unmerged branches' versions).
"""

from __future__ import annotations

from itertools import islice

from argus.ingest.git.gitcmd import CatFile

NULL_BLOB = "0" * 40


def count_lines(data: bytes) -> int:
    """Lines of a text file as git counts them (a last line without newline counts)."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


class LineCounter:
    """Blob id → line count, bounded to ``max_entries`` (oldest entries evicted first)."""

    def __init__(self, catfile: CatFile | None, max_entries: int = 200_000) -> None:
        self.catfile = catfile
        self.max_entries = max(1000, max_entries)
        self.cache: dict[str, int] = {}
        self.reads = 0  # blobs read from git (cache misses)

    def lines(self, blob: str) -> int:
        """Lines of ``blob`` (0 for the null id, for missing objects and when no reader is set)."""
        if not blob or blob == NULL_BLOB:
            return 0
        n = self.cache.get(blob)
        if n is not None:
            return n
        if self.catfile is None:
            return 0
        data = self.catfile.read(blob)
        self.reads += 1
        n = count_lines(data) if data is not None else 0
        self.remember(blob, n)
        return n

    def forget(self, blob: str) -> None:
        """Drop a superseded version (a later read of it, e.g. from another branch, goes to git)."""
        self.cache.pop(blob, None)

    def remember(self, blob: str, lines: int) -> None:
        if not blob or blob == NULL_BLOB:
            return
        cache = self.cache
        cache[blob] = lines
        if len(cache) > self.max_entries:
            for key in list(islice(cache, len(cache) // 10)):
                del cache[key]
