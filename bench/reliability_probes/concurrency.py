"""Concurrent writers against one store: the probe matrix of issue 11 (items 1–5) plus a load run.

Every probe starts real ``argus`` processes at once and asserts exact counts afterwards (runs,
reports, results, run counters, dead letters). ``probe_load`` runs ``ARGUS_LOAD_WRITERS`` writers
(default 16) for ``ARGUS_LOAD_SECONDS`` (default 60) and prints throughput; for a quick run::

    ARGUS_LOAD_SECONDS=10 ARGUS_LOAD_WRITERS=4 .venv/bin/python bench/reliability.py -k concurrency

The guarantees checked here are stated in docs/reliability.md.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from pathlib import Path

from argus.testing.reports import junit
from reliability_probes.common import ProbeEnv, Result, wait_all

N = 8  # parallel processes per case (issue 11 used 8)
CASES = 50
SHA = "abc" + "0" * 37


def _junit(path: Path, suite: str, tests: int, failures: int = 0) -> Path:
    """A JUnit file of ``tests`` distinct cases in ``suite``; the first ``failures`` fail."""
    path.write_text(junit(suite, tests, failures, name="t{i}", time="0.001",
                          failure='<failure message="x">trace</failure>', xml_declaration=False))
    return path


def _ingest(env: ProbeEnv, *args: str) -> list[str]:
    return ["ingest", "tests", *args, "--commit", SHA, "--branch", "main"]


def _upgrade(env: ProbeEnv) -> None:
    r = env.run("db", "upgrade")
    assert r.code == 0, r.explain()


def _parallel(env: ProbeEnv, commands: list[list[str]]) -> list[Result]:
    results = wait_all([env.start(*c) for c in commands])
    for r in results:
        assert r.code == 0 and "Traceback" not in r.stderr, r.explain()
    return results


def _count(env: ProbeEnv, table: str) -> int:
    return int(env.scalar(f"SELECT count(*) FROM {table}") or 0)  # type: ignore[call-overload]


def _eq(what: str, got: object, want: object) -> None:
    assert got == want, f"{what}: {got} (expected {want})"


def probe_new_project_parallel(env: ProbeEnv) -> None:
    _upgrade(env)
    files = [_junit(env.workdir / f"r{k}.xml", f"s{k}", CASES) for k in range(N)]
    _parallel(env, [_ingest(env, str(f), "-p", "brandnew", "--run-id", f"R-{k}") for k, f in enumerate(files)])
    _eq("projects", _count(env, "project"), 1)
    _eq("reports", _count(env, "test_report"), N)
    _eq("results", _count(env, "test_result"), N * CASES)
    _eq("dead letters", _count(env, "dead_letter"), 0)


def probe_same_run_id_parallel(env: ProbeEnv) -> None:
    _upgrade(env)
    files = [_junit(env.workdir / f"s{k}.xml", f"shard{k}", CASES + k, failures=k) for k in range(N)]
    _parallel(env, [_ingest(env, str(f), "-p", "p", "--run-id", "SAME-RUN", "--job", "unit") for f in files])
    total = sum(CASES + k for k in range(N))
    _eq("runs", _count(env, "test_run"), 1)
    _eq("reports", _count(env, "test_report"), N)
    _eq("results", _count(env, "test_result"), total)
    _eq("run.tests", env.scalar("SELECT tests FROM test_run"), total)
    _eq("run.failed", env.scalar("SELECT failed FROM test_run"), sum(range(N)))


def _same_file(env: ProbeEnv, extra: list[str]) -> None:
    _upgrade(env)
    f = _junit(env.workdir / "same.xml", "same", CASES, failures=1)
    results = _parallel(env, [_ingest(env, str(f), "-p", "p", *extra) for _ in range(N)])
    _eq("processes that stored it", sum("1 ingested" in r.stdout for r in results), 1)
    _eq("processes saying already stored", sum("1 already stored" in r.stdout for r in results), N - 1)
    _eq("reports", _count(env, "test_report"), 1)
    _eq("runs (no orphans)", _count(env, "test_run"), 1)
    _eq("results", _count(env, "test_result"), CASES)
    _eq("dead letters", _count(env, "dead_letter"), 0)


def probe_same_file_parallel_same_run(env: ProbeEnv) -> None:
    _same_file(env, ["--run-id", "R-1"])


def probe_same_file_parallel_no_run_id(env: ProbeEnv) -> None:
    _same_file(env, [])


def probe_distinct_files_parallel(env: ProbeEnv) -> None:
    _upgrade(env)
    files = [_junit(env.workdir / f"d{k}.xml", f"d{k}", CASES) for k in range(N)]
    _parallel(env, [_ingest(env, str(f), "-p", "p") for f in files])
    _eq("runs", _count(env, "test_run"), N)
    _eq("reports", _count(env, "test_report"), N)
    _eq("sum(run.tests)", env.scalar("SELECT sum(tests) FROM test_run"), N * CASES)


def probe_db_upgrade_parallel(env: ProbeEnv) -> None:
    _parallel(env, [["db", "upgrade"] for _ in range(4)])
    r = env.run("db", "current", "--json")
    assert r.code == 0 and '"up_to_date": true' in r.stdout, r.explain()


def probe_artefacts_meet_in_one_run(env: ProbeEnv) -> None:
    """Coverage and a scan with only --commit/--run-id land on the tests' run (issue 10 §2)."""
    _upgrade(env)
    lcov = env.workdir / "lcov.info"
    lcov.write_text("SF:src/a.py\nDA:1,1\nDA:2,0\nend_of_record\n")
    scan = env.workdir / "pip-audit.json"
    scan.write_text('{"dependencies": [{"name": "jinja2", "version": "2.0", "vulns": '
                    '[{"id": "PYSEC-1", "fix_versions": ["3.0"], "aliases": ["CVE-2024-1"]}]}]}')
    ci = ["-p", "p", "--commit", SHA, "--branch", "main", "--run-id", "R9"]
    for argv in (["ingest", "coverage", str(lcov), *ci], ["ingest", "vulns", str(scan), *ci],
                 ["ingest", "tests", str(_junit(env.workdir / "t.xml", "t", 3)), *ci, "--job", "unit", "--attempt", "1"]):
        r = env.run(*argv)
        assert r.code == 0, r.explain()
    _eq("runs", _count(env, "test_run"), 1)
    # the same bytes for another CI run are that run's (and the gate finds it)
    other = ["-p", "p", "--commit", "f" * 40, "--branch", "feat", "--run-id", "R10"]
    for kind, path in (("coverage", lcov), ("vulns", scan), ("tests", env.workdir / "t.xml")):
        r = env.run("ingest", kind, str(path), *other)
        assert r.code == 0 and "already stored (" not in r.stdout and "already ingested" not in r.stdout, r.explain()
    _eq("runs", _count(env, "test_run"), 2)
    r = env.run("gate", "-p", "p", "--commit", "f" * 40, "--no-record")
    assert r.code in (0, 1) and "no ingested run" not in r.stderr, r.explain()


