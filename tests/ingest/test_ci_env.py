"""CI metadata detection (every provider, git fallback, overrides) and run matching on a real database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.ingest.ci_env import (
    CiMetadata,
    apply_overrides,
    detect_ci_metadata,
    resolve_ci_metadata,
)
from argus.ingest.runs import find_or_create_run
from argus.store.models import TestRun
from argus.store.session import unscoped

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_github_actions(tmp_path: Path) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_RUN_ID": "9876",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_JOB": "test",
        "GITHUB_SHA": SHA,
        "GITHUB_REF": "refs/pull/12/merge",
        "GITHUB_REF_NAME": "12/merge",
        "GITHUB_HEAD_REF": "feature/x",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_WORKFLOW": "CI",
        "RUNNER_OS": "Linux",
        "GITHUB_TOKEN": "secret-not-copied",
    }
    meta = detect_ci_metadata(env, tmp_path)
    assert meta == CiMetadata(
        provider="github",
        run_id="9876",
        job="test",
        attempt=2,
        commit_sha=SHA,
        branch="feature/x",
        url="https://github.com/acme/shop/actions/runs/9876/attempts/2",
        environment={"workflow": "CI", "repository": "acme/shop", "os": "Linux"},
    )


def test_github_push_branch_from_ref_name(tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1", "GITHUB_SHA": SHA, "GITHUB_REF_NAME": "main",
           "GITHUB_REF_TYPE": "branch"}
    meta = detect_ci_metadata(env, tmp_path)
    assert (meta.branch, meta.attempt, meta.url) == ("main", 1, None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"GITLAB_CI": "true", "CI_PIPELINE_ID": "55", "CI_JOB_NAME": "unit", "CI_JOB_ID": "777",
             "CI_COMMIT_SHA": SHA, "CI_COMMIT_REF_NAME": "dev", "CI_JOB_URL": "https://gl/j/777"},
            ("gitlab", "55", "unit", 1, "777", "dev", "https://gl/j/777"),
        ),
        (
            {"JENKINS_URL": "https://ci/", "BUILD_NUMBER": "41", "JOB_NAME": "shop/main", "GIT_COMMIT": SHA,
             "GIT_BRANCH": "origin/main", "BUILD_URL": "https://ci/job/shop/41/"},
            ("jenkins", "41", "shop/main", 1, None, "main", "https://ci/job/shop/41/"),
        ),
        (
            {"CIRCLECI": "true", "CIRCLE_WORKFLOW_ID": "wf-1", "CIRCLE_JOB": "test", "CIRCLE_BUILD_NUM": "300",
             "CIRCLE_SHA1": SHA, "CIRCLE_BRANCH": "fix", "CIRCLE_BUILD_URL": "https://circle/300"},
            ("circleci", "wf-1", "test", 1, "300", "fix", "https://circle/300"),
        ),
        (
            {"BUILDKITE": "true", "BUILDKITE_BUILD_ID": "b-1", "BUILDKITE_STEP_KEY": "rspec",
             "BUILDKITE_RETRY_COUNT": "1", "BUILDKITE_JOB_ID": "j-2", "BUILDKITE_COMMIT": SHA,
             "BUILDKITE_BRANCH": "main", "BUILDKITE_BUILD_URL": "https://bk/b/1"},
            ("buildkite", "b-1", "rspec", 2, "j-2", "main", "https://bk/b/1"),
        ),
        (
            {"TF_BUILD": "True", "BUILD_BUILDID": "88", "SYSTEM_JOBDISPLAYNAME": "Tests", "SYSTEM_JOBATTEMPT": "3",
             "BUILD_SOURCEVERSION": SHA, "BUILD_SOURCEBRANCH": "refs/heads/release/1.2",
             "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/", "SYSTEM_TEAMPROJECT": "shop"},
            ("azure", "88", "Tests", 3, None, "release/1.2", "https://dev.azure.com/acme/shop/_build/results?buildId=88"),
        ),
    ],
)
def test_other_providers(tmp_path: Path, env: dict[str, str], expected: tuple[object, ...]) -> None:
    m = detect_ci_metadata(env, tmp_path)
    assert (m.provider, m.run_id, m.job, m.attempt, m.job_id, m.branch, m.url) == expected
    assert m.commit_sha == SHA


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_git_checkout_fallback(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    (repo / "a.txt").write_text("a")
    _git(repo, "add", "a.txt")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    head = _git(repo, "rev-parse", "HEAD")
    meta = detect_ci_metadata({"PATH": "/usr/bin"}, repo)
    assert meta == CiMetadata(commit_sha=head, branch="trunk")
    _git(repo, "checkout", "-q", "--detach")
    assert detect_ci_metadata({}, repo) == CiMetadata(commit_sha=head, branch=None)


def test_no_ci_no_git(tmp_path: Path) -> None:
    assert detect_ci_metadata({}, tmp_path) == CiMetadata()


def _counting_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a ``git`` first on PATH that records each call, then runs the real git."""
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True, check=True).stdout.strip()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    calls = tmp_path / "git-calls"
    script = bindir / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    return calls


