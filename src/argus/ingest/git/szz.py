"""SZZ: find the commits that introduced the lines a bug fix deleted or changed.

Śliwerski, Zimmermann, Zeller (2005), "When do changes induce fixes?", in its common blame-based
form: for each fix commit, the lines it deletes or modifies (``git log -p -U0 -w`` against its first
parent, so whitespace-only edits are not changes) are blamed on the parent revision with
``git blame --porcelain -w``; the commit that last touched each line is *bug-inducing*. Only source
files are blamed (:class:`~argus.ingest.git.pathfilter.SourceFilter`: no docs, tests, lock, generated
or vendored files), and cosmetic changes are ignored, after Kim et al. (2006): blank and comment-only
lines (by the file's extension, see :data:`COMMENT_PREFIXES`), lines of punctuation only (``}``,
``);``), hunks whose code is the same once whitespace and trailing comments are removed (re-wrapped
or re-commented code), and lines the fix moved (the same code added elsewhere in the fix, in another
hunk or file). Fixes changing more than ``max_files`` source files are not blamed (tangled). Lines a
fix only *adds* cannot be blamed and give no link (classic SZZ).

**Add-only fixes** (optional, ``add_context`` > 0; after Sahal & Tosun 2018, "Identifying
bug-inducing changes for code additions"): when a fix deletes or changes no blameable source line
but inserts code into existing source files, the code lines around each insertion point — up to
``add_context`` lines above and below it in the parent revision, the nearest part of the enclosing
block — are blamed instead; blank, comment and punctuation-only context lines are left out after the
blame. These links are a weaker kind (:data:`CONTEXT`, stored as ``BugLink.method = "szz-context"``).

``git log --no-walk --stdin -p`` reads the patches of fix commits in batches; ``git blame`` then runs
once per (fix, file) with one ``-L`` range per run of deleted lines, a few in parallel, while the
history is still being read (:mod:`argus.ingest.git.szz_pipeline`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from argus.ingest.git.gitcmd import Git, split_records
from argus.ingest.git.pathfilter import SourceFilter

START = b"\x1e\x02argus-fix\x03"
#: Link kinds: lines the fix deleted or changed (classic SZZ); code around an add-only fix's insertions.
DELETED, CONTEXT = "szz-blame", "szz-context"
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

#: Comment markers by file extension; other extensions only skip blank lines.
_HASH = ("#",)
_PY = ("#", '"""', "'''")
_C_LIKE = ("//", "/*", "*/", "* ", "*\t")
COMMENT_PREFIXES: dict[str, tuple[str, ...]] = {
    **{ext: _PY for ext in ("py", "pyi", "pyx")},
    **{ext: _HASH for ext in ("sh", "bash", "zsh", "rb", "pl", "pm", "r", "yaml", "yml", "toml", "cfg", "ini", "mk",
                              "ex", "exs", "jl", "nim", "cr", "ps1")},
    **{
        ext: _C_LIKE
        for ext in ("c", "h", "cc", "cpp", "hpp", "cxx", "java", "js", "jsx", "ts", "tsx", "go", "rs", "cs",
                    "kt", "kts", "swift", "scala", "php", "dart", "m", "mm", "groovy", "proto")
    },
    **{ext: ("--",) for ext in ("sql", "lua", "hs", "elm", "ada", "adb", "ads")},
    **{ext: ("%",) for ext in ("erl", "hrl")},
    **{ext: ("<!--",) for ext in ("html", "htm", "xml", "vue", "svelte")},
}


@dataclass(frozen=True)
class FixFile:
    """Lines of ``path`` (numbered in the fix's parent revision) that a fix deleted or changed."""

    path: str
    lines: tuple[int, ...]
    kind: str = DELETED  # DELETED, or CONTEXT: lines around an add-only fix's insertion points


@dataclass(frozen=True)
class FixPatch:
    sha: str
    files: tuple[FixFile, ...]
    files_changed: int  # source files changed (the tangled-change threshold counts these)


