"""N parallel real ``argus`` processes against one store: exact counts, nothing lost, nothing doubled.

Each test starts every process at once and waits for all; the database is SQLite (one file) or, with
``ARGUS_TEST_DATABASE_URL``, a fresh PostgreSQL schema. See docs/reliability.md for the guarantees.
"""

from __future__ import annotations

import pytest

from .conftest import Store, upgrade_in_process, write_junit

pytestmark = pytest.mark.reliability

N = 4  # processes per case (bench/reliability_probes/concurrency.py runs more)
TESTS = 40  # cases per report
SHA = "c0ffee" + "0" * 34


def _ingest(store: Store, *args: str) -> list[str]:
    return ["ingest", "tests", *args, "--commit", SHA, "--branch", "main"]


def _upgraded(store: Store) -> Store:
    upgrade_in_process(store.url)
    return store


def _assert_all_ok(results: list, expect: str | None = None) -> None:  # type: ignore[type-arg]
    for r in results:
        assert r.code == 0, r.explain()
        assert "Traceback" not in r.stderr, r.explain()
        if expect is not None:
            assert expect in r.stdout, r.explain()


def test_new_project_created_by_parallel_jobs(store: Store) -> None:
    _upgraded(store)
    files = [write_junit(store.cwd / f"r{k}.xml", f"suite{k}", TESTS) for k in range(N)]
    results = store.parallel([_ingest(store, str(f), "-p", "brandnew", "--run-id", f"R-{k}")
                              for k, f in enumerate(files)])
    _assert_all_ok(results)
    assert store.count("project") == 1 and store.count("organisation") == 1
    assert store.count("test_run") == N and store.count("test_report") == N
    assert store.count("test_result") == N * TESTS
    assert store.scalar("SELECT sum(tests) FROM test_run") == N * TESTS
    assert store.count("dead_letter") == 0


def test_same_run_id_in_parallel_is_one_run_with_exact_counters(store: Store) -> None:
    _upgraded(store)
    files = [write_junit(store.cwd / f"shard{k}.xml", f"shard{k}", TESTS + k, failures=k) for k in range(N)]
    results = store.parallel([_ingest(store, str(f), "-p", "shop", "--run-id", "SAME-RUN", "--job", "unit")
                              for f in files])
    _assert_all_ok(results)
    total = sum(TESTS + k for k in range(N))
    assert store.count("test_run") == 1
    assert store.count("test_report") == N and store.count("test_result") == total
    assert store.scalar("SELECT tests FROM test_run") == total
    assert store.scalar("SELECT failed FROM test_run") == sum(range(N))
    assert store.scalar("SELECT passed FROM test_run") == total - sum(range(N))


@pytest.mark.parametrize("run_id", ["R-1", None], ids=["ci-run", "local"])
def test_same_file_in_parallel_is_stored_once_and_the_others_say_so(store: Store, run_id: str | None) -> None:
    _upgraded(store)
    f = write_junit(store.cwd / "same.xml", "same", TESTS, failures=2)
    extra = ["--run-id", run_id] if run_id else []
    results = store.parallel([_ingest(store, str(f), "-p", "shop", *extra) for _ in range(N)])
    _assert_all_ok(results)
    assert sum("1 ingested" in r.stdout for r in results) == 1, [r.stdout for r in results]
    assert sum("already stored" in r.stdout and "1 already stored" in r.stdout for r in results) == N - 1
    assert store.count("test_report") == 1 and store.count("test_result") == TESTS
    assert store.count("test_run") == 1, "no orphan empty runs"
    assert store.scalar("SELECT tests FROM test_run") == TESTS
    assert store.count("dead_letter") == 0


def test_distinct_files_in_parallel(store: Store) -> None:
    _upgraded(store)
    assert store.run(*_ingest(store, str(write_junit(store.cwd / "seed.xml", "seed", 3)), "-p", "shop")).code == 0
    files = [write_junit(store.cwd / f"d{k}.xml", f"d{k}", TESTS) for k in range(N)]
    results = store.parallel([_ingest(store, str(f), "-p", "shop") for f in files])
    _assert_all_ok(results, "1 ingested")
    assert store.count("test_run") == N + 1 and store.count("test_report") == N + 1
    assert store.count("test_result") == N * TESTS + 3
    assert store.scalar("SELECT sum(tests) FROM test_run") == N * TESTS + 3


def test_concurrent_db_upgrade_on_a_fresh_database(store: Store) -> None:
    results = store.parallel([["db", "upgrade"] for _ in range(4)])
    _assert_all_ok(results)
    done = store.run("db", "current", "--json")
    assert done.code == 0 and '"up_to_date": true' in done.stdout, done.explain()
