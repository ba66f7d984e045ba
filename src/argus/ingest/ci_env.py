"""Detect which CI job produced a report, and find or create the matching :class:`TestRun`.

Detection reads a mapping (normally ``os.environ``, passed in by the caller) for GitHub Actions,
GitLab CI, Jenkins, CircleCI, Buildkite and Azure Pipelines, in that order; outside CI it asks the git
checkout at ``cwd`` for ``HEAD`` and the branch. Explicit CLI flags override with
:func:`apply_overrides`.

A run's identity is ``(provider, run_id, job, attempt, job_id)``: ``run_id`` is the provider's
pipeline/workflow run (shared by its jobs), ``job`` the job name, ``attempt`` the retry number where
the provider exposes one, and ``job_id`` the provider's per-attempt job id where it has one instead
(GitLab, CircleCI, Buildkite), so a retried job is a new run. Without a ``run_id`` every ingestion
creates its own run. :mod:`argus.ingest.runs` finds or creates the run (and says what a missing job
means).
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from argus.core.values import MAX_CI_TEXT, MAX_INT32, clean_text

_GIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CiMetadata:
    """Where a report comes from: CI provider and job, commit, branch, and a few context variables."""

    provider: str | None = None  # github | gitlab | jenkins | circleci | buildkite | azure | None (local)
    run_id: str | None = None
    job: str | None = None
    attempt: int = 1
    commit_sha: str | None = None
    branch: str | None = None
    url: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    job_id: str | None = None


def _pick(env: Mapping[str, str], keys: Mapping[str, str]) -> dict[str, str]:
    """Copy the non-empty ``env`` values of ``keys`` (env name -> stored name)."""
    return {name: env[k] for k, name in keys.items() if env.get(k)}


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        return default


def _strip_ref(ref: str | None) -> str | None:
    if not ref:
        return None
    for prefix in ("refs/heads/", "origin/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _github(env: Mapping[str, str]) -> CiMetadata | None:
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    run_id = env.get("GITHUB_RUN_ID")
    attempt = _int(env.get("GITHUB_RUN_ATTEMPT"))
    url = None
    if run_id and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{run_id}/attempts/{attempt}"
    branch = env.get("GITHUB_HEAD_REF") or (
        env.get("GITHUB_REF_NAME") if env.get("GITHUB_REF_TYPE", "branch") == "branch" else None
    )
    return CiMetadata(
        provider="github",
        run_id=run_id,
        job=env.get("GITHUB_JOB"),
        attempt=attempt,
        commit_sha=env.get("GITHUB_SHA"),
        branch=branch or _strip_ref(env.get("GITHUB_REF")),
        url=url,
        environment=_pick(
            env,
            {
                "GITHUB_WORKFLOW": "workflow",
                "GITHUB_REPOSITORY": "repository",
                "GITHUB_EVENT_NAME": "event",
                "GITHUB_BASE_REF": "base_branch",
                "RUNNER_OS": "os",
                "RUNNER_ARCH": "arch",
            },
        ),
    )


def _gitlab(env: Mapping[str, str]) -> CiMetadata | None:
    if env.get("GITLAB_CI") != "true":
        return None
    return CiMetadata(
        provider="gitlab",
        run_id=env.get("CI_PIPELINE_ID"),
        job=env.get("CI_JOB_NAME"),
        job_id=env.get("CI_JOB_ID"),
        commit_sha=env.get("CI_COMMIT_SHA"),
        branch=env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or env.get("CI_COMMIT_BRANCH")
        or env.get("CI_COMMIT_REF_NAME"),
        url=env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL"),
        environment=_pick(
            env,
            {
                "CI_PROJECT_PATH": "repository",
                "CI_PIPELINE_SOURCE": "event",
                "CI_JOB_STAGE": "stage",
                "CI_MERGE_REQUEST_IID": "merge_request",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "base_branch",
                "CI_RUNNER_DESCRIPTION": "runner",
            },
        ),
    )


def _jenkins(env: Mapping[str, str]) -> CiMetadata | None:
    if not env.get("JENKINS_URL") and not env.get("JENKINS_HOME"):
        return None
    return CiMetadata(
        provider="jenkins",
        run_id=env.get("BUILD_NUMBER") or env.get("BUILD_ID"),
        job=env.get("JOB_NAME"),
        commit_sha=env.get("GIT_COMMIT"),
        branch=env.get("CHANGE_BRANCH") or env.get("BRANCH_NAME") or _strip_ref(env.get("GIT_BRANCH")),
        url=env.get("BUILD_URL"),
        environment=_pick(
            env,
            {"CHANGE_ID": "pull_request", "CHANGE_TARGET": "base_branch", "NODE_NAME": "node"},
        ),
    )


def _circleci(env: Mapping[str, str]) -> CiMetadata | None:
    if env.get("CIRCLECI") != "true":
        return None
    return CiMetadata(
        provider="circleci",
        run_id=env.get("CIRCLE_WORKFLOW_ID") or env.get("CIRCLE_BUILD_NUM"),
        job=env.get("CIRCLE_JOB"),
        job_id=env.get("CIRCLE_BUILD_NUM"),
        commit_sha=env.get("CIRCLE_SHA1"),
        branch=env.get("CIRCLE_BRANCH"),
        url=env.get("CIRCLE_BUILD_URL"),
        environment=_pick(
            env,
            {
                "CIRCLE_PROJECT_USERNAME": "owner",
                "CIRCLE_PROJECT_REPONAME": "repository",
                "CIRCLE_PULL_REQUEST": "pull_request",
                "CIRCLE_NODE_INDEX": "node_index",
            },
        ),
    )


def _buildkite(env: Mapping[str, str]) -> CiMetadata | None:
    if env.get("BUILDKITE") != "true":
        return None
    retry = env.get("BUILDKITE_RETRY_COUNT")
    return CiMetadata(
        provider="buildkite",
        run_id=env.get("BUILDKITE_BUILD_ID"),
        job=env.get("BUILDKITE_STEP_KEY") or env.get("BUILDKITE_LABEL"),
        attempt=int(retry) + 1 if retry and retry.isdigit() else 1,
        job_id=env.get("BUILDKITE_JOB_ID"),
        commit_sha=env.get("BUILDKITE_COMMIT"),
        branch=env.get("BUILDKITE_BRANCH"),
        url=env.get("BUILDKITE_BUILD_URL"),
        environment=_pick(
            env,
            {
                "BUILDKITE_PIPELINE_SLUG": "pipeline",
                "BUILDKITE_BUILD_NUMBER": "build_number",
                "BUILDKITE_PULL_REQUEST": "pull_request",
                "BUILDKITE_PULL_REQUEST_BASE_BRANCH": "base_branch",
                "BUILDKITE_AGENT_NAME": "agent",
            },
        ),
    )


def _azure(env: Mapping[str, str]) -> CiMetadata | None:
    if env.get("TF_BUILD", "").lower() != "true":
        return None
    run_id = env.get("BUILD_BUILDID")
    url = None
    if run_id and env.get("SYSTEM_COLLECTIONURI") and env.get("SYSTEM_TEAMPROJECT"):
        url = f"{env['SYSTEM_COLLECTIONURI'].rstrip('/')}/{env['SYSTEM_TEAMPROJECT']}/_build/results?buildId={run_id}"
    return CiMetadata(
        provider="azure",
        run_id=run_id,
        job=env.get("SYSTEM_JOBDISPLAYNAME") or env.get("AGENT_JOBNAME") or env.get("SYSTEM_JOBNAME"),
        attempt=_int(env.get("SYSTEM_JOBATTEMPT")),
        commit_sha=env.get("BUILD_SOURCEVERSION"),
        branch=_strip_ref(env.get("SYSTEM_PULLREQUEST_SOURCEBRANCH") or env.get("BUILD_SOURCEBRANCH")),
        url=url,
        environment=_pick(
            env,
            {
                "BUILD_DEFINITIONNAME": "pipeline",
                "BUILD_REPOSITORY_NAME": "repository",
                "BUILD_REASON": "event",
                "SYSTEM_PULLREQUEST_PULLREQUESTID": "pull_request",
                "SYSTEM_PULLREQUEST_TARGETBRANCH": "base_branch",
                "AGENT_OS": "os",
            },
        ),
    )


_DETECTORS: tuple[Callable[[Mapping[str, str]], CiMetadata | None], ...] = (
    _github,
    _gitlab,
    _jenkins,
    _circleci,
    _buildkite,
    _azure,
)


def _git(cwd: Path, *args: str) -> str | None:
    """Run one read-only git command; ``None`` when git is missing, fails or times out."""
    try:
        out = subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None


def git_checkout_metadata(cwd: Path) -> CiMetadata:
    """Commit (``HEAD``) and branch of the checkout at ``cwd`` (branch ``None`` when detached)."""
    sha = _git(cwd, "rev-parse", "--verify", "-q", "HEAD")
    branch = _git(cwd, "symbolic-ref", "--short", "-q", "HEAD") if sha else None
    return CiMetadata(commit_sha=sha, branch=branch)


def _from_environment(environ: Mapping[str, str]) -> CiMetadata | None:
    """The first CI provider recognised in ``environ`` (``None`` outside CI)."""
    for detect in _DETECTORS:
        meta = detect(environ)
        if meta is not None:
            return meta
    return None


def detect_ci_metadata(environ: Mapping[str, str], cwd: Path) -> CiMetadata:
    """Read CI metadata from ``environ``; outside CI (or when CI gives no commit) ask git at ``cwd``."""
    meta = _from_environment(environ)
    if meta is None:
        return git_checkout_metadata(cwd)
    if meta.commit_sha is None:
        local = git_checkout_metadata(cwd)
        meta = dataclasses.replace(meta, commit_sha=local.commit_sha, branch=meta.branch or local.branch)
    return meta


def resolve_ci_metadata(
    environ: Mapping[str, str],
    cwd: Path,
    *,
    commit_sha: str | None = None,
    branch: str | None = None,
    run_id: str | None = None,
    job: str | None = None,
    attempt: int | None = None,
    environment: Mapping[str, str] | None = None,
) -> CiMetadata:
    """:func:`detect_ci_metadata` then :func:`apply_overrides` (the command-line flags win).

    git can only supply the commit and the branch, so when both are given it is not asked (two
    ``git`` processes saved per command, e.g. per CI run fed by ``argus demo``); the CI environment
    is still read for the run, job, attempt and URL.
    """
    if commit_sha is not None and branch is not None:
        meta = _from_environment(environ) or CiMetadata()
    else:
        meta = detect_ci_metadata(environ, cwd)
    return bounded_metadata(apply_overrides(meta, commit_sha=commit_sha, branch=branch, run_id=run_id, job=job,
                                            attempt=attempt, environment=environment))


def bounded_metadata(meta: CiMetadata) -> CiMetadata:
    """``meta`` fitted to its columns: text cleaned (:func:`clean_text`) and cut to ``MAX_CI_TEXT`` (the
    commit to 64), an attempt outside 1..``MAX_INT32`` becomes 1. CLI options are refused earlier
    (``argus.cli.validate``); this covers values read from the CI environment (``GITHUB_RUN_ATTEMPT``
    of 20 digits, a 300-character ref), which must not fail the upload."""

    def fit(value: str | None, size: int = MAX_CI_TEXT) -> str | None:
        return None if value is None else clean_text(value)[:size]

    return dataclasses.replace(
        meta, provider=fit(meta.provider, 50), run_id=fit(meta.run_id), job=fit(meta.job), job_id=fit(meta.job_id),
        commit_sha=fit(meta.commit_sha, 64), branch=fit(meta.branch), url=fit(meta.url, 2000),
        attempt=meta.attempt if 1 <= meta.attempt <= MAX_INT32 else 1,
        environment={clean_text(k): clean_text(v) for k, v in meta.environment.items()},
    )


def apply_overrides(
    meta: CiMetadata,
    *,
    commit_sha: str | None = None,
    branch: str | None = None,
    run_id: str | None = None,
    job: str | None = None,
    attempt: int | None = None,
    environment: Mapping[str, str] | None = None,
) -> CiMetadata:
    """Return ``meta`` with every given (non-``None``) value replacing the detected one."""
    changes: dict[str, object] = {}
    if commit_sha is not None:
        changes["commit_sha"] = commit_sha
    if branch is not None:
        changes["branch"] = branch
    if run_id is not None:
        changes["run_id"] = run_id
        changes["job_id"] = None
        if meta.provider is None:
            changes["provider"] = "cli"
    if job is not None:
        changes["job"] = job
    if attempt is not None:
        changes["attempt"] = attempt
    if environment:
        changes["environment"] = {**meta.environment, **environment}
    return dataclasses.replace(meta, **changes)  # type: ignore[arg-type]