@dataclass
class SzzStats:
    """What SZZ skipped, for the run's summary."""

    fixes_tangled: int = 0  # fixes changing more than max_files source files
    fixes_no_source: int = 0  # fixes that deleted or changed no blameable source line
    fixes_add_only: int = 0  # of those, fixes blamed by the context of their insertions (add_context)
    fixes_feature_shaped: int = 0  # fixes adding more than max_fix_added source lines, mostly additions
    fixes_over_blaming: int = 0  # fixes whose blame named more than max_inducing_per_fix commits (links dropped)
    links_low_share: int = 0  # candidates owning less than min_link_share of a fix's blamed lines (dropped)
    lines_cosmetic: int = 0  # deleted lines left out as cosmetic or moved
    blame_calls: int = 0


@dataclass(frozen=True)
class InducingLink:
    """``inducing_sha`` last touched ``lines`` of ``path`` before ``fix_sha`` changed them."""

    fix_sha: str
    inducing_sha: str
    path: str
    lines: tuple[int, ...]
    method: str = DELETED


def is_comment_or_blank(path: str, line: str) -> bool:
    """Whether a source line carries no code: empty after stripping, or a comment-only line."""
    text = line.strip()
    if not text:
        return True
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    prefixes = COMMENT_PREFIXES.get(ext)
    if not prefixes:
        return False
    return text in ("*", "*/") or text.startswith(prefixes)


def _comment_markers(path: str) -> tuple[str, ...]:
    name = path.rsplit("/", 1)[-1]
    return COMMENT_PREFIXES.get(name.rsplit(".", 1)[-1].lower() if "." in name else "", ())


def code_of(path: str, line: str) -> str:
    """The line's code with all whitespace and a trailing line comment removed (for cosmetic checks).

    A marker counts as a comment when it follows whitespace and an even number of quotes of each kind
    (so ``"#"`` inside a string stays code); block-comment markers are not stripped.
    """
    for marker in _comment_markers(path):
        if marker in ("/*", "*/", "* ", "*\t", '"""', "'''"):
            continue
        pos = line.find(marker)
        while pos > 0:
            before = line[:pos]
            if before[-1] in " \t" and before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
                line = before
                break
            pos = line.find(marker, pos + 1)
    return "".join(line.split())


def unquote_path(raw: bytes) -> str:
    """A path from a ``---``/``+++`` line: strip ``a/``/``b/``, git's C-quoting and a trailing tab."""
    raw = raw.rstrip(b"\t")
    if raw.startswith(b'"') and raw.endswith(b'"'):
        out = bytearray()
        body, i = raw[1:-1], 0
        escapes = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7, ord("b"): 8,
                   ord("f"): 12, ord("r"): 13, ord("v"): 11}
        while i < len(body):
            c = body[i]
            if c == 92 and i + 1 < len(body):
                nxt = body[i + 1]
                if 48 <= nxt <= 55:
                    out.append(int(body[i + 1 : i + 4], 8))
                    i += 4
                    continue
                out.append(escapes.get(nxt, nxt))
                i += 2
                continue
            out.append(c)
            i += 1
        raw = bytes(out)
    if raw[:2] in (b"a/", b"b/"):
        raw = raw[2:]
    return raw.decode("utf-8", "replace")


def fix_patch_args() -> list[str]:
    return [
        "log", "--no-walk=unsorted", "--stdin", "-p", "-U0", "-w", "--find-renames", "--no-color",
        "--no-ext-diff", "--no-textconv", "--diff-merges=off", "--src-prefix=a/", "--dst-prefix=b/",
        "--format=%x1e%x02argus-fix%x03%H",
    ]  # fmt: skip


