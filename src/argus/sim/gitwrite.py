"""Write the simulated history as a real git repository with ``git fast-import``.

Commit ids are deterministic: author, committer, dates, time zones, messages and trees all come
from the simulation. Merged feature branches are deleted afterwards (as after a merged pull
request); open ones stay. The working tree is checked out on ``main``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from argus.core.errors import ArgusError
from argus.sim.model import Commit, CommitKind

GIT_CONFIG = ["-c", "core.autocrlf=false", "-c", "init.defaultBranch=main", "-c", "gc.auto=0",
              "-c", "commit.gpgsign=false"]


class GitError(ArgusError):
    """git failed while writing the simulated repository."""


def _tz(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    m = abs(minutes)
    return f"{sign}{m // 60:02d}{m % 60:02d}"


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *GIT_CONFIG, "-C", str(repo), *args], input=data, capture_output=True,
                              check=False)
    except FileNotFoundError as exc:
        raise GitError("git executable not found: `argus simulate` needs git on PATH") from exc
    if done.returncode != 0:
        raise GitError(f"git {args[0]} failed in {repo}: {done.stderr.decode(errors='replace').strip()[:500]}")
    return done.stdout


def fast_import_stream(commits: list[Commit]) -> bytes:
    out: list[bytes] = []
    for c in commits:
        when = int(c.time.timestamp())
        who = f"{c.author.name} <{c.author.email}> {when} {_tz(c.author.tz_minutes)}"
        committer = f"GitHub <noreply@github.com> {when} +0000" if c.kind is CommitKind.MERGE else who
        msg = (c.message if c.message.endswith("\n") else c.message + "\n").encode()
        head = [f"commit refs/heads/{c.branch}", f"mark :{c.mark}", f"author {who}", f"committer {committer}",
                f"data {len(msg)}"]
        out.append(("\n".join(head) + "\n").encode() + msg)
        if c.parents:
            out.append(f"from :{c.parents[0]}\n".encode())
            for p in c.parents[1:]:
                out.append(f"merge :{p}\n".encode())
        for path in sorted(c.changes):
            content = c.changes[path]
            if content is None:
                out.append(f"D {path}\n".encode())
            else:
                blob = content.encode()
                out.append(f"M 100644 inline {path}\ndata {len(blob)}\n".encode() + blob + b"\n")
        out.append(b"\n")
    out.append(b"done\n")
    return b"".join(out)


def write_repo(repo: Path, commits: list[Commit], delete_branches: list[str]) -> dict[int, str]:
    """Create ``repo`` from ``commits``; return mark → commit sha."""
    repo = repo.resolve()  # git runs with -C repo: a relative marks path would be resolved twice
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")
    marks = repo / ".git" / "argus-sim-marks"
    _git(repo, "fast-import", "--quiet", "--done", f"--export-marks={marks}", data=fast_import_stream(commits))
    shas: dict[int, str] = {}
    for line in marks.read_text().splitlines():
        mark, sha = line.split()
        shas[int(mark.lstrip(":"))] = sha
    marks.unlink()
    if delete_branches:
        _git(repo, "update-ref", "--stdin", data="".join(f"delete refs/heads/{b}\n" for b in delete_branches).encode())
    _git(repo, "checkout", "-q", "-f", "main")
    return shas
