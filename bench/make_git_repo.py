"""Generate a synthetic git repository of N commits with ``git fast-import`` (for bench/git_ingest.py).

The history is deterministic for a seed: ~25 developers (some with differently cased e-mails and a
``.mailmap``), 8 subsystems, files of 30–300 lines edited a few lines at a time, occasional file
additions, deletions and renames, a side branch merged back every ~40 commits, and ~20% of messages
that read like bug fixes. Usage::

    python bench/make_git_repo.py /tmp/argus-bench-repo --commits 20000
    python bench/make_git_repo.py /tmp/argus-bench-cc --commits 3000 --style conventional

``--style conventional`` writes a history shaped like a modern project's, for SZZ precision: typed
messages (feat 28 %, fix 18 %, docs 10 %, chore 12 %, test 10 %, refactor 8 %, ci/build/style/perf,
10 % untyped), docs (``docs/*.md``), tests (``tests/test_*.py``), a ``package-lock.json`` bumped
by ``chore(deps)``, whitespace-only ``style:`` sweeps, "docs: fix typo" and "test: fix flaky" commits,
squash bodies ("* fix lint") on features, and **planted bugs**: some feature commits write a line
that a later ``fix:`` commit changes. The truth (fix sha → inducing sha) goes to
``<dest>.truth.json`` for ``bench/git_ingest.py --truth``.
"""

from __future__ import annotations

import argparse
import json
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
        self.pick_first = False

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
        early = self.pick_first and changes is None and merge is None
        picked_early = self._pick_changes(touched) if early else None  # the message depends on the change
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
        picked = changes if changes is not None else picked_early if early else self._pick_changes(touched)
        assert picked is not None
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


TYPES = [("feat", 0.28), ("fix", 0.18), ("docs", 0.10), ("chore", 0.12), ("test", 0.10), ("refactor", 0.08),
         ("ci", 0.02), ("build", 0.01), ("style", 0.02), ("perf", 0.02), ("", 0.07)]


