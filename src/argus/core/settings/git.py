"""Settings of git history ingestion and SZZ (``[git]``, ``ARGUS_GIT__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
    szz_max_inducing_files: int = Field(
        100, description="A candidate inducing commit that changed more files than this (a bulk import, a mass "
        "rename or reformatting) is distrusted: its links are dropped; 0: no cap.",
    )
    szz_before_report: bool = Field(
        True, description="Drop candidate inducing commits authored after the bug report of the fix was created "
        "(when the fix is linked to a stored bug issue).",
    )
    szz_add_only_context: int = Field(
        2, ge=0, le=50, description="Fixes that only add lines: blame up to this many code lines above and below "
        "each insertion point (Sahal & Tosun 2018), stored as weaker `szz-context` links; 0: off (classic SZZ).",
    )
    szz_context_per_file: bool = Field(
        True, description="Apply szz_add_only_context file by file: a file where a fix inserts code but deletes or "
        "changes no blameable line has the code around its insertions blamed even when the fix changes lines of "
        "other files (a guard added to the buggy file, a tidy-up elsewhere); false: only fixes that delete "
        "nothing anywhere.",
    )
    szz_pick: str = Field(
        "latest", pattern=r"^(all|max-lines|latest|max-lines-latest)$",
        description="Which plausible candidates of a fix become links (Davies et al. 2014): all (classic SZZ), "
        "max-lines (L-SZZ: those owning most of the fix's blamed lines), latest (R-SZZ: the most recent), "
        "max-lines-latest (the most recent of the max-lines ones).",
    )
    szz_max_fix_added: int = Field(
        100, ge=0, description="A fix adding more source lines than this, and at least twice as many as it deletes, "
        "is shaped like a feature (a mistyped bug report, Herzig et al. 2013): it stays a fix but is not blamed; "
        "0: no limit.",
    )
    szz_max_inducing_per_fix: int = Field(
        0, ge=0, description="A fix whose blame names more distinct commits than this is distrusted (a feature or "
        "a tangled change, not one bug): none of its links is kept; 0: no cap.",
    )
    szz_min_link_share: float = Field(
        0.34, ge=0.0, le=1.0, description="A candidate owning less than this share of the lines a fix's blame "
        "attributed (deleted or changed lines, over all its files) is distrusted: collateral of a tangled fix "
        "(Williams & Spacco 2008 weight candidates by lines); 0: keep every candidate.",
    )
    szz_replay: bool = Field(
        True, description="First ingests of 1,000+ commits, and `argus ingest szz` on such histories: find the owners "
        "of the fixes' lines by one replay of the history (alongside the history pass) instead of one `git blame` per "
        "fix and file (only what the replay cannot answer is still blamed: see docs/ingest/git.md).",
    )
    szz_replay_min_commits: int = Field(
        1000, ge=0, description="Histories (new commits of an ingest, stored commits of `argus ingest szz`) shorter "
        "than this are blamed file by file: the replay's fixed cost of reading the whole history does not pay off.",
    )
    szz_replay_max_branches: int = Field(
        64, ge=0, description="Branch states the replay keeps at once (a commit's line owners while some of its "
        "children are still to come, shared copy-on-write); fixes on branches beyond this are blamed file by file.",
    )
    szz_workers: int = Field(2, description="Concurrent `git blame` processes during SZZ.")
    szz_commit_graph: bool = Field(
        True,
        description="Before SZZ, build git's commit-graph with changed-path filters in a temporary directory "
        "(never in the repository); several times faster blame.",
    )
    blob_cache_entries: int = Field(200_000, description="Blob line counts kept in memory for LT.")
    batch_commits: int = Field(1000, description="Commits written to the database per batch.")
