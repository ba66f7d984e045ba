"""Blame many fixes at once by replaying the history (instead of one ``git blame`` each).

``git blame`` walks a file's history back from the fix's parent until every asked line has an owner;
a first ingest runs one such walk per (fix, file), and on a long history that is most of its time.
This module reads the history *once*, parents before children —
``git log --topo-order --reverse -p -U0 -w --find-renames --diff-merges=separate`` — and keeps, for
every file, the commit that last touched each of its lines. A whitespace-insensitive ``-U0`` hunk
``-a,b +c,d`` gives the new lines to the commit and shifts the others, which is what ``git blame -w``
concludes line by line for a single-parent commit (both use git's same diff). Each commit starts
from its first parent's state: a commit with several children keeps its state until the last one is
replayed, and the branches share the lists of line owners copy-on-write (at most ``max_states`` such
states at once, :data:`MAX_STATES`; beyond that the oldest open branch is forgotten and its fixes are
blamed). A merge's lines are resolved as blame resolves them: unchanged against the first parent,
that parent's owner; else unchanged against the second parent (the merge's second diff), that
parent's owner; else the merge's own. When the replay reaches a fix (on the first-parent chain or on
a merged branch), the lines the fix deletes (numbered in its first parent) are looked up.

Every file is replayed, not only the source files SZZ blames: blame follows a source file back
through a rename from a path SZZ leaves out (``docs/x.py`` → ``src/x.py``), and so must the replay.

Where the replay cannot answer like ``git blame``, the lines are handed back to be blamed:

- lines a merge brought in when the second parent's state is unknown, and lines octopus merges
  brought in: the replay remembers each such line's number in the merge, and ``git blame`` runs once
  per (merge, file) *at the merge*, for all the lines any fix asked about there;
- fixes on branches beyond ``max_states``, and files the replay does not know at that point.

Only the ``-U0`` hunk headers are read (content lines are skipped by count), so the cost is about one
``git log -p`` of the history. Memory: one reference per line of every live file, plus a dict of
files per open branch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from argus.ingest.git.gitcmd import Git, split_records
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.szz import START, FixFile, unquote_path

_NO_OWNER = -1

#: ``ask(sha, record)``: the lines to answer at this commit of the chain (None: not a fix to answer). The
#: record is the commit's output of :func:`replay_args` (its ``-U0 -w`` patch against its first parent).
Ask = Callable[[str, bytes], "Sequence[FixFile] | None"]


@dataclass
class ReplayResult:
    """Owners found by the replay, and what must still be blamed by ``git blame``."""

    owners: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)  # (fix, path) → line → sha
    to_blame: list[tuple[str, FixFile]] = field(default_factory=list)  # (fix, lines left) for git blame
    #: lines a merge brought in: (merge sha, path in the merge) → its line numbers there, to blame at the merge
    merge_lines: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    #: (fix, path, line in the fix's parent) → (merge sha, path in the merge, line in the merge)
    via_merge: dict[tuple[str, str, int], tuple[str, str, int]] = field(default_factory=dict)
    commits: int = 0
    lines_resolved: int = 0


def replay_args(tip: str, *, first_parent: bool = False) -> list[str]:
    """Every commit reachable from ``tip`` (or only its first-parent chain), parents before children."""
    return [
        "log", "--first-parent" if first_parent else "--topo-order", "--reverse", "-p", "-U0", "-w",
        "--find-renames", "--no-color", "--no-ext-diff", "--no-textconv",
        "--diff-merges=first-parent" if first_parent else "--diff-merges=separate",
        "--src-prefix=a/", "--dst-prefix=b/", "--format=%x1e%x02argus-fix%x03%H %P", tip, "--",
    ]  # fmt: skip


def child_counts(git: Git, tip: str) -> dict[str, int]:
    """How many children each commit reachable from ``tip`` has (commits without children left out)."""
    counts: dict[str, int] = {}
    for row in git.run(["rev-list", "--parents", tip, "--"]).split(b"\n"):
        for parent in row.split()[1:]:
            key = parent.decode()
            counts[key] = counts.get(key, 0) + 1
    return counts


def replay_owners(git: Git, tip: str, requests: Mapping[str, Sequence[FixFile]] | Ask,
                  source: SourceFilter | None, *, max_states: int | None = None) -> ReplayResult:
    """Owners of the requested lines of each fix (``requests``: fix sha → files and parent lines)."""
    return replay_stream(git.stream(replay_args(tip)), requests, source, children=child_counts(git, tip),
                         max_states=max_states)


class _Files(dict[str, list[int]]):
    """One commit's line owners, path → owner of each line. Lists may be shared with another branch's
    state (copied on first write); ``owned`` (None: all) names the lists this state may change in place."""

    owned: set[str] | None = None


def replay_stream(chunks: Iterable[bytes], requests: Mapping[str, Sequence[FixFile]] | Ask,
                  source: SourceFilter | None, *, children: Mapping[str, int] | None = None,
                  max_states: int | None = None) -> ReplayResult:
    """:func:`replay_owners` on the output of :func:`replay_args` (split for tests).

    ``requests`` may also be an :data:`Ask`, called at every commit as the replay reaches it (the fixes
    are then decided while the replay runs; fixes it never reaches are the caller's to blame).
    ``children`` (:func:`child_counts`): the stream holds every commit, parents first, and each commit
    starts from its first parent's state — kept while some of its children are still to come, shared
    copy-on-write between them, and at most ``max_states`` (default :data:`MAX_STATES`) such states at
    once (beyond that a branch's fixes are left to git blame). Without ``children``: one chain, each
    commit the previous one's child (``--first-parent``).
    """
    out = ReplayResult()
    ask: Ask = requests if callable(requests) else (lambda sha, _rec: requests.get(sha))
    cap = MAX_STATES if max_states is None else max_states
    shas: list[str] = []
    merges: list[tuple[int, str, int]] = []  # virtual owners: (merge index, path in the merge, line there)
    chain = _Files()
    states: dict[str, _Files | None] = {}  # commits with children still to come → their state (None: unknown)
    left: dict[str, int] = {}
    seen: set[str] = set()
    merge: tuple[str, _Files | None, int, list[str]] | None = None  # the last merge: sha, state, first virtual, others
    for record in split_records(chunks, START):
        if children is None:
            _commit(record, shas, merges, chain, ask, source, out, seen)
            continue
        end = record.find(b"\n")
        head = (record if end < 0 else record[:end]).decode().split()
        if merge is not None and head[0] == merge[0]:  # the merge's diff against its next parent
            p2 = states.get(merge[3][0])
            if merge[1] is not None and p2 is not None and len(merge[3]) == 1:
                _resolve_merge(record, merge[1], p2, merges, merge[2], len(shas) - 1)
                merge = (merge[0], None, merge[2], merge[3])  # an octopus merge's later parents: left to blame
            continue
        if merge is not None:
            _release(merge[3], states, left)
        files = _take(head[1] if len(head) > 1 else None, states, left, cap)
        first = len(merges)
        _commit(record, shas, merges, files, ask, source, out, seen)
        merge = (head[0], files, first, head[2:]) if len(head) > 2 else None
        n = children.get(head[0], 0)
        if n:
            states[head[0]], left[head[0]] = files, n
    if merge is not None:
        _release(merge[3], states, left)
    if not callable(requests):
        for fix, fix_files in requests.items():
            if fix not in seen:  # never reached: git blame
                out.to_blame.extend((fix, f) for f in fix_files)
    out.commits = len(shas)
    return out


#: Commit states a replay keeps at once (one per branch still open; each costs a dict of its files,
#: the lists of line owners being shared until a branch changes them).
MAX_STATES = 64


def _take(parent: str | None, states: dict[str, _Files | None], left: dict[str, int], cap: int) -> _Files | None:
    """The state a commit starts from: its first parent's (the last child takes it, others a copy)."""
    if parent is None:  # a root commit
        files = _Files()
        files.owned = set()
        return files
    if parent not in states:
        return None
    left[parent] -= 1
    if left[parent] == 0:
        del left[parent]
        return states.pop(parent)
    base = states[parent]
    if base is None:
        return None
    live = [sha for sha, state in states.items() if state is not None and sha != parent]
    if len(live) + 1 >= cap:  # too many branches open: the oldest other one is forgotten (its fixes blamed)
        if not live or cap <= 1:
            return None
        states[live[0]] = None
    copy = _Files(base)
    copy.owned = set()
    base.owned = set()  # its lists are shared from now on
    return copy


def _release(parents: list[str], states: dict[str, _Files | None], left: dict[str, int]) -> None:
    """A merge is done with its other parents' states."""
    for other in parents:
        if other in left:
            left[other] -= 1
            if left[other] == 0:
                del left[other], states[other]


def _resolve_merge(rec: bytes, files: _Files, other: _Files, merges: list[tuple[int, str, int]], first: int,
                   me: int) -> None:
    """Owners of the lines a merge brought in, from its diff against its second parent, as blame finds them.

    ``git blame`` passes a merge's lines to its first parent where they are unchanged against it (the
    replay's first-parent diff), then to its second parent where they are unchanged against that one,
    and keeps the rest for the merge. The merge's lines that are not in its first-parent diff are the
    virtual owners ``merges[first:]``; each one unchanged against the second parent takes that
    parent's owner of the matching line (the merge itself when changed; left virtual, i.e. blamed at
    the merge, when the second parent's file is unknown).
    """
    diffs: dict[str, tuple[str | None, list[tuple[int, int, int, int]]]] = {}
    for old, new, edits in _file_diffs(rec.split(b"\n")):
        if new is not None:
            diffs[new] = (old, sorted(edits, key=lambda e: e[2]))
    for k in range(first, len(merges)):
        _, path, line = merges[k]
        state = files.get(path)
        if state is None or not 0 < line <= len(state) or state[line - 1] != -2 - k:
            continue
        old, edits = diffs.get(path, (path, []))
        if old is None:  # a file the second parent does not have: the merge's own
            state[line - 1] = me
            continue
        theirs = other.get(old)
        if theirs is None:
            continue
        mapped = _line_before(line, edits)
        if mapped is None:
            state[line - 1] = me
        elif 0 < mapped <= len(theirs):
            state[line - 1] = theirs[mapped - 1]


def _line_before(line: int, edits: list[tuple[int, int, int, int]]) -> int | None:
    """The number, before a ``-U0`` diff (hunks by new start), of a line after it; None when the diff wrote it."""
    shift = 0
    for _a, b, c, d in edits:
        if d > 0 and c <= line <= c + d - 1:
            return None
        if (d > 0 and c + d - 1 < line) or (d == 0 and c < line):
            shift += b - d
        else:
            break
    return line + shift


def _file_diffs(lines: list[bytes]) -> Iterator[tuple[str | None, str | None, list[tuple[int, int, int, int]]]]:
    """(old path, new path, ``-U0`` hunks) of each file of one commit's patch (content lines skipped)."""
    n = len(lines)
    i = 1
    old: str | None = None
    new: str | None = None
    edits: list[tuple[int, int, int, int]] = []
    started = False
    while i < n:
        ln = lines[i]
        if ln.startswith(b"@@ "):
            a, b, c, d = _hunk(ln)
            edits.append((a, b, c, d))
            i += 1 + b
            if i < n and lines[i][:1] == b"\\":
                i += 1
            i += d
            if i < n and lines[i][:1] == b"\\":
                i += 1
            continue
        if ln.startswith(b"diff --git "):
            if started:
                yield old, new, edits
            started = True
            edits = []
            old = new = _diff_paths(ln)
        elif ln.startswith(b"rename from "):
            old = unquote_path(ln[12:])
        elif ln.startswith(b"rename to "):
            new = unquote_path(ln[10:])
        elif ln.startswith(b"--- "):
            old = None if ln[4:].rstrip(b"\t") == b"/dev/null" else unquote_path(ln[4:])
        elif ln.startswith(b"+++ "):
            new = None if ln[4:].rstrip(b"\t") == b"/dev/null" else unquote_path(ln[4:])
        elif ln.startswith(b"new file mode"):
            old = None
        elif ln.startswith(b"deleted file mode"):
            new = None
        i += 1
    if started:
        yield old, new, edits


def _commit(rec: bytes, shas: list[str], merges: list[tuple[int, str, int]], files: _Files | None,
            ask: Ask, source: SourceFilter | None, out: ReplayResult, seen: set[str]) -> None:
    lines = rec.split(b"\n")
    head = lines[0].decode().split()
    sha = head[0]
    me = len(shas)
    shas.append(sha)
    merge = len(head) > 2
    asked = ask(sha, rec)
    if asked is not None:  # the state is the fix's first parent's
        seen.add(sha)
        if files is None:  # a branch beyond max_states: git blame
            out.to_blame.extend((sha, f) for f in asked)
        else:
            _answer(sha, asked, shas, merges, files, out)
    if files is None:
        return
    for old, new, edits in _file_diffs(lines):
        _apply(files, old, new, edits, me, source, merges if merge else None)


def _diff_paths(ln: bytes) -> str | None:
    """The path of a ``diff --git a/X b/X`` line when both sides agree (else the later headers say)."""
    rest = ln[11:]
    if rest.startswith(b'"'):
        return None
    half = (len(rest) - 1) // 2
    a, b = rest[:half], rest[half + 1 :]
    if a[:2] == b"a/" and b[:2] == b"b/" and a[2:] == b[2:]:
        return a[2:].decode("utf-8", "replace")
    return None


def _hunk(ln: bytes) -> tuple[int, int, int, int]:
    """``@@ -a,b +c,d @@`` → (a, b, c, d); a missing count is 1."""
    end = ln.index(b" @@", 3)
    old, new = ln[3:end].split(b" ")
    a, _, b = old[1:].partition(b",")
    c, _, d = new[1:].partition(b",")
    return int(a), int(b) if b else 1, int(c), int(d) if d else 1


def _apply(files: _Files, old: str | None, new: str | None, edits: list[tuple[int, int, int, int]],
           me: int, source: SourceFilter | None, merges: list[tuple[int, str, int]] | None) -> None:
    """Apply one file's hunks; a merge's new lines get virtual owners (``-2 - k``: ``merges[k]``)."""
    if old is None and new is None:
        return
    if new is None:  # deleted
        files.pop(old or "", None)
        return
    if source is not None and not source.wanted(new):
        if old is not None:
            files.pop(old, None)
        return
    state: list[int] | None = [] if old is None else files.get(old) if old == new else files.pop(old, None)
    if state is None:  # a file the replay never saw created (renamed from a filtered path): unknown
        return
    if files.owned is not None:
        if old is not None and old not in files.owned:
            state = list(state)  # shared with another branch's state: copied on first write
        files.owned.add(new)
    for a, b, c, d in reversed(edits):  # old coordinates stay valid from the last hunk backwards
        if a - 1 + b > len(state) or (b == 0 and a > len(state)):
            files.pop(new, None)  # out of step with git: leave the file to git blame
            return
        if merges is None:
            owners = [me] * d
        else:
            owners = list(range(-2 - len(merges), -2 - len(merges) - d, -1))
            merges.extend((me, new, c + k) for k in range(d))
        if b == 0:
            state[a:a] = owners
        else:
            state[a - 1 : a - 1 + b] = owners
    files[new] = state


def _answer(sha: str, asked: Sequence[FixFile], shas: list[str], merges: list[tuple[int, str, int]],
            files: _Files, out: ReplayResult) -> None:
    for f in asked:
        state = files.get(f.path)
        if state is None:
            out.to_blame.append((sha, f))
            continue
        owners: dict[int, str] = {}
        left: list[int] = []
        for line in f.lines:
            owner = state[line - 1] if 0 < line <= len(state) else _NO_OWNER
            if owner == _NO_OWNER:
                left.append(line)
            elif owner < _NO_OWNER:  # brought in by a merge: blamed at the merge
                m, mpath, mline = merges[-2 - owner]
                out.merge_lines.setdefault((shas[m], mpath), set()).add(mline)
                out.via_merge[(sha, f.path, line)] = (shas[m], mpath, mline)
            else:
                owners[line] = shas[owner]
        out.lines_resolved += len(owners)
        out.owners[(sha, f.path)] = owners
        if left:
            out.to_blame.append((sha, FixFile(f.path, tuple(left), f.kind)))
