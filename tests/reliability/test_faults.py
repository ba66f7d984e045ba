"""kill -9 at random (seeded) points of an ingest, then ingest again: exactly one complete copy remains."""

from __future__ import annotations

import os
import random
import subprocess

import pytest

from .conftest import Store, start, upgrade_in_process, write_junit

pytestmark = pytest.mark.reliability

FILES = 55  # more than one batch of the CLI (50 files per transaction)
CASES = 20
SEED = int(os.environ.get("ARGUS_RELIABILITY_SEED", "11"))


@pytest.mark.parametrize("run_id", ["K-1", None], ids=["ci-run", "local"])
def test_kill_9_during_ingest_then_reingest_leaves_one_complete_copy(store: Store, run_id: str | None) -> None:
    upgrade_in_process(store.url)
    folder = store.cwd / "reports"
    folder.mkdir()
    for k in range(FILES):
        write_junit(folder / f"r{k:03}.xml", f"suite{k}", CASES, failures=k % 3)
    argv = ["ingest", "tests", str(folder), "-p", "shop", "--commit", "d" * 40, "--branch", "main",
            *(["--run-id", run_id] if run_id else [])]
    rng = random.Random(SEED)
    for _ in range(2):
        proc = start(store.env, store.cwd, *argv)
        try:
            proc.wait(timeout=rng.uniform(0.2, 4.0))  # a random point: start-up, parse, write, commit…
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL: no clean-up of any kind
        proc.communicate()
    done = store.run(*argv)
    assert done.code == 0, done.explain()
    assert store.count("test_report") == FILES
    assert store.count("test_result") == FILES * CASES
    assert store.count("test_run") == 1, "one CI job's reports in one run"
    assert store.scalar("SELECT tests FROM test_run") == FILES * CASES
    assert store.scalar("SELECT failed FROM test_run") == sum(k % 3 for k in range(FILES))
    assert store.count("dead_letter") == 0
    again = store.run(*argv)
    assert again.code == 0 and f"{FILES} already stored" in again.stdout, again.explain()