def parse_fix_patches(chunks: Iterable[bytes], source: SourceFilter | None = None,
                      stats: SzzStats | None = None, add_context: int = 0,
                      context_per_file: bool = False) -> Iterator[FixPatch]:
    """Parse the ``-U0`` patches of fix commits into the non-cosmetic deleted lines of source files.

    ``add_context`` > 0: a fix without such lines gives instead the parent-revision lines around its
    insertions of code (``kind = CONTEXT``), ``add_context`` above and below each insertion point; ``context_per_file``: so does every file
    where the fix inserts code but deletes no blameable line, even when it changes other files.
    """
    for record in split_records(chunks, START):
        yield _parse_patch(record, source, stats, add_context, context_per_file)


@dataclass
class _Hunk:
    deleted: list[tuple[int, str]] = field(default_factory=list)  # (old line number, text)
    added: list[str] = field(default_factory=list)
    after: int | None = None  # pure insertion (``-N,0``): the parent's line it follows (0 = file start)


def _parse_patch(rec: bytes, source: SourceFilter | None = None, stats: SzzStats | None = None,
                 add_context: int = 0, context_per_file: bool = False) -> FixPatch:
    lines = rec.split(b"\n")
    sha = lines[0].strip().decode()
    per_file: list[tuple[str, list[_Hunk]]] = []
    hunks: list[_Hunk] | None = None
    old_path: str | None = None
    changed = 0
    old_left = new_left = 0
    lineno = 0
    for ln in lines[1:]:
        if old_left > 0 or new_left > 0:
            if ln.startswith(b"-"):
                if hunks is not None:
                    hunks[-1].deleted.append((lineno, ln[1:].decode("utf-8", "replace")))
                lineno += 1
                old_left -= 1
            elif ln.startswith(b"+"):
                if hunks is not None:
                    hunks[-1].added.append(ln[1:].decode("utf-8", "replace"))
                new_left -= 1
            continue
        if ln.startswith(b"diff --git "):
            old_path, hunks = None, None
        elif ln.startswith(b"--- "):
            old_path = None if ln[4:].rstrip(b"\t") == b"/dev/null" else unquote_path(ln[4:])
        elif ln.startswith(b"+++ "):
            new_path = None if ln[4:].rstrip(b"\t") == b"/dev/null" else unquote_path(ln[4:])
            path = old_path or new_path
            if path is not None and (source is None or source.wanted(path)):
                changed += 1
                hunks = []
                if old_path is not None:
                    per_file.append((old_path, hunks))
        elif ln.startswith(b"@@ "):
            m = _HUNK.match(ln)
            if m:
                lineno = int(m.group(1))
                old_left = int(m.group(2)) if m.group(2) is not None else 1
                new_left = int(m.group(4)) if m.group(4) is not None else 1
                if hunks is not None:
                    hunks.append(_Hunk(after=lineno if old_left == 0 else None))
    files = _blameable(per_file, stats)
    if not files and add_context > 0:
        files = _insertion_context(per_file, add_context)
    elif add_context > 0 and context_per_file:
        blamed = {f.path for f in files}
        files += _insertion_context([pf for pf in per_file if pf[0] not in blamed], add_context)
    return FixPatch(sha=sha, files=files, files_changed=changed)


def _insertion_context(per_file: list[tuple[str, list[_Hunk]]], width: int) -> tuple[FixFile, ...]:
    """Parent lines around the insertions of code of an add-only fix (filtered after the blame)."""
    files: list[FixFile] = []
    for path, hunks in per_file:
        lines: set[int] = set()
        for h in hunks:
            if h.after is None or not any(
                    not is_comment_or_blank(path, t) and any(ch.isalnum() for ch in t) for t in h.added):
                continue
            lines.update(range(max(1, h.after - width + 1), h.after + width + 1))
        if lines:
            files.append(FixFile(path, tuple(sorted(lines)), CONTEXT))
    return tuple(files)


