"""``argus ingest git`` and ``argus changes show|list`` end to end (real git, real database)."""

from __future__ import annotations

import json

from git_repo_builder import DAY, T0

from argus.cli.app import main


def run_json(capsys, args: list[str]):
    capsys.readouterr()
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_ingest_show_list(cli_env, make_repo, capsys):
    r = make_repo()
    r.write("app.py", "def f():\n    return 1\n")
    bad = r.commit("add f", when=T0)
    r.write("app.py", "def f():\n    return 2\n")
    fix = r.commit("Fix f returning the wrong value", author=("Bob", "bob@example.com"), when=T0 + DAY)

    assert main(["db", "upgrade"]) == 0
    result = run_json(capsys, ["ingest", "git", "--repo", str(r.path), "-p", "web"])
    assert (result["mode"], result["commits_new"], result["fixes"], result["links"]) == ("full", 2, 1, 1)

    detail = run_json(capsys, ["changes", "show", fix[:8], "-p", "web"])
    assert detail["sha"] == fix and detail["is_fix"] and detail["features"]["fix"] == 1.0
    assert detail["files"][0]["path"] == "app.py"
    assert [(link["sha"], link["lines"]) for link in detail["induced_by"]] == [(bad, [2])]
    inducing = run_json(capsys, ["changes", "show", bad, "-p", "web"])
    assert [link["sha"] for link in inducing["fixed_by"]] == [fix]

    listed = run_json(capsys, ["changes", "list", "-p", "web"])
    assert [row["sha"] for row in listed] == [fix, bad]
    assert listed[1]["fixed_later"] == 1 and listed[0]["lines_added"] == 1
    assert [row["sha"] for row in run_json(capsys, ["changes", "list", "--since", bad[:10], "-p", "web"])] == [fix]
    assert run_json(capsys, ["changes", "list", "--since", "2024-01-01T12:00", "-p", "web"])[0]["sha"] == fix
    assert [row["sha"] for row in run_json(capsys, ["changes", "list", "--fixes", "-p", "web"])] == [fix]

    # the repository path is remembered: a second run needs no --repo and finds nothing new
    again = run_json(capsys, ["ingest", "git", "-p", "web"])
    assert again["mode"] == "up-to-date"
    assert main(["changes", "show", fix, "-p", "web"]) == 0
    assert "Introduced by (SZZ)" in capsys.readouterr().out


def test_cli_errors_are_one_line(cli_env, tmp_path, make_repo, capsys):
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["ingest", "git", "--repo", str(tmp_path), "-p", "x"]) == 6
    err = capsys.readouterr().err
    assert "is not a git repository" in err and "Traceback" not in err
    assert main(["changes", "list", "-p", "x"]) == 5  # the failed run stored nothing, not even the project
    r = make_repo()
    r.write("a.txt", "a\n")
    r.commit("a")
    assert main(["ingest", "git", "--repo", str(r.path), "-p", "x", "--no-szz"]) == 0
    capsys.readouterr()
    assert main(["changes", "show", "abcd", "-p", "x"]) == 5
    assert "commit abcd not found" in capsys.readouterr().err
    assert main(["changes", "show", "zz", "-p", "x"]) == 6
    assert main(["changes", "list", "--since", "soon", "-p", "x"]) == 6


def test_progress_goes_to_stderr_and_keeps_json_clean(cli_env, make_repo, capsys):
    r = make_repo()
    r.write("app.py", "def f():\n    return 1\n")
    r.commit("add f", when=T0)
    r.write("app.py", "def f():\n    return 2\n")
    r.commit("fix: f returns 2", when=T0 + DAY)
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["ingest", "git", "--repo", str(r.path), "-p", "web", "--progress", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["links"] == 1  # stdout is the JSON document only
    assert "reading history: 2/2 commits (100%)" in captured.err
    assert "SZZ: 1/1 fixes blamed (100%)" in captured.err
    # not a terminal and no --progress: nothing on stderr
    r.write("app.py", "def f():\n    return 3\n")
    r.commit("fix: f returns 3", when=T0 + 2 * DAY)
    assert main(["ingest", "git", "-p", "web", "--json"]) == 0
    assert capsys.readouterr().err == ""
