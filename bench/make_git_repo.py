"""Generate a synthetic git repository of N commits with ``git fast-import`` (for bench/git_ingest.py).

The history is deterministic for a seed: ~25 developers (some with differently cased e-mails and a
``.mailmap``), 8 subsystems, files of 30–300 lines edited a few lines at a time, occasional file
additions, deletions and renames, a side branch merged back every ~40 commits, and ~20% of messages
that read like bug fixes. Usage::

    python bench/make_git_repo.py /tmp/argus-bench-repo --commits 20000
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

SUBSYSTEMS = ["core", "api", "web", "store", "ingest", "analysis", "cli", "docs"]
WORDS = ["alpha", "beta", "gamma", "delta", "value", "count", "total", "index", "item", "node", "edge", "cache",
         "queue", "limit", "retry"]
START_EPOCH = 1_500_000_000


class Generator:
    """Emit a fast-import stream; file contents are kept in memory as lists of lines."""

    def __init__(self, out: IO[bytes], seed: int) -> None:
        self.out = out
        self.rng = random.Random(seed)
        self.files: dict[str, list[str]] = {}
        self.mark = 0
        self.time = START_EPOCH
        self.authors = [(f"Dev {i}", f"dev{i}@example.com") for i in range(25)]
        self.last_paths: list[str] = []

    def _line(self) -> str:
        r = self.rng
        return f"    {r.choice(WORDS)}_{r.randrange(100)} = {r.choice(WORDS)}({r.randrange(1000)})\n"

    def _new_path(self) -> str:
        r = self.rng
        sub = r.choice(SUBSYSTEMS)
        return f"{sub}/mod{r.randrange(12)}/file_{r.randrange(10**6)}.py"

    def _data(self, text: bytes) -> None:
        self.out.write(b"data %d\n" % len(text))
        self.out.write(text)
        self.out.write(b"\n")

    def _edit(self, path: str) -> None:
        r, lines = self.rng, self.files[path]
        for _ in range(r.randint(1, 3)):
            pos = r.randrange(len(lines) + 1)
            kind = r.random()
            if kind < 0.5 and lines:
                lines[min(pos, len(lines) - 1)] = self._line()
            elif kind < 0.8 or len(lines) < 10:
                lines[pos:pos] = [self._line() for _ in range(r.randint(1, 6))]
            else:
                del lines[pos : pos + r.randint(1, 4)]

    def _message(self) -> bytes:
        r = self.rng
        if r.random() < 0.2:
            return f"Fix {r.choice(WORDS)} handling in {r.choice(SUBSYSTEMS)} (#{r.randrange(1, 5000)})\n".encode()
        verb = r.choice(["Add", "Refactor", "Update", "Improve", "Document", "Tune"])
        return f"{verb} {r.choice(WORDS)} {r.choice(WORDS)}\n\nSome longer description of the change.\n".encode()

    def commit(self, ref: str, parent: int | None, touched: set[str], merge: int | None = None,
               changes: list[tuple[str, str | None]] | None = None) -> int:
        """Write one commit on ``ref``; ``changes`` lists (path, None=delete | str=write) or picks edits."""
        r = self.rng
        self.mark += 1
        self.time += r.randint(600, 3 * 3600)
        name, email = r.choice(self.authors)
        if r.random() < 0.1:
            email = email.upper()
        tz = r.choice(["+0000", "+0100", "+0200", "-0500", "+0530"])
        self.out.write(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.out.write(f"author {name} <{email}> {self.time} {tz}\n".encode())
        self.out.write(f"committer {name} <{email}> {self.time + r.randint(0, 600)} {tz}\n".encode())
        self._data(self._message() if merge is None else b"Merge side branch\n")
        if parent is not None:
            self.out.write(f"from :{parent}\n".encode())
        if merge is not None:
            self.out.write(f"merge :{merge}\n".encode())
        picked = changes if changes is not None else self._pick_changes(touched)
        self.last_paths = [p for p, _ in picked]
        for path, content in picked:
            if content is None:
                self.out.write(f"D {path}\n".encode())
            else:
                self.out.write(f"M 100644 inline {path}\n".encode())
                self._data(content.encode())
        self.out.write(b"\n")
        return self.mark

    def _pick_changes(self, avoid: set[str]) -> list[tuple[str, str | None]]:
        r = self.rng
        changes: list[tuple[str, str | None]] = []
        roll = r.random()
        if roll < 0.05 or len(self.files) < 50:
            path = self._new_path()
            self.files[path] = [self._line() for _ in range(r.randint(30, 300))]
            changes.append((path, "".join(self.files[path])))
        elif roll < 0.06 and len(self.files) > 100:
            path = r.choice(sorted(self.files.keys() - avoid))
            del self.files[path]
            return [(path, None)]
        elif roll < 0.07:
            old = r.choice(sorted(self.files.keys() - avoid))
            new = self._new_path()
            self.files[new] = self.files.pop(old)
            avoid.add(new)
            return [(old, None), (new, "".join(self.files[new]))]
        candidates = sorted(self.files.keys() - avoid) if len(self.files) < 400 else None
        for _ in range(min(1 + int(r.expovariate(0.7)), 12)):
            path = r.choice(candidates) if candidates else r.choice(list(self.files))
            if path in avoid:
                continue
            self._edit(path)
            changes.append((path, "".join(self.files[path])))
        return changes


def generate(dest: Path, commits: int, seed: int) -> None:
    """Create a bare-free repository at ``dest`` (replacing it) with ``commits`` commits on main."""
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    proc = subprocess.Popen(["git", "-C", str(dest), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    gen = Generator(proc.stdin, seed)
    mailmap = "".join(f"{n} <{e}> <{e.upper()}>\n" for n, e in gen.authors)
    head = gen.commit("refs/heads/main", None, set(), changes=[(".mailmap", mailmap)])
    made = 1
    while made < commits:
        if made % 40 == 0 and commits - made > 5:
            touched: set[str] = set()
            side = head
            for _ in range(3):
                side = gen.commit("refs/heads/side", side, set())
                touched.update(gen.last_paths)
            side_files = sorted(touched)
            head = gen.commit("refs/heads/main", head, set(side_files))
            head = gen.commit("refs/heads/main", head, set(), merge=side,
                              changes=[(p, "".join(gen.files[p]) if p in gen.files else None) for p in side_files])
            made += 5
        else:
            head = gen.commit("refs/heads/main", head, set())
            made += 1
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--commits", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=4)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    generate(args.dest, args.commits, args.seed)
    count = subprocess.run(["git", "-C", str(args.dest), "rev-list", "--count", "main"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"generated {args.dest}: {count} commits in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
