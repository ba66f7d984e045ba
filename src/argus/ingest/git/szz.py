"""SZZ: find the commits that introduced the lines a bug fix deleted or changed.

Śliwerski, Zimmermann, Zeller (2005), "When do changes induce fixes?", in its common blame-based
form: for each fix commit, the lines it deletes or modifies (``git log -p -U0 -w`` against its first
parent, so whitespace-only edits are not changes) are blamed on the parent revision with
``git blame --porcelain -w``; the commit that last touched each line is *bug-inducing*. Lines that are
blank or comment-only (by the file's extension, see :data:`COMMENT_PREFIXES`) are ignored, as in
Kim et al. (2006). Lines a fix only *adds* cannot be blamed and give no link (classic SZZ).

One ``git log --no-walk --stdin -p`` process reads the patches of every fix commit; ``git blame``
then runs once per (fix, file) with one ``-L`` range per run of deleted lines, a few in parallel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argus.ingest.git.gitcmd import Git

START = b"\x1e\x02argus-fix\x03"
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

#: Comment markers by file extension; other extensions only skip blank lines.
_HASH = ("#",)
_C_LIKE = ("//", "/*", "*/", "* ", "*\t")
COMMENT_PREFIXES: dict[str, tuple[str, ...]] = {
    **{ext: _HASH for ext in ("py", "sh", "bash", "rb", "pl", "r", "yaml", "yml", "toml", "cfg", "ini", "mk")},
    **{
        ext: _C_LIKE
        for ext in ("c", "h", "cc", "cpp", "hpp", "cxx", "java", "js", "jsx", "ts", "tsx", "go", "rs", "cs",
                    "kt", "kts", "swift", "scala", "php", "dart", "m", "mm", "groovy", "proto")
    },
    **{ext: ("--",) for ext in ("sql", "lua", "hs", "ada", "adb", "ads")},
    **{ext: ("<!--",) for ext in ("html", "htm", "xml", "vue", "svelte")},
}


@dataclass(frozen=True)
class FixFile:
    """Lines of ``path`` (numbered in the fix's parent revision) that a fix deleted or changed."""

    path: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class FixPatch:
    sha: str
    files: tuple[FixFile, ...]
    files_changed: int


@dataclass(frozen=True)
class InducingLink:
    """``inducing_sha`` last touched ``lines`` of ``path`` before ``fix_sha`` changed them."""

    fix_sha: str
    inducing_sha: str
    path: str
    lines: tuple[int, ...]


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


def parse_fix_patches(chunks: Iterable[bytes]) -> Iterator[FixPatch]:
    """Parse the ``-U0`` patches of fix commits into the deleted, non-blank, non-comment lines."""
    tail = b""
    for chunk in chunks:
        parts = (tail + chunk).split(START)
        tail = parts.pop()
        for part in parts:
            if part:
                yield _parse_patch(part)
    if tail.strip():
        yield _parse_patch(tail)


def _parse_patch(rec: bytes) -> FixPatch:
    lines = rec.split(b"\n")
    sha = lines[0].strip().decode()
    files: list[FixFile] = []
    changed = 0
    old_path: str | None = None
    kept: list[int] = []
    old_left = new_left = 0
    lineno = 0

    def flush() -> None:
        if old_path is not None and kept:
            files.append(FixFile(old_path, tuple(kept)))

    for ln in lines[1:]:
        if old_left > 0 or new_left > 0:
            if ln.startswith(b"-"):
                text = ln[1:].decode("utf-8", "replace")
                if old_path is not None and not is_comment_or_blank(old_path, text):
                    kept.append(lineno)
                lineno += 1
                old_left -= 1
            elif ln.startswith(b"+"):
                new_left -= 1
            continue
        if ln.startswith(b"diff --git "):
            flush()
            changed += 1
            old_path, kept = None, []
        elif ln.startswith(b"--- "):
            old_path = None if ln[4:].rstrip(b"\t") == b"/dev/null" else unquote_path(ln[4:])
        elif ln.startswith(b"@@ "):
            m = _HUNK.match(ln)
            if m:
                lineno = int(m.group(1))
                old_left = int(m.group(2)) if m.group(2) is not None else 1
                new_left = int(m.group(4)) if m.group(4) is not None else 1
    flush()
    return FixPatch(sha=sha, files=tuple(files), files_changed=changed)


def ranges(lines: Sequence[int]) -> list[tuple[int, int]]:
    """Runs of consecutive line numbers as inclusive (start, end) pairs."""
    out: list[tuple[int, int]] = []
    for n in sorted(set(lines)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def parse_blame_porcelain(data: bytes) -> dict[int, str]:
    """Map final line number → commit sha from ``git blame --porcelain`` (boundary commits left out)."""
    result: dict[int, str] = {}
    boundary: set[str] = set()
    current: tuple[str, int] | None = None
    for ln in data.split(b"\n"):
        if not ln:
            continue
        if ln[:1] == b"\t":
            if current is not None and current[0] not in boundary:
                result[current[1]] = current[0]
            current = None
            continue
        parts = ln.split(b" ")
        if current is None and len(parts) >= 3 and len(parts[0]) >= 40 and parts[1].isdigit():
            current = (parts[0].decode(), int(parts[2]))
        elif ln == b"boundary" and current is not None:
            boundary.add(current[0])
    return result


def blame_file(git: Git, parent: str, fix_file: FixFile) -> dict[int, str]:
    """Blame the fix's lines of one file on the fix's parent revision (one git process)."""
    args = ["blame", "--porcelain", "-w", "--root"]
    for start, end in ranges(fix_file.lines):
        args += ["-L", f"{start},{end}"]
    args += [parent, "--", fix_file.path]
    return parse_blame_porcelain(git.run(args, check=False))


def find_inducing(
    git: Git, fixes: Sequence[tuple[str, str]], *, max_files: int = 50, workers: int = 2
) -> Iterator[InducingLink]:
    """Links from each ``(fix_sha, parent_sha)`` to the commits that introduced its changed lines."""
    if not fixes:
        return
    parent_of = dict(fixes)
    stdin = "".join(f"{sha}\n" for sha, _ in fixes).encode()
    tasks: list[tuple[str, FixFile]] = []
    for patch in parse_fix_patches(git.stream(fix_patch_args(), stdin=stdin)):
        if patch.sha in parent_of and patch.files_changed <= max_files:
            tasks.extend((patch.sha, f) for f in patch.files)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        blamed = pool.map(lambda t: blame_file(git, parent_of[t[0]], t[1]), tasks)
        for (fix_sha, fix_file), owners in zip(tasks, blamed, strict=True):
            by_commit: dict[str, list[int]] = {}
            for line in fix_file.lines:
                owner = owners.get(line)
                if owner is not None:
                    by_commit.setdefault(owner, []).append(line)
            for sha, lines in by_commit.items():
                yield InducingLink(fix_sha, sha, fix_file.path, tuple(lines))
