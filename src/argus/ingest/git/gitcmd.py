"""Run ``git`` on a repository: one-shot commands, streaming processes and the ``cat-file`` batch.

Every failure becomes an :class:`~argus.core.errors.InputError` naming the repository and git's own
first error line, so the CLI prints one clear line. Commands run with ``LC_ALL=C`` (stable messages),
no pager, no external diff drivers or textconv, no replace objects; the user's and system git
configuration still apply (e.g. ``safe.directory`` for repositories owned by another user).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from argus.core.errors import InputError

#: Bytes read from a streaming git process at a time (at most).
CHUNK = 1 << 20
#: Chunks a streaming read may buffer ahead of the consumer (~8 MiB: thousands of commits of slack).
PREFETCH_CHUNKS = 8


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LC_ALL": "C",
            "GIT_PAGER": "cat",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_TERMINAL_PROMPT": "0",
        }
    )
    return env


def _first_error(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[0] if lines else "git failed"


@dataclass(frozen=True)
class RepoInfo:
    """What :func:`open_repo` found out about a repository."""

    path: Path
    git_dir: Path
    bare: bool
    shallow: bool


class Git:
    """A repository and the ``git`` executable used to read it."""

    def __init__(self, repo: Path) -> None:
        exe = shutil.which("git")
        if exe is None:
            raise InputError("git executable not found on PATH (Argus reads history through git)")
        self.exe = exe
        self.repo = repo
        self.env = _env()

    def with_env(self, extra: dict[str, str]) -> Git:
        """The same repository with extra environment variables for every git command."""
        other = Git(self.repo)
        other.env = {**self.env, **extra}
        return other

    def argv(self, args: Sequence[str]) -> list[str]:
        return [self.exe, "-C", str(self.repo), "-c", "core.quotePath=false", *args]

    def run(self, args: Sequence[str], *, input: bytes | None = None, check: bool = True) -> bytes:
        """Run a short git command and return its stdout (raises InputError on failure when ``check``)."""
        proc = subprocess.run(self.argv(args), input=input, capture_output=True, env=self.env)
        if check and proc.returncode != 0:
            raise InputError(f"git repository {self.repo}: {_first_error(proc.stderr)}")
        return proc.stdout

    def ok(self, args: Sequence[str]) -> bool:
        """Whether a git command succeeds (its output is discarded)."""
        proc = subprocess.run(self.argv(args), capture_output=True, env=self.env)
        return proc.returncode == 0

    def stream(self, args: Sequence[str], *, stdin: bytes | None = None) -> Iterator[bytes]:
        """Yield stdout of a long git command in chunks; raise InputError if git exits non-zero.

        A reader thread drains the pipe into a bounded queue (:data:`PREFETCH_CHUNKS` chunks), so git
        keeps producing while the caller computes and writes to the database. stderr goes to a
        temporary file so a chatty git never blocks. ``stdin`` (e.g. revisions for ``--stdin``) is
        written first: git reads all of it before it writes anything.
        """
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                self.argv(args),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=self.env,
            )
            assert proc.stdout is not None
            if stdin is not None and proc.stdin is not None:
                try:
                    proc.stdin.write(stdin)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
            chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=PREFETCH_CHUNKS)
            stop = threading.Event()
            reader = threading.Thread(target=_pump, args=(proc.stdout, chunks, stop), daemon=True)
            reader.start()
            try:
                while (chunk := chunks.get()) is not None:
                    yield chunk
            finally:
                stop.set()
                if proc.poll() is None and reader.is_alive():
                    proc.kill()
                reader.join()
                proc.stdout.close()
                code = proc.wait()
            if code != 0:
                err.seek(0)
                raise InputError(f"git repository {self.repo}: {_first_error(err.read())}")


def _pump(pipe: IO[bytes], chunks: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """Copy a pipe into a queue until EOF (or until the consumer gives up); None marks the end."""
    try:
        while not stop.is_set():
            chunk = pipe.read(CHUNK)
            if not chunk:
                break
            while not stop.is_set():
                try:
                    chunks.put(chunk, timeout=0.1)
                    break
                except queue.Full:
                    continue
    finally:
        _put_end(chunks, stop)


def _put_end(chunks: queue.Queue[bytes | None], stop: threading.Event) -> None:
    while True:
        try:
            chunks.put(None, timeout=0.1)
            return
        except queue.Full:
            if stop.is_set():
                return


@contextmanager
def temporary_commit_graph(git: Git, info: RepoInfo) -> Iterator[Git | None]:
    """A :class:`Git` that sees a commit-graph with changed-path Bloom filters, built in a temp dir.

    The temporary directory is git's object directory for these commands and the repository's own
    objects are an alternate, so ``git blame`` can skip commits that did not touch a file without
    anything being written into the repository. Yields None when git cannot build one (too old).
    """
    objects = Path(git.env["GIT_OBJECT_DIRECTORY"]) if git.env.get("GIT_OBJECT_DIRECTORY") else info.git_dir / "objects"
    with tempfile.TemporaryDirectory(prefix="argus-commit-graph-") as tmp:
        (Path(tmp) / "info").mkdir()
        (Path(tmp) / "pack").mkdir()
        alternates = [str(objects), *filter(None, git.env.get("GIT_ALTERNATE_OBJECT_DIRECTORIES", "").split(os.pathsep))]
        graph = git.with_env({"GIT_OBJECT_DIRECTORY": tmp, "GIT_ALTERNATE_OBJECT_DIRECTORIES": os.pathsep.join(alternates)})
        ok = graph.ok(["commit-graph", "write", "--reachable", "--changed-paths", "--no-progress"])
        yield graph if ok else None


def open_repo(path: Path) -> tuple[Git, RepoInfo]:
    """Check that ``path`` is a readable git repository (work tree or bare) and describe it."""
    if not path.exists():
        raise InputError(f"repository path {path} does not exist")
    if not path.is_dir():
        raise InputError(f"repository path {path} is not a directory")
    git = Git(path)
    proc = subprocess.run(
        git.argv(["rev-parse", "--absolute-git-dir", "--is-bare-repository", "--is-shallow-repository"]),
        capture_output=True,
        env=git.env,
    )
    if proc.returncode != 0:
        reason = _first_error(proc.stderr)
        if "not a git repository" in reason:
            raise InputError(f"{path} is not a git repository")
        raise InputError(f"git repository {path}: {reason}")
    git_dir, bare, shallow = proc.stdout.decode("utf-8", "replace").split("\n")[:3]
    return git, RepoInfo(path=path, git_dir=Path(git_dir), bare=bare == "true", shallow=shallow == "true")


def resolve_commit(git: Git, rev: str) -> str | None:
    """The full sha of ``rev`` as a commit, or None when it does not name one."""
    if rev.startswith("-"):
        raise InputError(f"revision {rev!r} must not start with '-'")
    proc = subprocess.run(
        git.argv(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"]),
        capture_output=True,
        env=git.env,
    )
    out = proc.stdout.decode().strip()
    return out if proc.returncode == 0 and out else None


def current_branch(git: Git) -> str | None:
    """The branch HEAD points to (also in bare repositories), or None when HEAD is detached."""
    proc = subprocess.run(git.argv(["symbolic-ref", "--quiet", "--short", "HEAD"]), capture_output=True, env=git.env)
    name = proc.stdout.decode("utf-8", "replace").strip()
    return name if proc.returncode == 0 and name else None


#: Seconds a one-shot ``git diff`` may take (a gate must not hang on a huge or broken checkout).
DIFF_TIMEOUT_S = 30.0


def merge_base_diff(repo: Path, base: str, head: str | None) -> str:
    """``git diff -U0 base...head`` (merge-base diff, as a pull request shows it) of the checkout at
    ``repo``: the changed lines the quality gate measures. ``head`` ``None`` means ``HEAD``."""
    spec = f"{base}...{head or 'HEAD'}"
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "diff", "--no-color", "--no-ext-diff", "-U0", spec],
            capture_output=True, text=True, timeout=DIFF_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"git diff {spec} in {repo}: {exc}") from None
    if out.returncode != 0:
        raise InputError(f"git diff {spec} in {repo} failed: {out.stderr.strip() or out.returncode}")
    return out.stdout


def shallow_boundary(info: RepoInfo) -> set[str]:
    """Shas of the commits whose parents a shallow clone does not have (``$GIT_DIR/shallow``)."""
    if not info.shallow:
        return set()
    shallow_file = info.git_dir / "shallow"
    if not shallow_file.is_file():
        return set()
    return {ln.strip() for ln in shallow_file.read_text().splitlines() if ln.strip()}


class CatFile:
    """A long-running ``git cat-file --batch`` for reading blobs by sha (one process, many reads)."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self.proc: subprocess.Popen[bytes] | None = None

    def read(self, sha: str) -> bytes | None:
        """The content of object ``sha``, or None when the repository does not have it."""
        if self.proc is None:
            self.proc = subprocess.Popen(
                self.git.argv(["cat-file", "--batch"]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.git.env,
            )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline()
        if not header or header.endswith(b"missing\n"):
            if not header:
                raise InputError(f"git repository {self.git.repo}: cat-file stopped while reading {sha}")
            return None
        size = int(header.split()[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc.wait()
            self.proc = None


def split_records(chunks: Iterable[bytes], start: bytes, blank: bytes | None = None) -> Iterator[bytes]:
    """The records of a streamed ``git log`` output whose format begins each with ``start``, holding at
    most one record unparsed; a last record that is only ``blank`` bytes (default white space) is dropped."""
    tail = b""
    for chunk in chunks:
        parts = (tail + chunk).split(start)
        tail = parts.pop()
        yield from (part for part in parts if part)
    if tail.strip(blank):
        yield tail