class ConventionalGenerator(Generator):
    """A conventional-commit history with docs, tests, a lock file, style sweeps and planted bugs."""

    def __init__(self, out: IO[bytes], seed: int) -> None:
        super().__init__(out, seed)
        self.pick_first = True
        self.extra: dict[str, list[str]] = {}
        self.serial = 0
        self.bugs: list[tuple[int, str, str]] = []  # (planting mark, path, token of the buggy line)
        self.truth: list[tuple[int, int]] = []  # (fix mark, inducing mark)
        self.pending_message = b""

    def _line(self) -> str:
        self.serial += 1
        r = self.rng
        return f"    {r.choice(WORDS)}_{self.serial} = {r.choice(WORDS)}({r.randrange(1000)})\n"

    def _new_path(self) -> str:
        r = self.rng
        return f"src/{r.choice(SUBSYSTEMS[:-1])}/mod_{r.randrange(10**6)}.py"

    def _source(self) -> list[str]:
        return sorted(self.files)

    def _text(self, path: str) -> str:
        return "".join(self.files[path])

    def _other(self, path: str, make: int) -> list[tuple[str, str | None]]:
        """Create or edit a non-source file (kept apart, so feature edits stay in ``src/``)."""
        if path not in self.extra:
            self.extra[path] = [self._line() for _ in range(make)]
        else:
            self.files[path] = self.extra[path]
            self._edit(path)
            del self.files[path]
        return [(path, "".join(self.extra[path]))]

    def _pick_changes(self, avoid: set[str]) -> list[tuple[str, str | None]]:
        r = self.rng
        sources = self._source()
        if len(sources) < 40:
            self.pending_message = b"feat: add module\n"
            return super()._pick_changes(avoid)
        roll, acc, kind = r.random(), 0.0, ""
        for name, p in TYPES:
            acc += p
            if roll < acc:
                kind = name
                break
        sub = r.choice(SUBSYSTEMS[:-1])
        if kind == "docs":
            self.pending_message = (f"docs: fix typo in {sub} guide\n" if r.random() < 0.3 else
                                    f"docs: describe {r.choice(WORDS)} in {sub}\n").encode()
            return self._other(f"docs/{sub}.md", 60)
        if kind == "test":
            self.pending_message = (f"test: fix flaky {sub} test\n" if r.random() < 0.4 else
                                    f"test: cover {r.choice(WORDS)}\n").encode()
            return self._other(f"tests/test_{sub}_{r.randrange(6)}.py", 80)
        if kind in ("chore", "build", "ci"):
            if kind == "chore":
                self.pending_message = (b"chore(deps): bump dependencies\n" if r.random() < 0.6
                                        else b"chore: fix lint warnings\n")
                return self._other("package-lock.json", 1500)
            self.pending_message = f"{kind}: fix {r.choice(['cache', 'matrix', 'wheel'])} step\n".encode()
            return self._other(".github/workflows/ci.yml" if kind == "ci" else "pyproject.toml", 40)
        if kind == "style":
            self.pending_message = b"style: fix formatting\n"
            picked = r.sample(sources, min(len(sources), 30 if r.random() < 0.2 else 3))
            for path in picked:  # whitespace only: re-indent every fifth line
                self.files[path] = [ln.replace("    ", "  ", 1) if i % 5 == 0 and ln.startswith("    ") else ln
                                    for i, ln in enumerate(self.files[path])]
            return [(p, self._text(p)) for p in picked]
        if kind == "fix" or (kind == "" and r.random() < 0.4):
            return self._fix(kind, sources)
        changes = super()._pick_changes(avoid)
        label = kind or r.choice(["Update", "Improve", "Tidy"])
        body = "\n\n* fix lint\n* fix tests\n" if kind == "feat" and r.random() < 0.3 else "\n"
        self.pending_message = (f"{label}{': ' if kind else ' '}{r.choice(WORDS)} {r.choice(WORDS)}{body}").encode()
        if kind == "feat" and changes and r.random() < 0.5:  # plant a bug in one of the written files
            path = changes[0][0]
            if self.files.get(path):
                pos = r.randrange(len(self.files[path]))
                self.files[path][pos] = self._line()
                token = self.files[path][pos].split("=")[0].strip()
                self.bugs.append((self.mark, path, token))
                changes[0] = (path, self._text(path))
        return changes

    def _fix(self, kind: str, sources: list[str]) -> list[tuple[str, str | None]]:
        r = self.rng
        subject = f"fix: {r.choice(WORDS)} in {r.choice(SUBSYSTEMS)}" if kind else f"Fix crash in {r.choice(WORDS)}"
        self.pending_message = f"{subject} (#{r.randrange(1, 5000)})\n".encode()
        while self.bugs and r.random() < 0.85:
            planted, path, token = self.bugs.pop(r.randrange(len(self.bugs)))
            lines = self.files.get(path)
            hit = [i for i, ln in enumerate(lines or []) if ln.split("=")[0].strip() == token]
            if lines is None or not hit:
                continue
            lines[hit[0]] = self._line()
            self.truth.append((self.mark, planted))
            changes = [(path, self._text(path))]
            if r.random() < 0.5:  # a fix usually comes with a test
                changes += self._other(f"tests/test_{path.split('/')[1]}_{r.randrange(6)}.py", 80)
            return changes
        path = r.choice(sources)  # a fix whose cause was not planted (not in the truth)
        self._edit(path)
        return [(path, self._text(path))]

    def _message(self) -> bytes:
        msg, self.pending_message = self.pending_message, b""
        return msg or super()._message()


def generate(dest: Path, commits: int, seed: int, style: str = "plain") -> None:
    """Create a bare-free repository at ``dest`` (replacing it) with ``commits`` commits on main."""
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    marks = dest.resolve() / ".git" / "argus-marks"  # fast-import runs in dest: a relative path would be dest/dest/...
    proc = subprocess.Popen(["git", "-C", str(dest), "fast-import", "--quiet", f"--export-marks={marks}"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    gen = ConventionalGenerator(proc.stdin, seed) if style == "conventional" else Generator(proc.stdin, seed)
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
    sha_of = {int(m[1:]): sha for m, sha in (ln.split() for ln in marks.read_text().splitlines())}
    marks.unlink()
    if isinstance(gen, ConventionalGenerator):
        pairs = [[sha_of[f], sha_of[i]] for f, i in gen.truth if f in sha_of and i in sha_of]
        dest.with_name(dest.name + ".truth.json").write_text(json.dumps({"pairs": pairs}))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--commits", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--style", choices=["plain", "conventional"], default="plain")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    generate(args.dest, args.commits, args.seed, args.style)
    count = subprocess.run(["git", "-C", str(args.dest), "rev-list", "--count", "main"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"generated {args.dest}: {count} commits in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
