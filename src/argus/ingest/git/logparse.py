"""Parse one streaming ``git log --raw --numstat -z`` into commits with their changed files.

The whole history comes from a single git process (:func:`log_args` builds its arguments); the
parser works on byte chunks, so memory holds one commit at a time, whatever the history length.

Record layout (``--format`` below, then git's ``-z`` diff output)::

    START sha US parents US tree US aN US aE US at US atz US cN US cE US ct US ctz US encoding US body END
    NUL [LF] :oldmode newmode oldblob newblob STATUS NUL path NUL [newpath NUL] ...   (--raw, one per file)
    added TAB deleted TAB path NUL | added TAB deleted TAB NUL old NUL new NUL ...     (--numstat)

``%aN``/``%aE``/``%cN``/``%cE`` apply the repository's ``.mailmap``. Binary files have ``-`` counts.
Merge commits are diffed against their first parent (``--diff-merges=first-parent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

START = b"\x1e\x02argus-commit\x03"
END = b"\x02argus-end\x03\x1e"
_FORMAT = "%x1e%x02argus-commit%x03" + "%x1f".join(
    ["%H", "%P", "%T", "%aN", "%aE", "%at", "%ad", "%cN", "%cE", "%ct", "%cd", "%e", "%B"]
) + "%x02argus-end%x03%x1e"


def log_args(revisions: Sequence[str], *, since_date: str | None = None) -> list[str]:
    """Arguments of the one ``git log`` that reads every commit of ``revisions`` oldest first."""
    args = [
        "log",
        "--reverse",
        "--date-order",
        "--raw",
        "--numstat",
        "-z",
        "--no-abbrev",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
        "--diff-merges=first-parent",
        "--date=format:%z",
        f"--format={_FORMAT}",
    ]
    if since_date:
        args.append(f"--since={since_date}")
    args.append("--end-of-options")
    args.extend(revisions)
    args.append("--")
    return args


@dataclass(slots=True)
class FileChange:
    """One file changed by a commit (against its first parent; the empty tree for a root commit)."""

    path: str
    old_path: str | None  # set for renames and copies
    change_type: str  # git's status letter: A M D R C T
    added: int
    deleted: int
    binary: bool
    old_blob: str
    new_blob: str


@dataclass(slots=True)
class RawCommit:
    """A commit as read from ``git log`` (times are Unix seconds; zones in minutes east of UTC)."""

    sha: str
    parents: list[str]
    tree: str
    author_name: str
    author_email: str
    author_time: int
    author_tz: int
    committer_name: str
    committer_email: str
    committer_time: int
    committer_tz: int
    message: str
    files: list[FileChange] = field(default_factory=list)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def decode_text(raw: bytes, encoding: str = "") -> str:
    """Decode git text safely: UTF-8, else the commit's declared encoding, else Latin-1; no NULs."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
        if encoding:
            try:
                text = raw.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                text = ""
        if not text:
            text = raw.decode("latin-1")
    return text.replace("\x00", "") if "\x00" in text else text


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _tz_minutes(raw: bytes) -> int:
    s = raw.strip()
    if len(s) != 5 or s[:1] not in (b"+", b"-"):
        return 0
    minutes = int(s[1:3]) * 60 + int(s[3:5])
    return -minutes if s[:1] == b"-" else minutes


def _count(raw: bytes) -> int:
    return 0 if raw == b"-" else int(raw)


def _parse_diff(diff: bytes) -> list[FileChange]:
    toks = diff.split(b"\0")
    raw: dict[bytes, list[bytes | None]] = {}
    files: list[FileChange] = []
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        if t[:1] == b"\n":
            t = t.lstrip(b"\n")
        if not t:
            i += 1
            continue
        if t[:1] == b":":
            meta = t[1:].split(b" ")
            code = meta[4][:1]
            if code in (b"R", b"C"):
                raw[toks[i + 2]] = [code, toks[i + 1], meta[2], meta[3]]
                i += 3
            else:
                raw[toks[i + 1]] = [code, None, meta[2], meta[3]]
                i += 2
            continue
        added, deleted, path = t.split(b"\t", 2)
        if not path:
            path = toks[i + 2]
            i += 3
        else:
            i += 1
        entry = raw.pop(path, None)
        if entry is None:  # numstat without a raw line: should not happen; keep what we know
            entry = [b"M", None, b"", b""]
        status, old, old_blob, new_blob = entry
        files.append(
            FileChange(
                path=_path(path),
                old_path=_path(old) if old is not None else None,
                change_type=(status or b"M").decode(),
                added=_count(added),
                deleted=_count(deleted),
                binary=added == b"-",
                old_blob=(old_blob or b"").decode(),
                new_blob=(new_blob or b"").decode(),
            )
        )
    for path, (status, old, old_blob, new_blob) in raw.items():  # raw-only entries (e.g. mode change)
        files.append(
            FileChange(
                path=_path(path),
                old_path=_path(old) if old is not None else None,
                change_type=(status or b"M").decode(),
                added=0,
                deleted=0,
                binary=False,
                old_blob=(old_blob or b"").decode(),
                new_blob=(new_blob or b"").decode(),
            )
        )
    return files


def parse_record(rec: bytes) -> RawCommit:
    """Parse one record (the bytes between two START markers)."""
    head, _, diff = rec.partition(END)
    f = head.split(b"\x1f", 12)
    if len(f) != 13:
        raise ValueError(f"malformed git log record: {head[:80]!r}")
    encoding = f[11].decode("ascii", "replace")
    return RawCommit(
        sha=f[0].decode(),
        parents=f[1].decode().split() if f[1] else [],
        tree=f[2].decode(),
        author_name=decode_text(f[3]),
        author_email=decode_text(f[4]),
        author_time=int(f[5]),
        author_tz=_tz_minutes(f[6]),
        committer_name=decode_text(f[7]),
        committer_email=decode_text(f[8]),
        committer_time=int(f[9]),
        committer_tz=_tz_minutes(f[10]),
        message=decode_text(f[12], encoding),
        files=_parse_diff(diff) if diff.strip(b"\0\n") else [],
    )


def parse_stream(chunks: Iterable[bytes]) -> Iterator[RawCommit]:
    """Yield commits from the chunks of ``git log`` output, holding at most one record unparsed."""
    tail = b""
    for chunk in chunks:
        parts = (tail + chunk).split(START)
        tail = parts.pop()
        for part in parts:
            if part:
                yield parse_record(part)
    if tail.strip(b"\0\n"):
        yield parse_record(tail)
