"""Parse a unified diff (``git diff`` output) into changed files and lines (pure).

For each file: its status (added, deleted, renamed, modified), the changed lines on the *old* side
(the base the coverage map was measured on: removed or replaced lines, and for a pure insertion the
old lines either side of it, since the new code runs where its neighbours run) and the added lines
on the new side (for reporting).
"""

from __future__ import annotations

import re

from argus.analysis.selection.schemas import ChangedFile, FileStatus, Hunk
from argus.core.errors import InputError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def _path(token: str) -> str | None:
    token = token.strip().split("\t", 1)[0]
    if token == "/dev/null":
        return None
    if token.startswith('"') and token.endswith('"'):
        token = token[1:-1]
    if token[:2] in ("a/", "b/"):
        token = token[2:]
    return token


class _File:
    def __init__(self) -> None:
        self.old: str | None = None
        self.new: str | None = None
        self.status = FileStatus.MODIFIED
        self.old_lines: set[int] = set()
        self.new_lines: set[int] = set()
        self.binary = False
        self.has_hunks = False
        self.added: list[str] = []
        self.hunks: list[tuple[int, int, list[str], list[str]]] = []

    def done(self) -> ChangedFile | None:
        path = self.new or self.old
        if path is None:
            return None
        if self.old is None and self.status is FileStatus.MODIFIED:
            self.status = FileStatus.ADDED
        if self.new is None and self.status is FileStatus.MODIFIED:
            self.status = FileStatus.DELETED
        if self.old and self.new and self.old != self.new and self.status is FileStatus.MODIFIED:
            self.status = FileStatus.RENAMED
        return ChangedFile(path, self.old if self.old != path else None, self.status,
                           frozenset(self.old_lines), frozenset(self.new_lines), self.binary, tuple(self.added),
                           tuple(Hunk(o, n, tuple(a), tuple(b)) for o, n, a, b in self.hunks))


def parse_diff(text: str, *, source: str = "<diff>") -> list[ChangedFile]:
    """The files a unified diff changes (:class:`InputError` when ``text`` holds no diff)."""
    files: list[ChangedFile] = []
    cur: _File | None = None
    old_no = new_no = old_left = new_left = 0
    last_ctx = 0  # the last old-side context line before the current change block
    minus = plus = False  # what the current change block holds
    saw_any = False

    def end_block() -> None:
        nonlocal minus, plus
        if plus and not minus and cur is not None:  # a pure insertion: it runs where its neighbours run
            if last_ctx > 0:
                cur.old_lines.add(last_ctx)
            cur.old_lines.add(old_no)
        minus = plus = False

    def close() -> None:
        nonlocal cur
        end_block()
        if cur is not None:
            f = cur.done()
            if f is not None:
                files.append(f)
        cur = None

    for raw in text.splitlines():
        if old_left > 0 or new_left > 0:
            tag = raw[:1]
            if tag == "-":
                minus = True
                cur.old_lines.add(old_no)  # type: ignore[union-attr]
                cur.hunks[-1][2].append(raw[1:])  # type: ignore[union-attr]
                old_no += 1
                old_left -= 1
            elif tag == "+":
                plus = True
                cur.new_lines.add(new_no)  # type: ignore[union-attr]
                cur.added.append(raw[1:])  # type: ignore[union-attr]
                cur.hunks[-1][3].append(raw[1:])  # type: ignore[union-attr]
                new_no += 1
                new_left -= 1
            elif tag == "\\":
                pass
            else:  # context (" " or an empty line some tools write for it)
                end_block()
                cur.hunks[-1][2].append(raw[1:])  # type: ignore[union-attr]
                cur.hunks[-1][3].append(raw[1:])  # type: ignore[union-attr]
                last_ctx = old_no
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
            if old_left <= 0 and new_left <= 0:
                end_block()
            continue
        if raw.startswith("diff --git "):
            close()
            cur = _File()
            saw_any = True
            m = re.match(r'diff --git ("?a/.+?"?) ("?b/.+"?)$', raw)
            if m:
                cur.old, cur.new = _path(m.group(1)), _path(m.group(2))
            continue
        if raw.startswith("--- "):
            if cur is None or cur.has_hunks:
                close()
                cur = _File()
            saw_any = True
            cur.old = _path(raw[4:])
            continue
        if cur is None:
            continue
        if raw.startswith("+++ "):
            cur.new = _path(raw[4:])
        elif raw.startswith("new file mode"):
            cur.status = FileStatus.ADDED
        elif raw.startswith("deleted file mode"):
            cur.status = FileStatus.DELETED
        elif raw.startswith("rename from "):
            cur.old = raw[len("rename from "):].strip()
            cur.status = FileStatus.RENAMED
        elif raw.startswith("rename to "):
            cur.new = raw[len("rename to "):].strip()
            cur.status = FileStatus.RENAMED
        elif raw.startswith("Binary files "):
            cur.binary = True
        else:
            m = _HUNK.match(raw)
            if m:
                cur.has_hunks = True
                old_no, new_no = int(m.group(1)), int(m.group(3))
                cur.hunks.append((old_no, new_no, [], []))
                old_left = int(m.group(2)) if m.group(2) is not None else 1
                new_left = int(m.group(4)) if m.group(4) is not None else 1
                if old_left == 0:  # a pure insertion: git names the old line *before* it
                    old_no += 1
                last_ctx = old_no - 1
                minus = plus = False
    close()
    if not saw_any and text.strip():
        raise InputError(f"{source}: no unified diff found (expected `git diff` output with ---/+++ headers)")
    return files


def _apply(text: str, hunks: tuple[Hunk, ...], *, reverse: bool) -> str | None:
    """``text`` with ``hunks`` applied (``reverse``: new side → old side); ``None`` when a hunk's side does
    not match the text where its header says it is."""
    lines = text.splitlines()
    out: list[str] = []
    pos = 0
    for h in sorted(hunks, key=lambda h: h.new_start if reverse else h.old_start):
        have, want = (h.new, h.old) if reverse else (h.old, h.new)
        start = h.new_start if reverse else h.old_start
        at = start - 1 if have else start  # an empty side's header names the line before it
        if at < pos or lines[at:at + len(have)] != list(have):
            return None
        out += lines[pos:at]
        out += want
        pos = at + len(have)
    out += lines[pos:]
    return "\n".join(out) + ("\n" if out else "")


def old_side(text: str | None, f: ChangedFile) -> str | None:
    """The base-side text of a changed file from the text found in a checkout (``None``: not found):
    the hunks undone when the checkout holds the new side, the text itself when it holds the old side
    already, a deleted file's removed lines; ``None`` when the checkout matches neither side (or the
    diff has no hunks for it)."""
    if f.status is FileStatus.ADDED or not f.hunks:
        return None
    if text is None:
        if f.status is FileStatus.DELETED and len(f.hunks) == 1 and f.hunks[0].old_start <= 1:
            return "\n".join(f.hunks[0].old) + "\n"
        return None
    back = _apply(text, f.hunks, reverse=True)
    if back is not None:
        return back
    if _apply(text, f.hunks, reverse=False) is not None:
        return text  # the checkout is the base already
    return None