def _blameable(per_file: list[tuple[str, list[_Hunk]]], stats: SzzStats | None) -> tuple[FixFile, ...]:
    """Deleted lines worth blaming: not blank, comment, punctuation, re-formatted or moved code."""
    added_where: dict[str, set[int]] = {}  # code added by the fix → ids of the hunks adding it
    for path, hunks in per_file:
        for h in hunks:
            for text in h.added:
                code = code_of(path, text)
                if code:
                    added_where.setdefault(code, set()).add(id(h))
    files: list[FixFile] = []
    dropped = 0
    for path, hunks in per_file:
        kept: list[int] = []
        for h in hunks:
            deleted = [(n, t, code_of(path, t)) for n, t in h.deleted]
            if "".join(c for _, _, c in deleted) == "".join(code_of(path, t) for t in h.added):
                dropped += len(deleted)  # same code, re-wrapped / re-indented / re-commented
                continue
            moved = _moved(deleted, added_where, id(h))
            for i, (n, text, code) in enumerate(deleted):
                if not code or is_comment_or_blank(path, text) or not any(ch.isalnum() for ch in code) or moved[i]:
                    dropped += 1
                    continue
                kept.append(n)
        if kept:
            files.append(FixFile(path, tuple(kept)))
    if stats is not None:
        stats.lines_cosmetic += dropped
    return tuple(files)


#: A single deleted line counts as moved only when its code is at least this long (``return None``
#: deleted here and added there is a coincidence); runs of two or more consecutive lines always count.
MOVED_LINE_MIN_CODE = 20


def _moved(deleted: list[tuple[int, str, str]], added_where: dict[str, set[int]], hunk: int) -> list[bool]:
    """Which deleted lines reappear, unchanged, in another hunk of the fix (moved, not changed)."""
    elsewhere = [bool(code) and bool(added_where.get(code, set()) - {hunk}) for _, _, code in deleted]
    moved = [False] * len(deleted)
    i = 0
    while i < len(deleted):
        if not elsewhere[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(deleted) and elsewhere[j + 1] and deleted[j + 1][0] == deleted[j][0] + 1:
            j += 1
        if j > i or len(deleted[i][2]) >= MOVED_LINE_MIN_CODE:
            for k in range(i, j + 1):
                moved[k] = True
        i = j + 1
    return moved


def ranges(lines: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of consecutive line numbers as inclusive (start, end) pairs."""
    out: list[tuple[int, int]] = []
    for n in sorted(set(lines)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def parse_blame_porcelain(data: bytes, path: str | None = None) -> dict[int, str]:
    """Map final line number → commit sha from ``git blame --porcelain`` (boundary commits left out).

    With ``path``, lines that carry no code (blank, comment, punctuation only) are left out too.
    """
    result: dict[int, str] = {}
    boundary: set[str] = set()
    current: tuple[str, int] | None = None
    for ln in data.split(b"\n"):
        if not ln:
            continue
        if ln[:1] == b"\t":
            if current is not None and current[0] not in boundary and (path is None or is_code(path, ln[1:])):
                result[current[1]] = current[0]
            current = None
            continue
        parts = ln.split(b" ")
        if current is None and len(parts) >= 3 and len(parts[0]) >= 40 and parts[1].isdigit():
            current = (parts[0].decode(), int(parts[2]))
        elif ln == b"boundary" and current is not None:
            boundary.add(current[0])
    return result


def is_code(path: str, raw: bytes) -> bool:
    """Whether a raw source line carries code (not blank, comment or punctuation only)."""
    text = raw.decode("utf-8", "replace")
    return not is_comment_or_blank(path, text) and any(ch.isalnum() for ch in text)


def blame_file(git: Git, parent: str, fix_file: FixFile) -> dict[int, str]:
    """Blame the fix's lines of one file on the fix's parent revision (one git process).

    Context lines (``kind = CONTEXT``) that carry no code are left out of the answer.
    """
    args = ["blame", "--porcelain", "-w", "--root"]
    for start, end in ranges(fix_file.lines):
        args += ["-L", f"{start},{end}"]
    args += [parent, "--", fix_file.path]
    return parse_blame_porcelain(git.run(args, check=False), fix_file.path if fix_file.kind == CONTEXT else None)
