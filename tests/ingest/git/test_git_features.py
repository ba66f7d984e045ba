"""Kamei features: every value of a small real history checked against hand computation."""

from __future__ import annotations

import math

import pytest
from git_repo_builder import DAY, T0, Repo, lines
from sqlalchemy import select

from argus.core.settings import GitSettings
from argus.ingest.git.features import ChangeFeatures, FeatureState, entropy, normalise, split_path
from argus.ingest.git.logparse import FileChange
from argus.ingest.git.service import ingest_git
from argus.store.models import Commit, CommitFeatures

ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "BOB@example.com")  # e-mail case is folded: same developer as bob@example.com
CARL = ("Carl", "carl@example.com")
YEAR_2025 = T0 + 366 * DAY  # 2024 is a leap year


def h(*ps: float) -> float:
    return -sum(p * math.log2(p) for p in ps)


def build_history(r: Repo) -> dict[str, str]:
    shas: dict[str, str] = {}
    r.write("core/a.py", lines(10))
    r.write("core/util/b.py", lines(4))
    r.write("README", lines(2))
    shas["c1"] = r.commit("initial import", author=ANN, when=T0)
    r.write("core/a.py", lines(10).replace("line 3\n", "L3\n").replace("line 4\n", "L4\n") + "line 11\n")
    r.write("web/c.js", lines(5))
    shas["c2"] = r.commit("Fix crash in parser", author=BOB, when=T0 + 2 * DAY)
    r.write("core/util/b.py", lines(4).replace("line 1\n", "first\n"))
    r.write("core/a.py", (r.path / "core/a.py").read_text() + "line 12\n")
    shas["c3"] = r.commit("tidy", author=ANN, when=T0 + 5 * DAY)
    r.mv("core/util/b.py", "lib/b.py")
    r.write("lib/b.py", (r.path / "lib/b.py").read_text() + "line 5\n")
    shas["c4"] = r.commit("move b to lib", author=ANN, when=YEAR_2025)
    r.write("lib/b.py", "".join((r.path / "lib/b.py").read_text().splitlines(keepends=True)[1:]))
    (r.path / "README").unlink()
    r.write("img.png", b"\x89PNG\x00\x00binary")
    shas["c5"] = r.commit("docs", author=("bob", "bob@example.com"), when=YEAR_2025 + DAY)
    r.git("checkout", "-q", "-b", "side")
    r.write("lib/b.py", (r.path / "lib/b.py").read_text() + "side 1\nside 2\n")
    shas["side"] = r.commit("side work", author=CARL, when=YEAR_2025 + 2 * DAY)
    r.git("checkout", "-q", "main")
    r.write("core/a.py", (r.path / "core/a.py").read_text() + "line 13\n")
    shas["c6"] = r.commit("main work", author=ANN, when=YEAR_2025 + 3 * DAY)
    when = f"@{YEAR_2025 + 4 * DAY} +0000"
    r.git("merge", "-q", "--no-ff", "-m", "merge side", "side", env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    shas["merge"] = r.git("rev-parse", "HEAD")
    r.write("lib/b.py", (r.path / "lib/b.py").read_text() + "after merge\n")
    shas["c8"] = r.commit("after merge", author=ANN, when=YEAR_2025 + 5 * DAY)
    return shas


EXPECTED = {
    # ns nd nf entropy la ld lt fix ndev age nuc exp rexp sexp
    "c1": (2, 3, 3, h(10 / 16, 4 / 16, 2 / 16), 16, 0, 0, 0, 0, 0.0, 0, 0, 0.0, 0),
    "c2": (2, 2, 2, 1.0, 8, 2, 10, 1, 1, 2.0, 1, 0, 0.0, 0),
    "c3": (1, 2, 2, h(2 / 3, 1 / 3), 2, 1, 4 + 11, 0, 2, (5 + 3) / 2, 1 + 2, 1, 1.0, 1),
    "c4": (1, 1, 1, 0.0, 1, 0, 4, 0, 1, 361.0, 2, 2, 2 / 2, 0),
    "c5": (2, 2, 3, h(1 / 3, 2 / 3), 0, 3, 5 + 2 + 0, 0, 1, (1 + 367) / 2, 3 + 1, 1, 1 / 2, 0),
    "side": (1, 1, 1, 0.0, 2, 0, 4, 0, 2, 1.0, 4, 0, 0.0, 0),
    "c6": (1, 1, 1, 0.0, 1, 0, 12, 0, 2, 369.0 - 5, 3, 3, 2 / 2 + 1, 2),
    "c8": (1, 1, 1, 0.0, 1, 0, 6, 0, 3, 3.0, 5, 4, 2 / 2 + 2, 1),
}


def test_every_feature_matches_hand_computation(make_repo, project_session):
    r = make_repo()
    shas = build_history(r)
    result = ingest_git(project_session, r.path, GitSettings(szz=False))
    assert result.commits_new == 9 and result.merges == 1 and result.features == 8 and result.fixes == 1
    rows = project_session.execute(select(Commit.sha, CommitFeatures).join(CommitFeatures)).all()
    got = {sha: f for sha, f in rows}
    assert shas["merge"] not in got  # merges get no features
    for name, expected in EXPECTED.items():
        f = got[shas[name]]
        actual = (f.ns, f.nd, f.nf, f.entropy, f.la, f.ld, f.lt, f.fix, f.ndev, f.age, f.nuc, f.exp, f.rexp, f.sexp)
        assert actual == pytest.approx(expected), name


def test_state_round_trip_and_rename_keeps_history():
    state = FeatureState()
    add = FileChange("a/x.py", None, "A", 3, 0, False, "0" * 40, "1" * 40)
    state.compute("ann", T0, False, [add], [0])
    moved = FileChange("b/x.py", "a/x.py", "R", 1, 0, False, "1" * 40, "2" * 40)
    restored = FeatureState.load(state.dump())
    f = restored.compute("bob", T0 + DAY, False, [moved], [3])
    assert (f.ndev, f.nuc, f.age, f.lt) == (1, 1, 1.0, 3)
    assert "a/x.py" not in restored.files and restored.files["b/x.py"][1] == 2
    gone = FileChange("b/x.py", None, "D", 0, 4, False, "2" * 40, "0" * 40)
    restored.compute("bob", T0 + 2 * DAY, False, [gone], [4])
    assert restored.files == {}  # deleted files leave the state: it tracks live files only
    assert FeatureState.load(None).files == {} and FeatureState.load(b"").authors == {}


def test_helpers():
    assert split_path("README") == ("root", "root")
    assert split_path("a/b/c.py") == ("a", "a/b")
    assert entropy([]) == 0.0 and entropy([0, 0]) == 0.0 and entropy([5]) == 0.0
    assert entropy([1, 1, 1, 1]) == pytest.approx(2.0)


def test_normalise_follows_the_paper():
    f = ChangeFeatures(ns=1, nd=1, nf=4, entropy=1.0, la=20, ld=10, lt=200, fix=0, ndev=2, age=1, nuc=8, exp=3,
                       rexp=1, sexp=1)
    n = normalise(f)
    assert (n["la"], n["ld"], n["lt"], n["nuc"], n["entropy"]) == (0.1, 0.05, 50.0, 2.0, 0.5)
    new_only = normalise(ChangeFeatures(1, 1, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert (new_only["la"], new_only["entropy"]) == (5, 0)
