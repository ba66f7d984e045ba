"""Ingestion runs against a real database: incremental, force-push, bare, shallow, bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from git_repo_builder import DAY, T0, Repo, lines
from sqlalchemy import select

from argus.core.errors import InputError
from argus.core.settings import GitSettings
from argus.ingest.git.service import ingest_git
from argus.store.models import Commit, CommitFeatures, CommitFile, GitIngestState, Project
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to

NO_SZZ = GitSettings(szz=False)


def linear(r: Repo, n: int, start: int = 0) -> list[str]:
    shas = []
    for i in range(start, start + n):
        r.write(f"pkg{i % 2}/f{i}.txt", lines(i + 1))
        shas.append(r.commit(f"change {i}", when=T0 + i * DAY))
    return shas


def count(session, model) -> int:
    """Rows of ``model`` visible in the session's project scope."""
    return len(session.scalars(select(model)).all())


def test_incremental_second_run_reads_only_new_commits(make_repo, project_session):
    r = make_repo()
    linear(r, 3)
    first = ingest_git(project_session, r.path, NO_SZZ)
    assert (first.mode, first.commits_read, first.commits_new) == ("full", 3, 3)
    again = ingest_git(project_session, r.path, NO_SZZ)
    assert again.mode == "up-to-date" and again.commits_read == 0
    new = linear(r, 2, start=3)
    second = ingest_git(project_session, r.path, NO_SZZ)
    assert (second.mode, second.commits_read, second.commits_new) == ("incremental", 2, 2)
    assert count(project_session, Commit) == 5 and count(project_session, CommitFeatures) == 5
    # the feature state carried over: the author's experience counts the earlier run's commits
    last = project_session.scalars(select(CommitFeatures).join(Commit).where(Commit.sha == new[-1])).one()
    assert last.exp == 4
    state = project_session.scalars(select(GitIngestState)).one()
    assert (state.branch, state.tip_sha, state.commits) == ("main", new[-1], 5)
    project = project_session.get(Project, state.project_id)
    assert project.repo_path == str(r.path.resolve())


def test_force_push_marks_vanished_commits_and_rebuilds(make_repo, project_session):
    r = make_repo()
    kept, dropped1, dropped2 = linear(r, 3)
    ingest_git(project_session, r.path, NO_SZZ)
    r.git("reset", "-q", "--hard", kept)
    r.write("other.txt", "rewritten history\n")
    replacement = r.commit("replacement", when=T0 + 10 * DAY)
    result = ingest_git(project_session, r.path, NO_SZZ)
    assert result.mode == "rebuild" and result.marked_absent == 2 and result.commits_new == 1
    present = dict(project_session.execute(select(Commit.sha, Commit.present)).all())
    assert present == {kept: True, dropped1: False, dropped2: False, replacement: True}
    # features were recomputed from the surviving history only: the author has one earlier change
    f = project_session.scalars(select(CommitFeatures).join(Commit).where(Commit.sha == replacement)).one()
    assert f.exp == 1
    # the old commits come back (e.g. force-pushed again): present again, not duplicated
    r.git("reset", "-q", "--hard", dropped2)
    back = ingest_git(project_session, r.path, NO_SZZ)
    assert back.restored == 2 and back.marked_absent == 1 and back.commits_new == 0
    assert count(project_session, Commit) == 4


def test_bare_repository_and_branch_option(make_repo, tmp_path, project_session):
    r = make_repo()
    linear(r, 2)
    r.git("checkout", "-q", "-b", "feature")
    feature_tip = linear(r, 1, start=2)[0]
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(r.path), str(bare)], check=True)
    result = ingest_git(project_session, bare, NO_SZZ, branch="main")
    assert result.bare and result.branch == "main" and result.commits_new == 2
    feature = ingest_git(project_session, bare, NO_SZZ, branch="feature")
    assert feature.head == feature_tip and feature.commits_read == 3 and feature.commits_new == 1
    with pytest.raises(InputError, match="'nope' not found"):
        ingest_git(project_session, bare, NO_SZZ, branch="nope")


