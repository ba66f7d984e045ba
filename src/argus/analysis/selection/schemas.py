"""Typed inputs and outputs of test selection (frozen dataclasses; every threshold documented)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FileStatus(StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"
    MODIFIED = "modified"


@dataclass(frozen=True)
class Hunk:
    """One hunk of a unified diff: its header's start lines and the old- and new-side text of its lines
    (context included), to rebuild one side of the file from the other."""

    old_start: int
    new_start: int
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True)
class ChangedFile:
    """One file of a change: ``old_lines`` are base-side line numbers (what the coverage map knows)."""

    path: str
    old_path: str | None
    status: FileStatus
    old_lines: frozenset[int] = frozenset()
    new_lines: frozenset[int] = frozenset()
    binary: bool = False
    added: tuple[str, ...] = ()  # the text of the added lines (what a changed statement now binds)
    hunks: tuple[Hunk, ...] = ()  # the diff's hunks (to rebuild the old side from a new-side checkout)

    @property
    def base_path(self) -> str:
        """The path on the base side (the old path of a rename)."""
        return self.old_path or self.path


class Mode(StrEnum):
    """How the selection was bounded (``mode`` of the JSON output)."""

    FULL = "full"  # a rule forced the whole suite
    BUDGET = "budget"  # a share of the suite (--budget 25%)
    MAX_TESTS = "max_tests"
    MAX_TIME = "max_time"
    CONFIDENCE = "confidence"  # safe mode


@dataclass(frozen=True)
class Budget:
    """What bounds the selection: ``value`` is a share (0–1], a test count, seconds or a confidence."""

    mode: Mode
    value: float


class Signal(StrEnum):
    """Where a reason comes from (each signal is measured alone in the bench)."""

    RULE = "rule"
    LINE = "line"  # covers a changed line
    IMPORT_TIME = "import_time"  # the changed line runs at import; the test uses that module
    FILE = "file"  # covers the changed file, not the line
    SYMBOL = "symbol"  # the test's source mentions a name the changed line defines
    DATA = "data"  # the test's parameters or literals meet the data the changed line touches (ranking)
    IMPORTS = "imports"  # static import graph
    SUBPROCESS = "subprocess"  # the test runs the changed module (or one importing it) in a subprocess
    HISTORY = "history"  # co-failure with the changed files
    RECENT = "recent"  # recent failure rate
    UNMAPPED = "unmapped"  # the map never saw the test
    PRIOR = "prior"


@dataclass(frozen=True)
class Reason:
    """Why a test's probability is what it is: the signal, a sentence, its own probability, evidence
    (``(evidence type, ref id)`` pairs: coverage map rows, test results)."""

    signal: Signal
    text: str
    p: float
    evidence: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SelectParams:
    """The probability model and the rules (defaults documented in docs/analysis/selection.md).

    Probabilities are per test and per signal; they combine by noisy-OR. Defaults were set on the
    mutation bench's in-sample project (cachetools) and checked on the others (held out).
    """

    p_line: float = 0.5  # P(fail) for covering one changed line (more lines: noisy-OR)
    p_import_time: float = 0.3  # the changed line runs at import and the test executes that file
    narrow_definitions: bool = True  # a changed def/decorator line reaches the tests running the body only
    narrow_import_time_calls: bool = True  # a body line run at import reaches the modules using the function only
    symbol_evidence: bool = True  # import-time lines: reach the tests using the names they define (symbols)
    p_symbol_ref: float = 0.3  # a test function mentions a changed symbol (or reads its module's namespace)
    p_symbol_module: float = 0.1  # only module-level code of the test's module mentions it (an import …)
    symbol_weak: float = 0.1  # × for names only newly (un)exported by a changed __all__
    p_use: float = 0.3  # a test covering a changed assignment also executes a later line reading the name
    p_symbol_line_ref: float = 0.01  # a test covering a changed line whose function mentions the enclosing function
    data_evidence: bool = True  # rank at-risk tests whose data meets the change's literals first (datamatch)
    p_data: float = 1.0  # × match weight in (0, 1] × the test's strongest at-risk probability (≤ 0.95)
    p_import_time_static: float = 0.1  # … and the test only imports it (divided by the import depth)
    p_file: float = 2e-6  # covers the changed file but none of its changed lines
    p_imports: float = 0.05  # imports a changed module (divided by the depth); tests the map knows
    p_imports_unmapped: float = 0.3  # same, for a test the map has never seen
    uncovered_fallback: bool = True  # a changed line no test covers: every test importing the module is at risk
    narrow_uncovered: bool = True  # … only those whose modules use the function holding it (static names)
    p_subprocess: float = 0.3  # a test runs the changed module in a subprocess (divided by the depth)
    p_unmapped: float = 0.01  # a test the map never saw, with no import relation either
    history_explained_away: float = 1e-5  # co-failure of a test the map shows not executing the changed lines
    history_weight: float = 1.0  # scale of the co-failure probability
    history_prior: float = 2.0  # pseudo-changes in the co-failure ratio (failures / (changes + prior))
    history_half_life_runs: float = 50.0  # decay of co-failures: weight halves every this many runs back
    recent_weight: float = 0.2  # P(fail) = recent failure rate × this
    flaky_discount: float = 0.1  # a known-flaky test's failures count this much
    prior: float = 1e-6  # any test, whatever the change
    max_changed_files: int = 20  # more changed files → full suite
    force_full_globs: tuple[str, ...] = ()
    always_run: tuple[str, ...] = ()  # identities or globs of identities / node ids
    test_globs: tuple[str, ...] = ("test_*.py", "*_test.py", "tests/*.py", "conftest.py")
    default_duration_s: float = 1.0  # a test with no stored duration


@dataclass(frozen=True)
class MapEntry:
    """One stored coverage row: a test's executed lines in one file."""

    test: str
    file: str
    ranges: str
    row_id: int | None = None


