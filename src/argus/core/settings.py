"""The one Settings object: environment (prefix ``ARGUS_``), config file, documented defaults.

Precedence, highest first: explicit arguments, environment variables (``ARGUS_...``, nested with
``__``, e.g. ``ARGUS_FLAKY__QUARANTINE_THRESHOLD``), ``argus.toml`` (path from ``ARGUS_CONFIG`` or the
working directory), ``[tool.argus]`` in the working directory's ``pyproject.toml``, defaults.
Settings are built by :func:`load_settings` and passed down; nothing reads ``os.environ`` deeper in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from argus.core.errors import ConfigError


def default_home() -> Path:
    """``$XDG_DATA_HOME/argus`` (``~/.local/share/argus`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "argus"


class IngestSettings(BaseModel):
    """Limits for ingested files."""

    max_file_bytes: int = Field(256 * 1024 * 1024, description="Reject any input file larger than this.")
    max_output_chars: int = Field(
        64 * 1024, description="stdout/stderr/stack of one test result are truncated to this many characters."
    )
    max_message_chars: int = Field(8 * 1024, description="A failure message is truncated to this many characters.")


class FlakySettings(BaseModel):
    """Flaky/broken detection parameters (see docs/analysis/flaky.md)."""

    window_runs: int = Field(50, description="Rolling window of recent runs per test.")
    min_runs: int = Field(5, description="Minimum runs before a failure-rate or multi-dimensional score is reported.")
    outage_share: float = Field(
        0.5, description="A run where at least this share of tests fail is treated as an infrastructure outage."
    )
    quarantine_threshold: float = Field(0.7, description="Recommend quarantine above this flaky probability.")
    investigate_threshold: float = Field(0.5, description="Recommend investigation above this flaky probability.")
    fixed_after_passes: int = Field(20, description="Consecutive default-branch passes needed to mark a test fixed.")
    broken_min_consecutive: int = Field(
        2, description="Consecutive failed attempts (retries count) from a code change that can make a test broken."
    )
    broken_min_probability: float = Field(
        0.95, description="A failure streak is a regression when P(regression vs flaky streak) reaches this."
    )
    report_threshold: float = Field(0.2, description="Emit a flaky-test insight (action monitor) from this probability.")
    auto_quarantine: bool = Field(
        True,
        description="Move a test to quarantined when its action is quarantine and the evidence is strong: the "
        "P(flaky) interval's lower bound clears quarantine_threshold and a pass on retry or a pass of the same "
        "code shows the failures are intermittent (otherwise it stays active for a person to decide).",
    )
    history_days: int | None = Field(None, description="Only analyse runs started in the last N days (None: all).")
    prior_flaky: float = Field(0.05, description="Prior share of flaky tests (Bayesian model, docs/analysis/flaky.md).")
    noise_unconfirmed: float = Field(0.003, description="Mean per-run failure rate of a stable (non-flaky) test.")
    noise_confirmed: float = Field(0.001, description="The part of that noise a passing rerun can confirm.")
    samples_per_test: int = Field(20, description="Latest failure texts per test read for categorisation.")


class ClusterSettings(BaseModel):
    """Failure clustering parameters (see docs/analysis/failures.md)."""

    variable_min_distinct: int = Field(
        5, ge=2, description="A message column with at least this many distinct words is a variable."
    )
    variable_distinct_ratio: float = Field(
        0.5, gt=0, le=1, description="A column whose distinct words / messages reach this is a variable."
    )
    message_max_chars: int = Field(2000, ge=50, description="Only this head of a failure message is mined.")
    stack_split: Literal["always", "generic", "never"] = Field(
        "generic",
        description="Split a message template by the own-code stack fingerprint: always, only for generic "
        "templates (at most generic_max_words constant words after the first token), or never.",
    )
    generic_max_words: int = Field(2, ge=0, description="A template with at most this many constant words is generic.")
    stack_frames: int = Field(1, ge=1, description="Innermost own-code frames in the stack fingerprint.")
    extra_skip_paths: list[str] = Field(
        default_factory=list, description="More file substrings marking framework frames (besides the built-in list)."
    )
    extra_skip_modules: list[str] = Field(
        default_factory=list, description="More function prefixes marking framework frames (e.g. 'com.vendor.')."
    )
    samples_per_cluster: int = Field(5, ge=1, description="Sample messages kept per cluster.")
    batch_size: int = Field(5000, ge=100, description="Unclustered failures mined per batch.")
    evidence_per_claim: int = Field(10, ge=1, description="Evidence rows attached to one claim at most.")
    trend_window_days: int = Field(7, ge=1, description="Trend compares the last window with the one before it.")
    trend_up_ratio: float = Field(1.2, description="Trend is up when recent/previous exceeds this.")
    trend_down_ratio: float = Field(0.8, description="Trend is down when recent/previous is below this.")


#: Files SZZ blames by default: source code by extension (no docs, data, configuration or lock files).
SZZ_SOURCE_GLOBS = tuple(
    f"*.{ext}"
    for ext in ["py", "pyx", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "m", "mm", "java", "kt", "kts", "scala", "groovy", "clj", "cljs", "go", "rs", "swift", "cs", "fs", "vb", "js", "jsx", "mjs", "cjs", "ts", "tsx", "vue", "svelte", "rb", "php", "pl", "pm", "lua", "r", "jl", "dart", "ex", "exs", "erl", "hrl", "hs", "ml", "mli", "elm", "sql", "sh", "bash", "zsh", "ps1", "zig", "nim", "cr", "d", "f", "f90", "pas"]
)
#: Never blamed: generated, vendored, minified, lock and documentation files.
SZZ_EXCLUDE_GLOBS = (
    "vendor/", "third_party/", "third-party/", "node_modules/", "dist/", "build/", "target/", "generated/",
    "*.min.js", "*.bundle.js", "*.pb.go", "*_pb2.py", "*_pb2_grpc.py", "*.pb.cc", "*.pb.h", "*.g.dart",
    "*.generated.*", "*_generated.*", "*.designer.cs", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
    "Cargo.lock", "poetry.lock", "Pipfile.lock", "uv.lock", "go.sum", "composer.lock", "Gemfile.lock",
    "*.md", "*.mdx", "*.rst", "*.txt", "*.adoc", "docs/", "doc/",
)
#: Test files (not blamed while ``szz_exclude_tests``).
SZZ_TEST_GLOBS = (
    "test/", "tests/", "__tests__/", "spec/", "testdata/", "fixtures/", "test_*.py", "*_test.py", "*_test.go",
    "*.test.*", "*.spec.*", "*Test.java", "*Tests.java", "*IT.java", "*Test.kt", "*Tests.cs", "*_spec.rb",
    "conftest.py",
)


class GitSettings(BaseModel):
    """Git history ingestion: fix detection, SZZ labelling, limits (see docs/ingest/git.md)."""

    fix_patterns: list[str] = Field(
        default_factory=lambda: [
            r"\bfix(?:e[sd]|ing)?\b",
            r"\bbug(?:s|fix(?:es)?)?\b",
            r"\bhotfix(?:es)?\b",
            r"\bdefects?\b",
            r"\bfaults?\b",
            r"\bcrash(?:es|ed)?\b",
            r"\bregressions?\b",
        ],
        description="Case-insensitive regexes; a commit message matching one is a bug fix.",
    )
    issue_patterns: list[str] = Field(
        default_factory=lambda: [r"(?<![\w/&])#(\d+)\b", r"\b([A-Z][A-Z0-9]+-\d+)\b"],
        description="Regexes finding issue references (group 1 = issue id).",
    )
    bug_issue_ids: list[str] = Field(
        default_factory=list, description="Issue ids known to be bugs: a commit referencing one is a fix."
    )
    fix_commit_types: list[str] = Field(
        default_factory=lambda: ["fix", "bugfix", "hotfix"],
        description="Conventional-commit types (`fix:`, `fix(scope)!:`) that mark a bug fix whatever the message says.",
    )
    nonfix_commit_types: list[str] = Field(
        default_factory=lambda: ["feat", "docs", "doc", "chore", "ci", "style", "test", "tests", "build", "refactor",
                                 "release"],
        description="Conventional-commit types that are never fixes, even with 'fix' in the message "
        "('docs: fix typo'); other prefixes ('perf:', 'net:') fall back to the keywords.",
    )
    szz: bool = Field(True, description="Label bug-inducing commits (SZZ) after ingesting.")
    szz_include: list[str] = Field(
        default_factory=lambda: list(SZZ_SOURCE_GLOBS),
        description="Globs of the files SZZ blames (source code); a glob without '/' matches the file name.",
    )
    szz_exclude: list[str] = Field(
        default_factory=lambda: list(SZZ_EXCLUDE_GLOBS),
        description="Globs never blamed (docs, lock, generated, vendored, minified); 'dir/' matches a directory "
        "at any depth.",
    )
    szz_exclude_tests: bool = Field(True, description="Do not blame test files (`szz_test_globs`).")
    szz_test_globs: list[str] = Field(
        default_factory=lambda: list(SZZ_TEST_GLOBS), description="Globs of test files (see szz_exclude_tests)."
    )
    szz_max_files: int = Field(
        20, description="Fix commits changing more source files than this are not blamed (tangled changes)."
    )
    szz_max_fixes_per_inducing: int = Field(
        20, description="A commit blamed by more fixes than this (a bulk import, a reformatting) gets no links; 0: "
        "no cap.",
    )
    szz_workers: int = Field(2, description="Concurrent `git blame` processes during SZZ.")
    szz_commit_graph: bool = Field(
        True,
        description="Before SZZ, build git's commit-graph with changed-path filters in a temporary directory "
        "(never in the repository); several times faster blame.",
    )
    blob_cache_entries: int = Field(200_000, description="Blob line counts kept in memory for LT.")
    batch_commits: int = Field(1000, description="Commits written to the database per batch.")


def _seed(name: str, default: Any, description: str) -> Any:
    """A gate field readable as ``name`` (``ARGUS_GATE__NAME``, ``[gate]`` in argus.toml) or by its seed
    env name ``NAME.upper()`` (e.g. ``DELTA_COVERAGE``)."""
    return Field(default, validation_alias=AliasChoices(name, name.upper()), description=description)


class GateSettings(BaseSettings):
    """Adaptive quality gate (see docs/analysis/gate.md).

    Also read from the seed's bare env names (``DELTA_COVERAGE``, ``DELTA_VULN_HIGH``,
    ``DELTA_VULN_CRITICAL``, ``VULN_GATING``, ``MAX_HIGH``, ``MAX_CRITICAL``); ``ARGUS_GATE__*`` and
    the ``[gate]`` config table take precedence over them. Rule modes: ``block`` (fails the gate),
    ``warn`` (warns only), ``off``.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    baseline_runs: int = Field(10, ge=1, description="Baseline = the last N green builds on the default branch.")
    aggregate: str = Field("median", pattern="^(median|mean|last|min|max)$", description="How baseline builds combine.")
    default_coverage: float | None = Field(
        None,
        description="Baseline coverage (%) when no baseline build measured coverage; unset: with no history "
        "there is no regression, so the coverage-drop rule is skipped.",
    )
    default_high: int = Field(0, description="Baseline HIGH count when there is no baseline yet.")
    default_critical: int = Field(0, description="Baseline CRITICAL count when there is no baseline yet.")
    delta_coverage: float = _seed("delta_coverage", 5.0, "Fail when coverage drops by more than this many points.")
    delta_vuln_high: int = _seed("delta_vuln_high", 3, "Fail when more than this many new HIGH vulnerabilities.")
    delta_vuln_critical: int = _seed("delta_vuln_critical", 1, "Fail when more than this many new CRITICAL.")
    vuln_gating: bool = _seed("vuln_gating", False, "Also apply the absolute limits max_high / max_critical.")
    max_high: int = _seed("max_high", 10, "Absolute HIGH limit (only with vuln_gating).")
    max_critical: int = _seed("max_critical", 2, "Absolute CRITICAL limit (only with vuln_gating).")
    min_coverage: float | None = Field(
        None,
        description="Absolute coverage floor (%) of rule min_coverage (the original pipeline used 90); unset: "
        "off, only the relative rules judge coverage. Opt in per project in its argus.toml.",
    )
    changed_lines_min_pct: float = Field(80.0, description="Changed-line coverage below this (%) triggers its rule.")
    small_change_lines: int = Field(20, description="Diffs with fewer changed lines skip coverage rules.")
    duration_regression_pct: float = Field(25.0, description="Warn when total test time exceeds baseline by more (%).")
    duration_min_s: float = Field(10.0, description="Ignore duration regressions when the baseline is shorter (s).")
    rules: dict[str, str] = Field(
        default_factory=lambda: {
            "coverage_drop": "block",
            "new_high": "block",
            "new_critical": "block",
            "max_high": "block",
            "max_critical": "block",
            "min_coverage": "warn",
            "new_failures": "block",
            "already_failing": "warn",
            "newly_flaky": "warn",
            "duration": "warn",
            "changed_lines": "warn",
        },
        description="Mode per rule: block | warn | off (merged over the defaults).",
    )

    @field_validator("rules", mode="before")
    @classmethod
    def _merge_rules(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged = dict(cls.model_fields["rules"].get_default(call_default_factory=True))
        for rule, mode in value.items():
            if rule not in merged:
                raise ValueError(f"unknown gate rule {rule!r}; known: {', '.join(sorted(merged))}")
            if str(mode).lower() not in ("block", "warn", "off"):
                raise ValueError(f"rule {rule}: mode must be block, warn or off, got {mode!r}")
            merged[rule] = str(mode).lower()
        return merged


class Settings(BaseSettings):
    """Effective configuration of one Argus process."""

    model_config = SettingsConfigDict(
        env_prefix="ARGUS_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = Field(default_factory=default_home, description="Directory for the embedded database and artefacts.")
    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL; unset means SQLite at <home>/argus.db. PostgreSQL: postgresql+psycopg://..."
    )
    default_project: str = Field("default", description="Project used when a command is given none.")
    default_org: str = Field("default", description="Organisation owning projects created from the CLI.")
    default_branch: str = Field("main", description="Branch whose history forms baselines.")
    github_token: SecretStr | None = Field(None, description="Token for GitHub PR comments.")
    github_api_url: str = Field("https://api.github.com", description="GitHub REST base URL.")
    run_url: str | None = Field(
        None, description="Link shown for a CI run that stored none: a template with {ci_run_id} and {commit}, "
        "e.g. https://ci.example.com/builds/{ci_run_id}.",
    )
    ingest: IngestSettings = IngestSettings()
    flaky: FlakySettings = FlakySettings()
    clusters: ClusterSettings = ClusterSettings()
    gate: GateSettings = Field(default_factory=GateSettings)
    git: GitSettings = GitSettings()

    @field_validator("default_project", "default_org")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a URL SQLAlchemy cannot parse (e.g. a non-numeric port), without echoing it (secret)."""
        if value is None:
            return None
        from sqlalchemy.engine import make_url

        try:
            make_url(value.get_secret_value())
        except Exception as exc:
            hint = "the port must be a number" if isinstance(exc, ValueError) else "expected e.g. " \
                "postgresql+psycopg://user:password@host:5432/db or sqlite:////path/argus.db"
            raise ValueError(f"not a valid database URL ({hint}; escape @ : / in the password as %40 %3A %2F)") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("ARGUS_CONFIG", "argus.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        table = _pyproject_table(Path("pyproject.toml"))
        if table:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=table))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'argus.db'}"

    def masked(self) -> dict[str, Any]:
        """The settings as plain data with secrets and URL passwords masked (for ``argus config show``)."""
        data = self.model_dump(mode="json")
        data["database_url"] = mask_url(self.effective_database_url)
        data["github_token"] = "********" if self.github_token else None
        return data


def _pyproject_table(path: Path) -> dict[str, Any]:
    """The ``[tool.argus]`` table of ``path`` (empty when the file or table is absent)."""
    import tomllib

    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    table = data.get("tool", {}).get("argus", {})
    return table if isinstance(table, dict) else {}


def mask_url(url: str) -> str:
    """Hide the password of a database URL, also when the URL is malformed.

    Parsed with SQLAlchemy's ``make_url`` when that gives a plausible host; otherwise (unparsable, a
    non-numeric port, or an unescaped ``@`` in the password, which makes the parsed host contain
    ``@``) everything between ``user:`` and the last ``@`` before the path is masked.
    """
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        if "@" not in (parsed.host or "") and "@" not in (parsed.username or ""):
            return parsed.render_as_string(hide_password=True)
    except Exception:
        pass
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<unparsable>"
    at = rest.rfind("@")  # a password may contain "@", "/" or "?": mask up to the last "@"
    if at < 0:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{scheme}://{user}:***@{rest[at + 1:]}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; a malformed value raises :class:`ConfigError` naming the field."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise ConfigError(f"invalid setting {field}: {first.get('msg')}") from None
    except Exception as exc:  # a broken TOML file
        raise ConfigError(f"cannot read configuration: {exc}") from None