def test_shallow_clone_says_what_is_missing(make_repo, tmp_path, project_session):
    r = make_repo()
    shas = linear(r, 4)
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{r.path}", str(clone)], check=True)
    result = ingest_git(project_session, clone, NO_SZZ)
    assert result.shallow and result.commits_new == 2 and any("shallow" in n for n in result.notes)
    boundary = project_session.scalars(select(Commit).where(Commit.sha == shas[2])).one()
    assert boundary.parents == [shas[1]]  # the true parent, read from the commit object
    assert count(project_session, CommitFile) == 1  # the boundary commit's diff (whole tree) is not stored
    assert count(project_session, CommitFeatures) == 1
    top = project_session.scalars(select(CommitFeatures)).one()
    assert top.lt == 0 and top.la == 4  # pkg1/f3.txt is new; history before the boundary is unknown


def test_since_revision_and_date(make_repo, project_session, session):
    r = make_repo()
    shas = linear(r, 4)
    result = ingest_git(project_session, r.path, NO_SZZ, since=shas[1])
    assert result.commits_new == 2
    scoped_to(session, get_or_create_project(session, "by-date"))
    by_date = ingest_git(session, r.path, NO_SZZ, since="2024-01-03")
    assert by_date.commits_new == 2
    with pytest.raises(InputError, match="--since 'last tuesday'"):
        ingest_git(session, r.path, NO_SZZ, since="last tuesday")


def test_not_a_repository(tmp_path, project_session):
    with pytest.raises(InputError, match="is not a git repository"):
        ingest_git(project_session, tmp_path, NO_SZZ)
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    with pytest.raises(InputError, match="has no commits"):
        ingest_git(project_session, empty, NO_SZZ)


def test_corrupt_object_is_a_clear_error_and_nothing_is_kept(make_repo, session_factory):
    r = make_repo()
    r.write("a.txt", "one\n")
    r.commit("one", when=T0)
    r.write("a.txt", "two\n")
    r.commit("two", when=T0 + DAY)
    blob = r.git("rev-parse", "HEAD:a.txt")
    obj = r.path / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"this is not a zlib stream")
    session = session_factory()
    try:
        scoped_to(session, get_or_create_project(session, "corrupt"))
        with pytest.raises(InputError, match=r"git repository .*(corrupt|inflate|unable)"):
            ingest_git(session, r.path, NO_SZZ)
        session.rollback()  # what the CLI's unit of work does on error
        assert count(session, Commit) == 0 and count(session, GitIngestState) == 0
    finally:
        session.close()


def test_projects_are_isolated(make_repo, session):
    r = make_repo()
    linear(r, 2)
    scoped_to(session, get_or_create_project(session, "one"))
    ingest_git(session, r.path, NO_SZZ)
    scoped_to(session, get_or_create_project(session, "two"))
    assert ingest_git(session, r.path, NO_SZZ).commits_new == 2  # not "already stored" by project one
    assert count(session, Commit) == 2  # scoped to project two


def test_empty_commit_and_binary_files_are_stored(make_repo, project_session):
    r = make_repo()
    r.write("logo.png", b"\x89PNG\x00\x00")
    r.commit("logo", when=T0)
    empty = r.commit("nothing", when=T0 + DAY, allow_empty=True)
    ingest_git(project_session, r.path, NO_SZZ)
    f = project_session.scalars(select(CommitFile)).one()
    assert (f.path, f.is_binary, f.lines_added) == ("logo.png", True, 0)
    e = project_session.scalars(select(CommitFeatures).join(Commit).where(Commit.sha == empty)).one()
    assert (e.nf, e.la, e.entropy) == (0, 0, 0)


def test_repository_path_that_is_a_file(tmp_path: Path, project_session):
    file = tmp_path / "file.txt"
    file.write_text("x")
    with pytest.raises(InputError, match="is not a directory"):
        ingest_git(project_session, file, NO_SZZ)


def test_lt_of_versions_from_an_earlier_run_is_read_from_git(make_repo, project_session):
    r = make_repo()
    r.write("big.txt", lines(7))
    r.commit("seven lines", when=T0)
    ingest_git(project_session, r.path, NO_SZZ)
    r.write("big.txt", lines(7) + "eight\n")
    sha = r.commit("one more", when=T0 + DAY)
    second = ingest_git(project_session, r.path, NO_SZZ)  # fresh line-count cache: the old blob is read once
    assert second.blob_reads == 1
    f = project_session.scalars(select(CommitFeatures).join(Commit).where(Commit.sha == sha)).one()
    assert (f.lt, f.la, f.nuc, f.age) == (7, 1, 1, 1.0)

