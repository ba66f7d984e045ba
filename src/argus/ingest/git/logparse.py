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

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from argus.core.errors import InputError
from argus.ingest.git.gitcmd import split_records

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
    malformed: bool = False  # an ident or date git could not parse (see :func:`repair_idents`)

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


#: Unix seconds of 0001-01-01 and of 9999-12-31T23:59:59 UTC: the range a stored timestamp can hold.
MIN_TIME, MAX_TIME = -62_135_596_800, 253_402_300_799
#: Largest UTC offset accepted (minutes); git writes whatever the committer's clock said.
MAX_TZ_MINUTES = 18 * 60


def _tz_minutes(raw: bytes) -> int:
    """Minutes east of UTC from ``+HHMM``; 0 for anything else or beyond ±18 h."""
    s = raw.strip()
    if len(s) != 5 or s[:1] not in (b"+", b"-") or not s[1:].isdigit():
        return 0
    minutes = int(s[1:3]) * 60 + int(s[3:5])
    if int(s[3:5]) >= 60 or minutes > MAX_TZ_MINUTES:
        return 0
    return -minutes if s[:1] == b"-" else minutes


def _time(raw: bytes) -> int | None:
    """Unix seconds, or None when git gave none (unparseable ident) or it is outside years 1–9999."""
    s = raw.strip()
    if not s or not (s[1:] if s[:1] == b"-" else s).isdigit() or len(s) > 13:
        return None
    n = int(s)
    return n if MIN_TIME <= n <= MAX_TIME else None


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
        raise InputError(f"git log: malformed record (expected 13 fields, got {len(f)}): {head[:80]!r}")
    encoding = f[11].decode("ascii", "replace")
    author_time, committer_time = _time(f[5]), _time(f[9])
    # git prints an unparseable ident (NUL in the name, no date, ...) as its literal placeholder or empty
    malformed = author_time is None or committer_time is None or f[3] == b"%aN" or f[7] == b"%cN"
    return RawCommit(
        sha=f[0].decode(),
        parents=f[1].decode().split() if f[1] else [],
        tree=f[2].decode(),
        author_name=decode_text(f[3]),
        author_email=decode_text(f[4]),
        author_time=author_time if author_time is not None else (committer_time or 0),
        author_tz=_tz_minutes(f[6]),
        committer_name=decode_text(f[7]),
        committer_email=decode_text(f[8]),
        committer_time=committer_time if committer_time is not None else (author_time or 0),
        committer_tz=_tz_minutes(f[10]),
        message=decode_text(f[12], encoding),
        files=_parse_diff(diff) if diff.strip(b"\0\n") else [],
        malformed=malformed,
    )


_IDENT_TAIL = re.compile(rb"\s*<([^>]*)>\s*(-?\d*)\s*([+-]\d{4})?\s*$")


def parse_ident(line: bytes) -> tuple[str, str, int | None, int]:
    """Leniently parse ``Name <email> seconds +zone`` from a raw commit header (NULs dropped).

    For commits whose ident git's formatter rejects; missing or out-of-range dates give None.
    """
    line = line.replace(b"\0", b"")
    m = _IDENT_TAIL.search(line)
    if m is None:
        return decode_text(line.strip()), "", None, 0
    name = line[: m.start()].strip()
    return decode_text(name), decode_text(m.group(1).strip()), _time(m.group(2)), _tz_minutes(m.group(3) or b"")


def repair_idents(commit: RawCommit, header: bytes) -> None:
    """Fill a malformed commit's names, e-mails and dates from its raw object header.

    A date that is still missing or outside years 1–9999 takes the commit's other date (author ↔
    committer), else 0 (1970-01-01); the ``.mailmap`` does not apply to repaired idents.
    """
    idents: dict[bytes, tuple[str, str, int | None, int]] = {}
    for ln in header.split(b"\n"):
        key, _, rest = ln.partition(b" ")
        if key in (b"author", b"committer") and key not in idents:
            idents[key] = parse_ident(rest)
    a = idents.get(b"author", ("", "", None, 0))
    c = idents.get(b"committer", ("", "", None, 0))
    commit.author_name, commit.author_email, commit.author_tz = a[0], a[1], a[3]
    commit.committer_name, commit.committer_email, commit.committer_tz = c[0], c[1], c[3]
    commit.author_time = a[2] if a[2] is not None else (c[2] if c[2] is not None else 0)
    commit.committer_time = c[2] if c[2] is not None else commit.author_time


def parse_stream(chunks: Iterable[bytes]) -> Iterator[RawCommit]:
    """Yield commits from the chunks of ``git log`` output, holding at most one record unparsed."""
    for record in split_records(chunks, START, b"\0\n"):
        yield parse_record(record)
