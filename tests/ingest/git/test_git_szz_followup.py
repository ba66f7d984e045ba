"""``argus ingest git --no-szz`` then ``argus ingest szz``: same links as the in-ingest SZZ, resumable, idempotent."""

from __future__ import annotations

import json

import pytest
from git_repo_builder import DAY, T0

from argus.cli.app import main

FIXES = 10


def run_json(capsys, args: list[str]):
    capsys.readouterr()
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def build(make_repo):
    """Four modules from one bulk commit; each fix repairs a line a feature commit wrote and a bulk line.

    The bulk commit is blamed by all ten fixes (over the cap of 5 set below): its links must go in one
    pass and in batches alike; each feature commit is blamed by its one fix.
    """
    r = make_repo()
    files = {k: [f"mod{k} line {n}" for n in range(8)] for k in range(4)}

    def save(k: int) -> None:
        r.write(f"mod{k}.py", "".join(f"{line}\n" for line in files[k]))

    for k in files:
        save(k)
    when = T0
    r.commit("import modules", when=when)
    fixes = []
    for i in range(FIXES):
        k, n = i % 4, i // 4
        files[k][n] = f"feature {i}"
        save(k)
        when += DAY
        r.commit(f"add feature {i}", when=when)
        files[k][n] = f"feature {i} repaired"
        files[k][4 + n] = f"bulk line repaired by {i}"
        save(k)
        when += DAY
        fixes.append(r.commit(f"Fix bug {i} in module {k}", when=when))
    return r, fixes


def links(capsys, project: str, fixes: list[str]) -> set[tuple[str, str, str, tuple[int, ...]]]:
    found = set()
    for fix in fixes:
        for link in run_json(capsys, ["changes", "show", fix, "-p", project])["induced_by"]:
            found.add((fix, link["sha"], link["path"], tuple(link["lines"])))
    return found


@pytest.fixture
def capped(cli_env, monkeypatch):
    monkeypatch.setenv("ARGUS_GIT__SZZ_MAX_FIXES_PER_INDUCING", "5")
    # the bulk commit owns most lines of these fixes: keep the features' minority links for the cap to act alone
    monkeypatch.setenv("ARGUS_GIT__SZZ_MIN_LINK_SHARE", "0")
    monkeypatch.setenv("ARGUS_GIT__SZZ_PICK", "all")  # every candidate kept, the bulk commit's links included
    assert main(["db", "upgrade"]) == 0


def test_followup_gives_the_in_ingest_links_and_resumes(capped, make_repo, capsys):
    r, fixes = build(make_repo)
    ref = run_json(capsys, ["ingest", "git", "--repo", str(r.path), "-p", "ref"])
    assert ref["fixes"] == FIXES and len(ref["over_blamed"]) == 1
    expected = links(capsys, "ref", fixes)
    assert len(expected) == FIXES  # one feature commit per fix; the bulk commit's links were removed
    # the in-ingest SZZ marked its fixes: the follow-up step has nothing to do
    assert run_json(capsys, ["ingest", "szz", "-p", "ref"])["pending_before"] == 0

    first = run_json(capsys, ["ingest", "git", "--repo", str(r.path), "-p", "two", "--no-szz"])
    assert first["fixes"] == FIXES and first["links"] == 0
    assert links(capsys, "two", fixes) == set()
    # interrupted after the first batch (as by Ctrl-C before the second batch is stored)
    part = run_json(capsys, ["ingest", "szz", "-p", "two", "--batch", "4", "--max-fixes", "3"])
    assert (part["pending_before"], part["fixes"], part["batches"], part["remaining"]) == (FIXES, 3, 1, FIXES - 3)
    done = links(capsys, "two", fixes)
    bulk = run_json(capsys, ["changes", "list", "-p", "two", "--limit", "1000"])[-1]["sha"]
    # the first batch stored its own links (the bulk commit is still under the cap: 3 fixes blame it)
    assert done - {x for x in done if x[1] == bulk} == {x for x in expected if x[0] in fixes[:3]}
    assert sorted(x[0] for x in done if x[1] == bulk) == sorted(fixes[:3])
    rest = run_json(capsys, ["ingest", "szz", "-p", "two", "--batch", "3"])
    assert (rest["pending_before"], rest["fixes"], rest["batches"], rest["remaining"]) == (FIXES - 3, FIXES - 3, 3, 0)
    assert len(rest["over_blamed"]) == 1  # the bulk commit crosses the cap in a later batch
    assert links(capsys, "two", fixes) == expected
    assert sum(len(run_json(capsys, ["changes", "show", f, "-p", "two"])["induced_by"]) for f in fixes) == FIXES

    # nothing pending: a no-op with a clear message
    capsys.readouterr()
    assert main(["ingest", "szz", "-p", "two"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert links(capsys, "two", fixes) == expected


def test_followup_progress_and_incremental_ingest(capped, make_repo, capsys):
    r, _ = build(make_repo)
    assert main(["ingest", "git", "--repo", str(r.path), "-p", "p", "--no-szz"]) == 0
    capsys.readouterr()
    assert main(["ingest", "szz", "-p", "p", "--batch", "4", "--progress"]) == 0
    captured = capsys.readouterr()
    assert "SZZ: 10/10 fixes done (100%)" in captured.err
    assert "SZZ: 10 fixes in 3 batch(es)" in captured.out and "0 fixes still pending" in captured.out
    # a later fix blaming the over-blamed bulk commit links nothing to it (the flag persists)
    r.write("mod3.py", "".join(f"{line}\n" for line in ["mod3 line 0", "feature 3 repaired", "feature 7 repaired",
                                                         "mod3 line 3", "x", "y", "mod3 line 6", "z"]))
    late = r.commit("Fix bug in module 3 again", when=T0 + 100 * DAY)
    inc = run_json(capsys, ["ingest", "git", "-p", "p"])
    assert inc["mode"] == "incremental" and inc["fixes"] == 1
    shown = {link["sha"] for link in run_json(capsys, ["changes", "show", late, "-p", "p"])["induced_by"]}
    bulk = run_json(capsys, ["changes", "list", "-p", "p", "--limit", "1000"])[-1]["sha"]
    assert bulk not in shown and shown  # mod3 line 7 ("mod3 line 7" → "z") is the bulk commit's: dropped