def probe_kill9_then_reingest(env: ProbeEnv) -> None:
    _upgrade(env)
    folder = env.workdir / "reports"
    folder.mkdir()
    files = 120
    for k in range(files):
        _junit(folder / f"r{k:03}.xml", f"k{k}", 40, failures=k % 2)
    argv = _ingest(env, str(folder), "-p", "p", "--run-id", "KILL")
    # kill points drawn (seeded) over the duration of one complete ingestion timed on a scratch SQLite file
    scratch = dict(env.env, ARGUS_DATABASE_URL=f"sqlite:///{env.workdir / 'scratch.db'}")
    t0 = time.monotonic()
    for step in (["db", "upgrade"], argv):
        subprocess.run(env.argus_cmd(*step), cwd=env.workdir, env=scratch, capture_output=True, check=True)
    full = time.monotonic() - t0
    rng = random.Random(int(os.environ.get("ARGUS_RELIABILITY_SEED", "7")))
    for _ in range(5):
        # output discarded: a process killed mid-write leaves truncated (undecodable) text
        proc = subprocess.Popen(env.argus_cmd(*argv), cwd=env.workdir, env=env.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=full * rng.uniform(0.3, 1.0))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    r = env.run(*argv)
    assert r.code == 0, r.explain()
    _eq("runs", _count(env, "test_run"), 1)
    _eq("reports", _count(env, "test_report"), files)
    _eq("results", _count(env, "test_result"), files * 40)
    _eq("run.tests", env.scalar("SELECT tests FROM test_run"), files * 40)
    _eq("run.failed", env.scalar("SELECT failed FROM test_run"), files // 2)


def probe_load(env: ProbeEnv) -> None:
    """W writers for S seconds; each command ingests 3 new files into one of 4 shared CI runs and one
    file already stored (a duplicate); prints throughput and asserts exact totals."""
    writers = int(os.environ.get("ARGUS_LOAD_WRITERS", "16"))
    seconds = float(os.environ.get("ARGUS_LOAD_SECONDS", "60"))
    _upgrade(env)
    cases, per_command = 200, 3
    lock = threading.Lock()
    stored: list[int] = []  # cases of every file a command reported as stored
    failures: list[str] = []
    deadline = time.monotonic() + seconds

    def writer(w: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            names = []
            for j in range(per_command):
                names.append(str(_junit(env.workdir / f"w{w}_{n}_{j}.xml", f"w{w}.c{n}.f{j}", cases, failures=j)))
            argv = _ingest(env, *names, "-p", "load", "--run-id", f"LOAD-{w % 4}", "--job", "unit")
            if n:
                argv.insert(2, str(env.workdir / f"w{w}_{n - 1}_0.xml"))  # same run, same content again
            r = env.run(*argv)
            with lock:
                if r.code != 0 or f"{per_command} ingested" not in r.stdout:
                    failures.append(r.explain())
                else:
                    stored.append(per_command * cases)
            n += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    assert not failures, failures[0]
    reports, results = _count(env, "test_report"), _count(env, "test_result")
    print(f"     load ({env.kind}): {writers} writers, {took:.0f} s, {len(stored)} commands: "
          f"{reports / took:.1f} reports/s, {results / took:,.0f} results/s")
    _eq("reports", reports, len(stored) * per_command)
    _eq("results", results, sum(stored))
    _eq("runs", _count(env, "test_run"), min(writers, 4))
    _eq("sum(run.tests)", env.scalar("SELECT sum(tests) FROM test_run"), sum(stored))
    _eq("dead letters", _count(env, "dead_letter"), 0)
