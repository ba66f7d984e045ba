"""Test data builders and harness helpers shared by the test suite (``tests/``) and the benchmarks'
probes (``bench/``), which cannot import each other.

* :mod:`argus.testing.builders`: runs, test results (outcomes, retries, durations, messages), coverage
  and vulnerability scans written into a project-bound session, through the real ingest services or
  bulk inserts (never mocks).
* :mod:`argus.testing.reports`: the report files a CI job would upload (JUnit XML, LCOV, Trivy JSON).
* :mod:`argus.testing.databases`: a fresh database per test or probe (SQLite file or PostgreSQL schema).
* :mod:`argus.testing.processes`: the real ``argus`` CLI run as a process.

Production code never imports this package (it sits above the analyses in the import-linter layers).
"""