def test_flags_with_commit_and_branch_skip_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting_git(tmp_path, monkeypatch)
    meta = resolve_ci_metadata({}, tmp_path, commit_sha=SHA, branch="main", run_id="7", attempt=2)
    assert meta == CiMetadata(provider="cli", run_id="7", attempt=2, commit_sha=SHA, branch="main")
    assert not calls.exists()
    github = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "5", "GITHUB_JOB": "test"}  # CI without a commit
    meta = resolve_ci_metadata(github, tmp_path, commit_sha=SHA, branch="dev")
    assert (meta.provider, meta.run_id, meta.job, meta.commit_sha, meta.branch) == ("github", "5", "test", SHA, "dev")
    assert not calls.exists()


def test_flags_without_branch_still_ask_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    (repo / "a.txt").write_text("a")
    _git(repo, "add", "a.txt")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    calls = _counting_git(tmp_path, monkeypatch)
    meta = resolve_ci_metadata({}, repo, commit_sha=SHA)
    assert (meta.commit_sha, meta.branch) == (SHA, "trunk")
    assert calls.read_text().count("\n") == 2  # rev-parse HEAD, symbolic-ref
    head = _git(repo, "rev-parse", "HEAD")
    assert resolve_ci_metadata({}, repo, branch="x") == CiMetadata(commit_sha=head, branch="x")


def test_overrides_win() -> None:
    meta = CiMetadata(provider="github", run_id="1", job="j", job_id="x", commit_sha="a", environment={"os": "L"})
    out = apply_overrides(meta, commit_sha="b", branch="br", run_id="2", attempt=4, environment={"py": "3.12"})
    assert out == CiMetadata(provider="github", run_id="2", job="j", attempt=4, commit_sha="b", branch="br",
                             environment={"os": "L", "py": "3.12"})
    assert apply_overrides(CiMetadata(), run_id="r").provider == "cli"


def _runs(session: Session) -> int:
    with unscoped(session, reason="test: count runs of every project"):
        return session.scalar(select(func.count()).select_from(TestRun)) or 0


def test_find_or_create_run_matches_ci_identity(project_session: Session) -> None:
    meta = CiMetadata(provider="github", run_id="9", job="test", attempt=1, commit_sha=SHA)
    first = find_or_create_run(project_session, meta)
    again = find_or_create_run(project_session, CiMetadata(provider="github", run_id="9", job="test",
                                                           branch="main", environment={"k": "v"}))
    assert again.id == first.id
    assert (again.commit_sha, again.branch, again.environment) == (SHA, "main", {"k": "v"})
    retry = find_or_create_run(project_session, CiMetadata(provider="github", run_id="9", job="test", attempt=2))
    other_job = find_or_create_run(project_session, CiMetadata(provider="github", run_id="9", job="lint"))
    assert len({first.id, retry.id, other_job.id}) == 3
    assert _runs(project_session) == 3


def test_runs_without_ci_id_are_never_shared(project_session: Session) -> None:
    a = find_or_create_run(project_session, CiMetadata(commit_sha=SHA))
    b = find_or_create_run(project_session, CiMetadata(commit_sha=SHA))
    assert a.id != b.id
    assert (a.ci_provider, a.ci_attempt, a.environment) == (None, 1, {})
