"""Small real git repositories for the git-ingestion tests (real ``git`` in a temp dir)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

#: 2024-01-01T00:00:00Z; tests place commits at T0 + n days so ages are easy to compute by hand.
T0 = 1_704_067_200
DAY = 86_400


class Repo:
    """A work tree whose commits have fixed authors and times (``when`` is Unix seconds)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Default")
        self.git("config", "user.email", "default@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        full_env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.path.parent), **(env or {})}
        proc = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, env=full_env, input=input)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "replace").strip()

    def write(self, name: str, content: str | bytes) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    def mv(self, src: str, dst: str) -> None:
        (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", src, dst)

    def commit(self, message: str | bytes, *, author: tuple[str, str] = ("Ann", "ann@example.com"),
               when: int = T0, allow_empty: bool = False, encoding: str | None = None) -> str:
        """Stage everything and commit; returns the new sha."""
        self.git("add", "-A")
        env = {
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": f"@{when} +0000",
            "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1], "GIT_COMMITTER_DATE": f"@{when} +0000",
        }
        msg = message.encode() if isinstance(message, str) else message
        args = ["commit", "-q", "-F", "-"] + (["--allow-empty"] if allow_empty else [])
        if encoding:
            args = ["-c", f"i18n.commitEncoding={encoding}", *args]
        self.git(*args, env=env, input=msg)
        return self.git("rev-parse", "HEAD")


def lines(n: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, n + 1))
