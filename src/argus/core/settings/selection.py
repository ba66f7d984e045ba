"""Settings of test selection (``[selection]``, ``ARGUS_SELECTION__*``; also the seed's bare
``TEST_SELECTION_THRESHOLD`` and ``TEST_SELECTION_ENABLED``).

``SelectParams`` (argus.analysis.selection.schemas) is derived from them with
:func:`argus.core.settings.derive`; the model's probabilities keep their documented defaults there.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Changes that force the whole suite: CI configuration, lock files, dependency manifests, conftest.py.
FORCE_FULL_GLOBS: tuple[str, ...] = (
    ".github/*", ".gitlab-ci.yml", ".gitlab/*", ".circleci/*", "Jenkinsfile", "azure-pipelines.yml", ".ci/*",
    "*.lock", "requirements*.txt", "requirements/*", "constraints*.txt", "pyproject.toml", "setup.py",
    "setup.cfg", "Pipfile", "tox.ini", "noxfile.py", "pytest.ini", "conftest.py", ".coveragerc",
)


class SelectionSettings(BaseSettings):
    """Predictive test selection (see docs/analysis/selection.md)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    not_params: ClassVar[dict[str, str]] = {
        "enabled": "the use case: when off, every selection is the full suite",
        "default_confidence": "the CLI's budget when none is given (safe mode)",
        "history_runs": "queries: how many recent runs history reads",
        "scan_cache": "the use case: whether the tree's scan goes through the per-file scan cache",
        "scan_cache_dir": "the use case: where the per-file scan cache is kept",
    }

    enabled: bool = Field(True, validation_alias=AliasChoices("enabled", "TEST_SELECTION_ENABLED"),
                          description="Off: `argus select` always selects the full suite (mode full).")
    max_changed_files: int = Field(
        20, ge=0, validation_alias=AliasChoices("max_changed_files", "TEST_SELECTION_THRESHOLD"),
        description="More changed files than this → full suite.")
    force_full_globs: tuple[str, ...] = Field(FORCE_FULL_GLOBS, description="Changed paths forcing the full suite "
                                              "(fnmatch on the path, or on the name for globs without '/').")
    always_run: tuple[str, ...] = Field((), description="Tests that always run (identities, node ids or globs).")
    test_globs: tuple[str, ...] = Field(("test_*.py", "*_test.py", "conftest.py"),
                                        description="Files that are tests (new or edited tests always run).")
    default_confidence: float = Field(0.99, gt=0, lt=1, description="Safe-mode confidence when no budget is given.")
    history_runs: int = Field(500, ge=0, description="Recent runs read for history (co-failure, failure rate).")
    history_half_life_runs: float = Field(50.0, gt=0, description="Co-failure weight halves every N runs back.")
    prior: float = Field(1e-6, ge=0, lt=1, description="Failure probability of any test, whatever the change.")
    p_file: float = Field(2e-6, ge=0, lt=1, description="P(fail) of a test covering the changed file, not its "
                          "changed lines.")
    symbol_evidence: bool = Field(True, description="A changed line run at import (def/class header, decorator, "
                                  "constant, __all__) reaches only the tests using the names it defines, when the "
                                  "analysis of those names is complete; off: every test using the module.")
    data_evidence: bool = Field(True, description="Rank first, among the tests already at risk, those whose "
                                "parameters or literals meet the literals the change touches (the changed "
                                "lines, the arguments of module-level calls to a changed function).")
    p_data: float = Field(1.0, ge=0, le=1, description="For a test whose data meets the change's data: P(fail) "
                          "added = this × a match weight in (0, 1] × the test's strongest at-risk probability.")
    default_duration_s: float = Field(1.0, gt=0, description="Duration of a test with none stored (--max-time).")
    scan_cache: bool = Field(True, description="Keep each source file's scan facts (import graph, symbols) between "
                             "runs, keyed by its content hash: only changed files are parsed again. Off: every "
                             "`argus select` parses the whole tree.")
    scan_cache_dir: Path | None = Field(None, description="Directory of the scan cache (one SQLite file per "
                                        "tree); unset: <home>/scan-cache. Delete it to clear the cache.")
