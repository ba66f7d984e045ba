"""The semantic layer: the documented, versioned, read-only views a question may be asked against.

A view is not a database object: its definition is a SELECT over the store's tables that the guard
(:mod:`argus.analysis.query.guard`) expands, as a subquery, in place of every reference to the view
in a query, with the tenant predicate bound to the caller's project on **every** base table it reads
(each definition marks them with ``:tenant``; a test checks none is missing). Nothing is created in
the database, so there is no migration, no view to drift from the models, and a view can change with
its :attr:`View.version` without touching stored data. See docs/query.md for the reasoning.

The descriptions are what ``argus schema`` prints and what a language model is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Version of the semantic layer as a whole (bumped when any view changes incompatibly).
LAYER_VERSION = "1"
#: The name every view definition uses for the project the query is confined to.
TENANT = "tenant"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer | number | text | boolean | timestamp
    description: str


@dataclass(frozen=True)
class View:
    name: str
    version: str
    description: str
    columns: tuple[Column, ...]
    #: The definition; ``{json_verdict}``-style holes are filled per dialect (:data:`DIALECT_HOLES`).
    definition: str
    examples: tuple[str, ...] = ()

    def column_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns)

    def sql(self, dialect: str) -> str:
        return self.definition.format(**DIALECT_HOLES[dialect])


#: Expressions that differ between SQLite and PostgreSQL, by the store's sqlglot dialect name.
DIALECT_HOLES: dict[str, dict[str, str]] = {
    "sqlite": {"verdict": "json_extract(i.data, '$.verdict')"},
    "postgres": {"verdict": "CAST(i.data AS JSON) ->> 'verdict'"},
}


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


VIEWS: tuple[View, ...] = (
    View(
        "runs", "1", "One CI test run (one job's upload of test reports), with its totals.",
        (
            _c("run_id", "integer", "Identifier of the run."),
            _c("commit_sha", "text", "Commit the run tested."),
            _c("branch", "text", "Branch the run tested."),
            _c("ci_provider", "text", "CI system (github, gitlab, ...)."),
            _c("ci_job", "text", "CI job name."),
            _c("ci_run_id", "text", "CI pipeline/workflow run id."),
            _c("started_at", "timestamp", "When the run started (UTC)."),
            _c("finished_at", "timestamp", "When the run finished (UTC), if known."),
            _c("tests", "integer", "Distinct tests in the run."),
            _c("passed", "integer", "Tests that passed."),
            _c("failed", "integer", "Tests that failed."),
            _c("errors", "integer", "Tests that errored."),
            _c("skipped", "integer", "Tests that were skipped."),
            _c("duration_s", "number", "Summed test duration in seconds."),
        ),
        "SELECT r.id AS run_id, r.commit_sha, r.branch, r.ci_provider, r.ci_job, r.ci_run_id, r.started_at, "
        "r.finished_at, r.tests, r.passed, r.failed, r.errors, r.skipped, r.duration_s "
        "FROM test_run AS r WHERE r.project_id = :tenant",
        ("How many runs failed on main?", "Which CI job has the most failed runs?"),
    ),
    View(
        "tests", "1", "One test case as identified across runs.",
        (
            _c("test_id", "integer", "Identifier of the test case."),
            _c("test", "text", "Stable identity of the test (suite::class::name)."),
            _c("name", "text", "Test name."),
            _c("suite", "text", "Test suite."),
            _c("classname", "text", "Class or module of the test."),
            _c("file", "text", "Source file of the test, if reported."),
            _c("first_seen_at", "timestamp", "First time the test was seen."),
            _c("last_seen_at", "timestamp", "Last time the test was seen."),
        ),
        "SELECT t.id AS test_id, t.identity AS test, t.name, t.suite, t.classname, t.file, t.first_seen_at, "
        "t.last_seen_at FROM test_case AS t WHERE t.project_id = :tenant",
        ("Which tests were seen for the first time this week?",),
    ),
    View(
        "test_results", "1", "One attempt of one test in one run (retries are separate rows).",
        (
            _c("result_id", "integer", "Identifier of the result."),
            _c("run_id", "integer", "Run the result belongs to (see runs)."),
            _c("test_id", "integer", "Test case (see tests)."),
            _c("test", "text", "Stable identity of the test."),
            _c("outcome", "text", "passed | failed | error | skipped."),
            _c("attempt", "integer", "0 for the first attempt, 1.. for retries."),
            _c("duration_s", "number", "Duration of the attempt in seconds."),
            _c("message", "text", "Failure message, if it failed."),
            _c("failure_type", "text", "Exception or failure type, if it failed."),
            _c("cluster_id", "integer", "Failure cluster of the failure (see clusters)."),
            _c("is_flaky_rerun", "boolean", "A retry that passed after a failure in the same run."),
            _c("branch", "text", "Branch of the run."),
            _c("commit_sha", "text", "Commit of the run."),
            _c("ci_job", "text", "CI job of the run."),
            _c("started_at", "timestamp", "When the run started (UTC)."),
        ),
        "SELECT x.id AS result_id, x.run_id, x.test_case_id AS test_id, t.identity AS test, x.outcome, x.attempt, "
        "x.duration_s, x.message, x.failure_type, x.cluster_id, x.is_flaky_rerun, r.branch, r.commit_sha, "
        "r.ci_job, r.started_at FROM test_result AS x JOIN test_case AS t ON t.id = x.test_case_id "
        "JOIN test_run AS r ON r.id = x.run_id "
        "WHERE x.project_id = :tenant AND t.project_id = :tenant AND r.project_id = :tenant",
        ("Which tests failed most often?", "What is the slowest test on average?"),
    ),
    View(
        "flaky_states", "1", "Lifecycle state of each test the flaky analysis judged.",
        (
            _c("test", "text", "Stable identity of the test."),
            _c("state", "text", "detected | quarantined | fixing | fixed | ... (lifecycle state)."),
            _c("probability", "number", "Estimated probability the test is flaky (0..1)."),
            _c("category", "text", "Likely cause category (timing, order, resource, ...)."),
            _c("action", "text", "Recommended action."),
            _c("wasted_s", "number", "CI seconds wasted by its flaky failures."),
            _c("manual", "boolean", "State set by a person rather than the analysis."),
            _c("consecutive_passes", "integer", "Passes in a row since the last flaky failure."),
            _c("detected_at", "timestamp", "When it was first detected."),
            _c("quarantined_at", "timestamp", "When it was quarantined, if it was."),
            _c("fixed_at", "timestamp", "When it was judged fixed, if it was."),
        ),
        "SELECT t.identity AS test, f.state, f.probability, f.category, f.action, f.wasted_s, f.manual, "
        "f.consecutive_passes, f.detected_at, f.quarantined_at, f.fixed_at FROM flaky_test_state AS f "
        "JOIN test_case AS t ON t.id = f.test_case_id WHERE f.project_id = :tenant AND t.project_id = :tenant",
        ("Which tests are quarantined?", "Which flaky tests waste the most CI time?"),
    ),
    View(
        "clusters", "1", "A group of failures believed to share one root cause.",
        (
            _c("cluster_id", "integer", "Identifier of the cluster."),
            _c("template", "text", "Failure message template (variable parts masked)."),
            _c("failure_type", "text", "Exception or failure type."),
            _c("failures", "integer", "Failures in the cluster."),
            _c("first_seen_at", "timestamp", "First failure of the cluster."),
            _c("last_seen_at", "timestamp", "Latest failure of the cluster."),
        ),
        "SELECT c.id AS cluster_id, c.template, c.failure_type, c.count AS failures, c.first_seen_at, "
        "c.last_seen_at FROM failure_cluster AS c WHERE c.project_id = :tenant",
        ("What are the biggest failure clusters?",),
    ),
    View(
        "insights", "1", "A finding of an analysis (flaky test, broken test, cluster, gate verdict, risk...).",
        (
            _c("insight_id", "integer", "Identifier of the insight."),
            _c("kind", "text", "flaky_test | broken_test | failure_cluster | gate_verdict | ..."),
            _c("subject_type", "text", "What the insight is about (test, build, commit, ...)."),
            _c("subject", "text", "Identifier of the subject."),
            _c("title", "text", "One-line title."),
            _c("confidence", "number", "Calibrated confidence (0..1)."),
            _c("review_tier", "text", "How much human review it needs."),
            _c("action", "text", "Recommended action."),
            _c("created_at", "timestamp", "When it was recorded."),
            _c("current", "integer", "1 if not superseded by a newer insight, else 0."),
        ),
        "SELECT i.id AS insight_id, i.kind, i.subject_type, i.subject_id AS subject, i.title, i.confidence, "
        "i.review_tier, i.action, i.created_at, CASE WHEN i.superseded_by IS NULL THEN 1 ELSE 0 END "
        "AS current FROM insight AS i WHERE i.project_id = :tenant",
        ("How many insights of each kind are there?",),
    ),
    View(
        "gate_verdicts", "1", "The quality gate's verdict on a build (current verdicts only).",
        (
            _c("insight_id", "integer", "Identifier of the verdict insight."),
            _c("build", "text", "Build (commit or CI run key) that was judged."),
            _c("verdict", "text", "pass | warn | fail."),
            _c("title", "text", "One-line explanation."),
            _c("confidence", "number", "Confidence in the verdict (0..1)."),
            _c("created_at", "timestamp", "When the gate ran."),
        ),
        "SELECT i.id AS insight_id, i.subject_id AS build, {verdict} AS verdict, i.title, i.confidence, "
        "i.created_at FROM insight AS i WHERE i.project_id = :tenant AND i.kind = 'gate_verdict' "
        "AND i.superseded_by IS NULL",
        ("How many builds did the gate fail?",),
    ),
    View(
        "commits", "1", "A commit of the project's repository.",
        (
            _c("sha", "text", "Commit hash."),
            _c("author_name", "text", "Author name."),
            _c("author_email", "text", "Author e-mail."),
            _c("author_time", "timestamp", "When it was authored (UTC)."),
            _c("committer_time", "timestamp", "When it was committed (UTC)."),
            _c("message", "text", "Commit message."),
            _c("is_merge", "boolean", "A merge commit."),
            _c("is_fix", "boolean", "A bug-fixing commit."),
            _c("branch", "text", "Branch it was ingested from."),
        ),
        "SELECT c.sha, c.author_name, c.author_email, c.author_time, c.committer_time, c.message, c.is_merge, "
        "c.is_fix, c.branch FROM \"commit\" AS c WHERE c.project_id = :tenant",
        ("Who authored the most commits?", "How many commits were fixes?"),
    ),
    View(
        "commit_files", "1", "A file changed by a commit.",
        (
            _c("sha", "text", "Commit hash."),
            _c("path", "text", "Path of the file."),
            _c("change_type", "text", "A added, M modified, D deleted, R renamed."),
            _c("lines_added", "integer", "Lines added."),
            _c("lines_deleted", "integer", "Lines deleted."),
        ),
        "SELECT c.sha, f.path, f.change_type, f.lines_added, f.lines_deleted FROM commit_file AS f "
        "JOIN \"commit\" AS c ON c.id = f.commit_id WHERE f.project_id = :tenant AND c.project_id = :tenant",
        ("Which files change most often?",),
    ),
    View(
        "commit_features", "1", "Just-in-time defect-prediction features of a commit (Kamei et al.).",
        (
            _c("sha", "text", "Commit hash."),
            _c("ns", "number", "Subsystems touched."),
            _c("nd", "number", "Directories touched."),
            _c("nf", "number", "Files touched."),
            _c("entropy", "number", "Spread of the change across files."),
            _c("la", "number", "Lines added."),
            _c("ld", "number", "Lines deleted."),
            _c("lt", "number", "Lines in the touched files before the change."),
            _c("ndev", "number", "Developers who changed the files before."),
            _c("age", "number", "Mean days since the files were last changed."),
            _c("exp", "number", "Author experience (commits)."),
        ),
        "SELECT c.sha, x.ns, x.nd, x.nf, x.entropy, x.la, x.ld, x.lt, x.ndev, x.age, x.exp "
        "FROM commit_features AS x JOIN \"commit\" AS c ON c.id = x.commit_id "
        "WHERE x.project_id = :tenant AND c.project_id = :tenant",
        ("Which commits touched the most files?",),
    ),
    View(
        "deployments", "1", "A deployment to an environment (from the delivery sources).",
        (
            _c("deployment", "text", "External id of the deployment."),
            _c("name", "text", "Name of the deployment."),
            _c("environment", "text", "Target environment (production, staging, ...)."),
            _c("result", "text", "Result (success, failure, ...)."),
            _c("started_at", "timestamp", "When it started (UTC)."),
            _c("finished_at", "timestamp", "When it finished (UTC)."),
        ),
        "SELECT d.ext_id AS deployment, d.name, d.environment, d.result, d.started_at, d.finished_at "
        "FROM delivery_deployment AS d WHERE d.project_id = :tenant",
        ("How many production deployments failed?",),
    ),
    View(
        "pull_requests", "1", "A pull or merge request.",
        (
            _c("pull_request", "text", "External id of the pull request."),
            _c("repo", "text", "Repository."),
            _c("number", "integer", "Number of the pull request."),
            _c("title", "text", "Title."),
            _c("status", "text", "open | merged | closed."),
            _c("base_branch", "text", "Branch it targets."),
            _c("created_at", "timestamp", "When it was opened."),
            _c("merged_at", "timestamp", "When it was merged, if it was."),
            _c("closed_at", "timestamp", "When it was closed, if it was."),
            _c("first_commit_at", "timestamp", "Time of its first commit."),
            _c("first_review_at", "timestamp", "Time of its first review."),
        ),
        "SELECT p.ext_id AS pull_request, p.repo, p.number, p.title, p.status, p.base_branch, p.created_at, "
        "p.merged_at, p.closed_at, p.first_commit_at, p.first_review_at FROM delivery_pull_request AS p "
        "WHERE p.project_id = :tenant",
        ("How many pull requests were merged?", "Which repository has the most open pull requests?"),
    ),
    View(
        "incidents", "1", "An incident (outage, production bug) from the delivery sources.",
        (
            _c("incident", "text", "External id of the incident."),
            _c("title", "text", "Title."),
            _c("status", "text", "Status (open, resolved, ...)."),
            _c("created_at", "timestamp", "When it was opened."),
            _c("resolved_at", "timestamp", "When it was resolved, if it was."),
            _c("service", "text", "Repository or service affected."),
        ),
        "SELECT n.ext_id AS incident, n.title, n.status, n.created_at, n.resolved_at, n.repo_or_service AS service "
        "FROM delivery_incident AS n WHERE n.project_id = :tenant",
        ("How many incidents are still open?", "Which service had the most incidents?"),
    ),
    View(
        "pipelines", "1", "A CI/CD pipeline run from the delivery sources.",
        (
            _c("pipeline", "text", "External id of the pipeline."),
            _c("name", "text", "Pipeline name."),
            _c("type", "text", "Pipeline type (build, deploy, ...)."),
            _c("result", "text", "Result (success, failure, ...)."),
            _c("environment", "text", "Environment, for deploy pipelines."),
            _c("started_at", "timestamp", "When it started."),
            _c("finished_at", "timestamp", "When it finished."),
            _c("duration_sec", "number", "Duration in seconds."),
        ),
        "SELECT p.ext_id AS pipeline, p.name, p.type, p.result, p.environment, p.started_at, p.finished_at, "
        "p.duration_sec FROM delivery_pipeline AS p WHERE p.project_id = :tenant",
        ("What is the average pipeline duration?",),
    ),
)

VIEWS_BY_NAME: dict[str, View] = {v.name: v for v in VIEWS}


def schema_doc() -> dict[str, object]:
    """The semantic layer as a JSON-able document (``argus schema --json``; an LLM's prompt)."""
    return {
        "version": LAYER_VERSION,
        "views": [
            {"name": v.name, "version": v.version, "description": v.description,
             "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in v.columns],
             "examples": list(v.examples)}
            for v in VIEWS
        ],
    }


def schema_text() -> str:
    """The semantic layer as compact text (what ``argus schema`` prints and a model is shown)."""
    lines = [f"Semantic layer v{LAYER_VERSION}: read-only views, one project each."]
    for v in VIEWS:
        lines.append("")
        lines.append(f"{v.name} (v{v.version}): {v.description}")
        for c in v.columns:
            lines.append(f"  {c.name} {c.type}: {c.description}")
        for e in v.examples:
            lines.append(f"  e.g. {e}")
    return "\n".join(lines)
