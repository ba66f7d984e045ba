"""The simulated world as plain values: authors, files, tests, planted events, commits and runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Dialect(StrEnum):
    PYTEST = "pytest"
    SUREFIRE = "surefire"


class FlakyCategory(StrEnum):
    TIMING = "async_wait"  # async waits, timeouts
    ORDER = "order_dependency"
    NETWORK = "network"  # external service
    RESOURCE = "resource_leak"  # exhaustion: files, memory, ports
    RANDOMNESS = "randomness"
    TIME = "time_date"
    CONCURRENCY = "concurrency"


class OutageKind(StrEnum):
    DATABASE_DOWN = "database_down"  # service container refused connections
    OOM_KILLED = "oom_killed"  # runner killed the test process
    NETWORK = "network"  # registry / proxy unreachable
    DISK_FULL = "disk_full"


class CommitKind(StrEnum):
    INITIAL = "initial"
    FEATURE = "feature"
    MERGE = "merge"
    FIX = "fix"  # fixes a regression or a latent bug; message references the issue
    BUMP = "dependency_bump"
    ADD_DEPENDENCY = "dependency_add"
    TEST_RENAME = "test_rename"
    TEST_REMOVE = "test_remove"


@dataclass(frozen=True)
class Author:
    name: str
    email: str
    handle: str
    tz_minutes: int
    mean_hour: float  # local hour of day around which this author commits
    hour_sd: float
    size_mu: float  # log of the typical number of changed lines
    bug_propensity: float  # multiplier on the chance that a commit introduces a bug
    weight: float  # share of the work items
    branch_pref: float  # probability of working on a feature branch


@dataclass(frozen=True)
class SourceFile:
    path: str
    lang: str  # "py" | "java"
    module: str  # snake_case module name, e.g. "refund_policy"


@dataclass(frozen=True)
class TestSpec:
    """One test as its report shows it. ``uid`` is stable across renames; the rest is what JUnit shows."""

    __test__ = False

    uid: int
    dialect: Dialect
    test_id: str  # pytest node id, or ``pkg.Class.method`` for Surefire
    classname: str
    name: str
    file: str  # path of the test source file
    function: str  # function/method name in that file (without parameters)
    modules: tuple[str, ...]  # source files this test exercises (first = its own module)
    duration_s: float  # typical duration
    skip_reason: str | None = None


@dataclass(frozen=True)
class FlakySpec:
    uid: int
    category: FlakyCategory
    rate: float
    environment: tuple[str, str] | None  # (key, value) it is restricted to, or None for everywhere
    group: str  # root-cause group id


@dataclass
class Regression:
    """A commit that breaks ``test_uids`` until ``fix_mark`` (both on main)."""

    id: str
    source: str
    test_uids: tuple[int, ...]
    inducing_mark: int
    issue: int
    group: str
    detail: dict[str, str]  # values filled into the failure template
    fix_mark: int | None = None
    introduced_at: datetime | None = None
    fixed_at: datetime | None = None
    test_ids: tuple[str, ...] = ()  # report ids of ``test_uids`` when the regression was planted
    lines: tuple[str, ...] = ()  # realistic_bugs: the lines the inducing commit wrote that carry the bug


@dataclass
class LatentBug:
    """A bug-inducing commit no test catches; found later and fixed by a commit referencing an issue."""

    inducing_mark: int
    source: str
    issue: int
    fix_mark: int | None = None
    lines: tuple[str, ...] = ()  # realistic_bugs: the lines the inducing commit wrote that carry the bug


@dataclass
class Vulnerability:
    id: str
    ecosystem: str  # "pip" | "maven"
    package: str
    installed: str
    fixed: str
    severity: str
    title: str
    disclosed_at: datetime
    via_new_dependency: bool = False
    added_at: datetime | None = None  # when a commit added the (already vulnerable) dependency
    planned_fix_at: datetime | None = None
    fix_mark: int | None = None
    fixed_at: datetime | None = None


@dataclass
class Commit:
    mark: int
    kind: CommitKind
    branch: str
    parents: tuple[int, ...]
    author: Author
    time: datetime
    message: str
    changes: dict[str, str | None]  # path → new content, None = deleted
    lines_added: int = 0
    lines_deleted: int = 0


@dataclass(frozen=True)
class Outage:
    kind: OutageKind
    share: float  # share of the run's tests that error
    group: str
    host: str


@dataclass
class RunSpec:
    """One CI job attempt: what it ran on and the world state it saw."""

    seq: int
    key: str
    run_id: str
    attempt: int
    commit_mark: int
    branch: str
    environment: dict[str, str]
    started_at: datetime
    tests: tuple[TestSpec, ...]
    regressions: tuple[str, ...]  # ids of active regressions at the commit
    coverage: dict[str, tuple[tuple[str, ...], float]]  # path → (lines, covered fraction)
    vulns: tuple[str, ...]  # ids of vulnerabilities present (disclosed and not fixed at the commit)
    outage: Outage | None = None
    failed: bool = field(default=False)  # set after outcomes are drawn (drives reruns)
