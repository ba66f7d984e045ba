"""Probes of ``argus ingest git``: malformed commit objects, odd paths, corrupt repositories, concurrent
runs, progress output. Each builds a real repository with ``git`` in the probe's scratch folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from reliability_probes.common import ProbeEnv, Result, wait_all

T0 = 1_704_067_200


def _git(repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent), "GIT_AUTHOR_NAME": "Ann",
            "GIT_AUTHOR_EMAIL": "ann@example.com", "GIT_COMMITTER_NAME": "Ann",
            "GIT_COMMITTER_EMAIL": "ann@example.com", "GIT_AUTHOR_DATE": f"@{T0} +0000",
            "GIT_COMMITTER_DATE": f"@{T0} +0000", **(env or {})}
    proc = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, env=full, check=True)
    return proc.stdout.decode().strip()


def _repo(env: ProbeEnv, files: dict[str, str], message: str = "initial") -> Path:
    """A fresh repository with one commit (and the probe's database migrated)."""
    up = env.run("db", "upgrade")
    assert up.code == 0, up.explain()
    repo = env.workdir / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)
    return repo


def _one_line_ok(r: Result) -> None:
    assert r.code == 0, r.explain()
    assert "Traceback" not in r.stderr, r.explain()


def _commits(env: ProbeEnv) -> int:
    return int(env.scalar('SELECT count(*) FROM "commit"') or 0)


def _raw_commit(repo: Path, parent: str, author: bytes, message: bytes) -> str:
    tree = _git(repo, "rev-parse", f"{parent}^{{tree}}")
    body = b"tree %s\nparent %s\nauthor %s\ncommitter Ann <ann@example.com> %d +0000\n\n%s\n" % (
        tree.encode(), parent.encode(), author, T0, message)
    return _git(repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=body)


def _malformed(env: ProbeEnv, author: bytes, malformed: int = 1) -> None:
    repo = _repo(env, {"a.py": "x = 1\n"})
    bad = _raw_commit(repo, _git(repo, "rev-parse", "HEAD"), author, b"fix: malformed author line")
    _git(repo, "update-ref", "refs/heads/main", bad)
    r = env.run("ingest", "git", "--repo", str(repo), "-p", "p", "--json")
    _one_line_ok(r)
    assert json.loads(r.stdout)["malformed"] == malformed, r.explain()
    assert _commits(env) == 2, r.explain()


def probe_author_without_date(env: ProbeEnv) -> None:
    _malformed(env, b"Ann <ann@example.com>")


def probe_author_date_20_digits(env: ProbeEnv) -> None:
    _malformed(env, b"Ann <ann@example.com> 99999999999999999999 +0000")


def probe_nul_in_author_name(env: ProbeEnv) -> None:
    _malformed(env, b"An\0n <ann@example.com> 1704067200 +0000")
    assert env.scalar("SELECT count(*) FROM \"commit\" WHERE author_name = 'Ann'") == 2


def probe_author_zone_out_of_range(env: ProbeEnv) -> None:
    _malformed(env, b"Ann <ann@example.com> 1704067200 +9999", malformed=0)  # git reads it; the zone is 0
    assert env.scalar('SELECT count(*) FROM "commit" WHERE author_tz_minutes = 0') == 2


def probe_odd_paths_and_messages(env: ProbeEnv) -> None:
    repo = _repo(env, {"tab\there.py": "x = 1\n", "new\nline.py": "y = 2\n", "ü/é.py": "z = 3\n",
                       "x" * 200 + ".py": "w = 4\n"}, message="é \x01 control \x7f and a very long line " * 200)
    r = env.run("ingest", "git", "--repo", str(repo), "-p", "p", "--json")
    _one_line_ok(r)
    assert env.scalar("SELECT count(*) FROM commit_file") == 4, r.explain()


def probe_corrupt_object_stores_nothing(env: ProbeEnv) -> None:
    repo = _repo(env, {"a.py": "x = 1\n"})
    (repo / "a.py").write_text("x = 2\n")
    _git(repo, "commit", "-qam", "fix: x")
    blob = _git(repo, "rev-parse", "HEAD:a.py")
    obj = repo / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    r = env.run("ingest", "git", "--repo", str(repo), "-p", "p")
    assert r.code != 0 and "Traceback" not in r.stderr, r.explain()
    assert len(r.stderr.strip().splitlines()) == 1, r.explain()
    assert env.scalar("SELECT count(*) FROM project") == 0, r.explain()


def probe_progress_keeps_json_clean(env: ProbeEnv) -> None:
    repo = _repo(env, {"a.py": "x = 1\n"})
    (repo / "a.py").write_text("x = 2\n")
    _git(repo, "commit", "-qam", "fix: x")
    r = env.run("ingest", "git", "--repo", str(repo), "-p", "p", "--json", "--progress")
    _one_line_ok(r)
    assert json.loads(r.stdout)["links"] == 1, r.explain()
    assert "reading history" in r.stderr and "SZZ" in r.stderr, r.explain()
    quiet = env.run("ingest", "git", "--repo", str(repo), "-p", "q", "--json")
    assert quiet.code == 0 and quiet.stderr == "", quiet.explain()


def probe_docs_fix_gives_no_link(env: ProbeEnv) -> None:
    repo = _repo(env, {"docs/alerts.mdx": "Pagerduty\n", "app.py": "x = 1\n"}, message="feat: alerts")
    (repo / "docs/alerts.mdx").write_text("PagerDuty\n")
    _git(repo, "commit", "-qam", "docs: fix PagerDuty capitalization")
    r = env.run("ingest", "git", "--repo", str(repo), "-p", "p", "--json")
    _one_line_ok(r)
    out = json.loads(r.stdout)
    assert out["fixes"] == 0 and out["links"] == 0, r.explain()
    assert env.scalar("SELECT count(*) FROM bug_link") == 0


def probe_parallel_ingest_same_repo(env: ProbeEnv) -> None:
    repo = _repo(env, {"a.py": "x = 1\n"})
    for i in range(2, 30):
        (repo / "a.py").write_text(f"x = {i}\n")
        _git(repo, "commit", "-qam", f"fix: x is {i}")
    # the project exists first: parallel creation of a new project is issue 11 item 1, not this probe
    created = env.run("projects", "create", "p")
    assert created.code == 0, created.explain()
    procs = [env.start("ingest", "git", "--repo", str(repo), "-p", "p", "--json") for _ in range(3)]
    results = wait_all(procs, ("ingest", "git"))
    for r in results:
        assert "Traceback" not in r.stderr, r.explain()
    assert any(r.code == 0 for r in results), results[0].explain()
    assert _commits(env) == 29, [r.explain() for r in results]
    assert env.scalar('SELECT count(DISTINCT sha) FROM "commit"') == 29
