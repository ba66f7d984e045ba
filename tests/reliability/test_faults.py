"""kill -9 at random (seeded) points of an ingest, then ingest again: exactly one complete copy remains."""

from __future__ import annotations

import os
import random
import subprocess
import time

import pytest

from argus.testing.processes import argus_argv, run

from .conftest import Store, upgrade_in_process, write_junit

pytestmark = pytest.mark.reliability

FILES = 80  # two batches of the CLI (50 files per transaction)
CASES = 150
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
    # Kill points are drawn (seeded) over the duration of one complete ingestion of the same files,
    # timed on a scratch database under the current load: most of the early part is start-up.
    scratch = dict(store.env, ARGUS_DATABASE_URL=f"sqlite:///{store.cwd / 'scratch.db'}")
    assert run(scratch, store.cwd, "db", "upgrade").code == 0
    t0 = time.monotonic()
    assert run(scratch, store.cwd, *argv).code == 0
    full = time.monotonic() - t0
    rng = random.Random(SEED)
    for lo, hi in ((0.5, 0.8), (0.7, 1.0), (0.3, 1.0)):
        # output discarded: a process killed mid-write leaves truncated (undecodable) text
        proc = subprocess.Popen(argus_argv(*argv), cwd=store.cwd, env=store.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=full * rng.uniform(lo, hi))  # not synchronisation: the fault's random moment
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL: no clean-up of any kind
            proc.wait()
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