@dataclass
class CoverageIndex:
    """What selection needs of a coverage map: the rows of the changed files and the map's tests."""

    tests: Mapping[str, str | None]  # identity → node id
    all_params: frozenset[str] = frozenset()
    entries: Mapping[str, list[MapEntry]] = field(default_factory=dict)  # file → rows
    import_lines: Mapping[str, str] = field(default_factory=dict)  # file → ranges run at import
    files: frozenset[str] = frozenset()  # every file of the map
    map_id: int | None = None
    commit: str | None = None
    #: Tests with a result in a run of the map's commit: they ran where the map was measured, so one the
    #: map holds no line for executed no measured line (known, with an empty footprint), not unknown.
    ran: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TestInfo:
    """A test known to the store: duration and recent history."""

    __test__ = False

    identity: str
    node_id: str | None = None
    duration_s: float | None = None
    runs: int = 0
    failures: int = 0
    last_failed: int | None = None  # ordinal of the last failing run (higher = more recent)
    flaky: bool = False
    failing_result_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CoFailure:
    """How often a test failed when a file changed (decayed counts, and raw counts for the text)."""

    test: str
    file: str
    failures_w: float
    changes_w: float
    failures: int
    changes: int
    result_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ScoredTest:
    """A test's estimated failure probability, its reasons, and whether it was selected."""

    __test__ = False

    identity: str
    node_id: str | None
    score: float
    reasons: tuple[Reason, ...]
    selected: bool
    must_run: bool = False
    duration_s: float | None = None
    #: The probability from the change's signals only (without the recent failure rate, which says
    #: how often the test fails whatever the change): what safe mode bounds.
    change_score: float = 0.0


@dataclass(frozen=True)
class Uncovered:
    """Changed base-side lines of a source file that no test covers."""

    file: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class Selection:
    """The ranked tests and the selection made of them."""

    mode: Mode
    budget: Budget | None
    tests: tuple[ScoredTest, ...]  # ranked, most likely to fail first
    full_reasons: tuple[str, ...] = ()
    uncovered: tuple[Uncovered, ...] = ()
    changed_files: tuple[str, ...] = ()
    estimated_miss: float = 0.0  # P(a skipped test fails), by the model
    notes: tuple[str, ...] = ()

    @property
    def selected(self) -> tuple[ScoredTest, ...]:
        return tuple(t for t in self.tests if t.selected)

    @property
    def skipped(self) -> int:
        return sum(1 for t in self.tests if not t.selected)
