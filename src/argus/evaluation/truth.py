"""Load the simulator's ground truth (``ground_truth.json``, schema ``argus-sim-truth/1``) into typed values.

The ground truth is for scoring only: analyses never read it. docs/simulator.md documents the fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from argus.core.errors import InputError

SCHEMA = "argus-sim-truth/1"
T = TypeVar("T")


class TestLabel(StrEnum):
    """What a test truly is over the simulated window."""

    __test__ = False

    HEALTHY = "healthy"
    FLAKY = "flaky"
    BROKEN = "broken"  # failed deterministically because of a planted regression at some point


@dataclass(frozen=True)
class TestTruth:
    __test__ = False

    id: str
    dialect: str  # "pytest" | "surefire"
    classname: str
    name: str
    file: str
    modules: tuple[str, ...]  # source files the test exercises (the test→module map)
    skipped: str | None


@dataclass(frozen=True)
class FlakyTruth:
    test: str
    category: str  # async_wait | order_dependency | network | resource_leak | randomness | time_date | concurrency
    rate: float  # per-run failure probability where it misbehaves
    environment: dict[str, str] | None  # only misbehaves where these environment values hold
    group: str


@dataclass(frozen=True)
class RegressionTruth:
    id: str
    source: str
    tests: tuple[str, ...]
    inducing_commit: str
    fix_commit: str | None
    issue: int
    group: str
    introduced_at: datetime
    fixed_at: datetime | None
    failing_runs: tuple[str, ...]  # run keys where at least one of its tests failed because of it


@dataclass(frozen=True)
class BugInducingCommit:
    commit: str
    kind: str  # "regression" (caught by tests) | "latent" (found later, fixed by "Fix #N")
    source: str
    issue: int | None
    fix_commit: str | None


@dataclass(frozen=True)
class OutageTruth:
    run: str
    kind: str
    share: float
    groups: tuple[str, ...]
    host: str


@dataclass(frozen=True)
class RenamedTest:
    old: str
    new: str
    commit: str
    at: datetime


@dataclass(frozen=True)
class RemovedTest:
    test: str
    commit: str
    at: datetime


@dataclass(frozen=True)
class FailureGroup:
    id: str
    cause: str  # regression | flaky | outage
    exception: str
    template: str  # message with variable parts as <*>
    occurrences: int


@dataclass(frozen=True)
class VulnerabilityTruth:
    id: str
    ecosystem: str
    package: str
    installed: str
    fixed: str
    severity: str
    disclosed_at: datetime
    via_new_dependency: bool
    fix_commit: str | None
    fixed_at: datetime | None
    reported_in_runs: int
    first_run: str | None
    last_run: str | None


@dataclass(frozen=True)
class CommitTruth:
    sha: str
    kind: str
    branch: str
    author: str
    time: datetime
    lines_added: int
    lines_deleted: int
    bug_inducing: bool


@dataclass(frozen=True)
class RunTruth:
    key: str
    path: str
    run_id: str
    attempt: int
    commit: str
    branch: str
    environment: dict[str, str]
    started_at: datetime
    outage: bool
    regressions: tuple[str, ...]
    failed_tests: int


@dataclass(frozen=True)
class FailureLabel:
    """Why one test failed in one run (from ``ground_truth_failures.jsonl``)."""

    run: str
    test: str
    cause: str
    group: str
    outcome: str  # failed | error | passed_on_rerun
    attempts: int


@dataclass(frozen=True)
class GroundTruth:
    project: str
    seed: int
    window_start: datetime
    window_end: datetime
    repo: Path
    default_branch: str
    tests: tuple[TestTruth, ...]
    flaky_tests: tuple[FlakyTruth, ...]
    regressions: tuple[RegressionTruth, ...]
    bug_inducing_commits: tuple[BugInducingCommit, ...]
    outages: tuple[OutageTruth, ...]
    renamed_tests: tuple[RenamedTest, ...]
    removed_tests: tuple[RemovedTest, ...]
    failure_groups: tuple[FailureGroup, ...]
    vulnerabilities: tuple[VulnerabilityTruth, ...]
    commits: tuple[CommitTruth, ...]
    open_branches: tuple[str, ...]
    runs: tuple[RunTruth, ...]

    def flaky_ids(self) -> set[str]:
        return {f.test for f in self.flaky_tests}

    def broken_ids(self) -> set[str]:
        return {t for r in self.regressions for t in r.tests}

    def test_labels(self) -> dict[str, TestLabel]:
        """Label of every test id that ever appeared (renamed tests under both ids)."""
        ids = {t.id for t in self.tests} | {r.new for r in self.renamed_tests}
        flaky, broken = self.flaky_ids(), self.broken_ids()
        return {i: TestLabel.FLAKY if i in flaky else TestLabel.BROKEN if i in broken else TestLabel.HEALTHY
                for i in sorted(ids)}

    def outage_runs(self) -> set[str]:
        return {o.run for o in self.outages}

    def id_map(self, key: Callable[[str, str], str]) -> dict[str, str]:
        """Truth test id → ``key(classname, name)`` for every id that appeared (e.g. an ingest identity)."""
        return {i: key(*split_test_id(i)) for i in self.test_labels()}


def split_test_id(test_id: str) -> tuple[str, str]:
    """(JUnit classname, name) of a report id: ``tests/a/test_b.py::test_c[x]`` → (``tests.a.test_b``,
    ``test_c[x]``); ``com.acme.FooTest.bar(String)[1]`` → (``com.acme.FooTest``, ``bar(String)[1]``)."""
    if "::" in test_id:
        path, name = test_id.split("::", 1)
        return path.removesuffix(".py").replace("/", "."), name
    head = re.split(r"[(\[]", test_id, maxsplit=1)[0]
    cut = head.rfind(".")
    return test_id[:cut], test_id[cut + 1:]


def _dt(v: Any) -> datetime:
    return datetime.fromisoformat(v)


def _opt_dt(v: Any) -> datetime | None:
    return None if v is None else datetime.fromisoformat(v)


def _list(doc: dict[str, Any], key: str, build: Callable[[dict[str, Any]], T], where: str) -> tuple[T, ...]:
    items = doc.get(key)
    if not isinstance(items, list):
        raise InputError(f"{where}: field '{key}' must be a list")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(build(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: {key}[{i}] is malformed ({type(exc).__name__}: {exc})") from exc
    return tuple(out)


def load_ground_truth(path: Path) -> GroundTruth:
    """Read ``path`` (a ground_truth.json written by ``argus simulate``)."""
    where = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{where}: cannot read ground truth ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(f"{where}: expected a ground truth with schema '{SCHEMA}'")
    try:
        return GroundTruth(
            project=doc["project"], seed=int(doc["seed"]), window_start=_dt(doc["window"]["start"]),
            window_end=_dt(doc["window"]["end"]), repo=path.parent / doc["repo"], default_branch=doc["default_branch"],
            tests=_list(doc, "tests", lambda d: TestTruth(d["id"], d["dialect"], d["classname"], d["name"], d["file"],
                                                          tuple(d["modules"]), d["skipped"]), where),
            flaky_tests=_list(doc, "flaky_tests", lambda d: FlakyTruth(d["test"], d["category"], float(d["rate"]),
                                                                       d["environment"], d["group"]), where),
            regressions=_list(doc, "regressions", lambda d: RegressionTruth(
                d["id"], d["source"], tuple(d["tests"]), d["inducing_commit"], d["fix_commit"], int(d["issue"]),
                d["group"], _dt(d["introduced_at"]), _opt_dt(d["fixed_at"]), tuple(d["failing_runs"])), where),
            bug_inducing_commits=_list(doc, "bug_inducing_commits", lambda d: BugInducingCommit(
                d["commit"], d["kind"], d["source"], d["issue"], d["fix_commit"]), where),
            outages=_list(doc, "outages", lambda d: OutageTruth(d["run"], d["kind"], float(d["share"]),
                                                                tuple(d["groups"]), d["host"]), where),
            renamed_tests=_list(doc, "renamed_tests", lambda d: RenamedTest(d["old"], d["new"], d["commit"],
                                                                            _dt(d["at"])), where),
            removed_tests=_list(doc, "removed_tests", lambda d: RemovedTest(d["test"], d["commit"], _dt(d["at"])),
                                where),
            failure_groups=_list(doc, "failure_groups", lambda d: FailureGroup(
                d["id"], d["cause"], d["exception"], d["template"], int(d["occurrences"])), where),
            vulnerabilities=_list(doc, "vulnerabilities", lambda d: VulnerabilityTruth(
                d["id"], d["ecosystem"], d["package"], d["installed"], d["fixed"], d["severity"],
                _dt(d["disclosed_at"]), bool(d["via_new_dependency"]), d["fix_commit"], _opt_dt(d["fixed_at"]),
                int(d["reported_in_runs"]), d["first_run"], d["last_run"]), where),
            commits=_list(doc, "commits", lambda d: CommitTruth(
                d["sha"], d["kind"], d["branch"], d["author"], _dt(d["time"]), int(d["lines_added"]),
                int(d["lines_deleted"]), bool(d["bug_inducing"])), where),
            open_branches=tuple(doc["open_branches"]),
            runs=_list(doc, "runs", lambda d: RunTruth(
                d["key"], d["path"], d["run_id"], int(d["attempt"]), d["commit"], d["branch"], dict(d["environment"]),
                _dt(d["started_at"]), bool(d["outage"]), tuple(d["regressions"]), int(d["failed_tests"])), where),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: missing or malformed field ({type(exc).__name__}: {exc})") from exc


def load_failure_labels(path: Path) -> list[FailureLabel]:
    """Read ``ground_truth_failures.jsonl``: one line per run, with the cause of each failing test."""
    out: list[FailureLabel] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read failure labels ({exc.strerror or exc})") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            out += [FailureLabel(doc["run"], f["test"], f["cause"], f["group"], f["outcome"], int(f["attempts"]))
                    for f in doc["failures"]]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}:{n}: malformed failure label line ({type(exc).__name__})") from exc
    return out
