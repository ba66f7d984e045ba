"""SZZ by one replay of the first-parent history gives the links of one `git blame` per fix and file;
the rules that distrust feature-shaped fixes, low-share candidates and over-blaming fixes."""

from __future__ import annotations

import random

from git_repo_builder import DAY, T0

from argus.core.settings import GitSettings
from argus.ingest.git import gitcmd
from argus.ingest.git.logparse import log_args, parse_stream
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.replay import replay_stream
from argus.ingest.git.szz import CONTEXT, DELETED, FixFile, InducingLink
from argus.ingest.git.szz_pipeline import BlamePipeline


def _edit(rng: random.Random, text: list[str], tag: str) -> list[str]:
    out = list(text)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(out) + 1)
        if op < 0.4 or len(out) < 5:
            out[i:i] = [f"    v_{tag}_{k} = {rng.randint(0, 99)}\n" for k in range(rng.randint(1, 3))]
        elif op < 0.7:
            out[min(i, len(out) - 1)] = f"    w_{tag} = {rng.randint(0, 99)}\n"
        else:
            del out[min(i, len(out) - 1): min(i, len(out) - 1) + rng.randint(1, 2)]
    return out


def _history(r, rng: random.Random, prefix: str = "") -> None:
    """Edits on main and on merged branches, a rename, a deleted file, whitespace-only edits.

    ``prefix`` starts every message but the merges' (``"fix: "``: every such commit is a fix)."""
    files = {f"src/m{i}.py": [f"def f{i}():\n"] + [f"    x{j} = {j}\n" for j in range(12)] for i in range(3)}
    files["docs/tool.py"] = ["def tool():\n"] + [f"    t{j} = {j}\n" for j in range(12)]  # not a source file yet
    when = T0
    for path, text in files.items():
        r.write(path, "".join(text))
    r.commit("initial", when=when)
    for step in range(40):
        when += DAY
        if step % 9 == 4:  # a branch of two commits, merged with a merge commit
            r.git("checkout", "-q", "-b", f"b{step}")
            names = sorted(files)
            side, path = names[step % len(names)], names[(step + 1) % len(names)]
            for k in range(2):
                files[side] = _edit(rng, files[side], f"b{step}{k}")
                r.write(side, "".join(files[side]))
                if step == 22 and k == 0:  # a file only the branch adds: the merge brings it in whole
                    r.write("src/branch22.py", "".join(f"    y{j} = {j}\n" for j in range(8)))
                r.commit(f"{prefix}branch work {step}.{k}", when=when + k)
            r.git("checkout", "-q", "main")
            for name in names:
                files[name] = (r.path / name).read_text().splitlines(keepends=True)
            files[path] = _edit(rng, files[path], f"m{step}")
            r.write(path, "".join(files[path]))
            r.commit(f"{prefix}main work {step}", when=when + 5)
            date = {"GIT_AUTHOR_DATE": f"@{when + 9} +0000", "GIT_COMMITTER_DATE": f"@{when + 9} +0000"}
            if step == 13:  # an "evil" merge: it changes and adds lines of its own (blame keeps them for it)
                r.git("merge", "-q", "--no-ff", "--no-commit", f"b{step}", env=date)
                text = (r.path / side).read_text().splitlines(keepends=True)
                text[3] = "    evil = 1\n"
                r.write(side, "".join([*text, "    evil_tail = 2\n"]))
                r.commit(f"merge b{step} (amended)", when=when + 9)
            else:
                r.git("merge", "-q", "--no-ff", "-m", f"merge b{step}", f"b{step}", env=date)
            if step == 22:
                files["src/branch22.py"] = []
            for path in files:
                files[path] = (r.path / path).read_text().splitlines(keepends=True)
            continue
        if step == 20:
            r.mv("src/m0.py", "src/renamed.py")
            files["src/renamed.py"] = files.pop("src/m0.py")
        if step == 14:  # from a path SZZ does not blame into one it does: blame follows it, so must the replay
            r.mv("docs/tool.py", "src/tool.py")
            files["src/tool.py"] = files.pop("docs/tool.py")
        path = rng.choice(sorted(files))
        if step == 30:  # whitespace only
            files[path] = [ln.replace("    ", "\t") for ln in files[path]]
        else:
            files[path] = _edit(rng, files[path], str(step))
        r.write(path, "".join(files[path]))
        r.commit(f"{prefix}work {step}", when=when)


def _links(repo, tip: str | None, *, passed: bool = False, **rules) -> set[InducingLink]:
    """Every commit a "fix" (the widest comparison); ``passed``: the replay runs alongside the history pass."""
    git, _ = gitcmd.open_repo(repo)
    head = gitcmd.resolve_commit(git, "HEAD")
    pipeline = BlamePipeline(git, SourceFilter.from_settings(GitSettings()), max_files=20, workers=2, add_context=2,
                             replay_tip=head if tip else None, **rules)
    for c in parse_stream(git.stream(log_args([head]))):
        if not c.is_merge and c.parents:
            pipeline.add(c.sha, c.parents[0], c.files)
        if passed:
            pipeline.passed(c.sha)
    return set(pipeline.finish())


def test_replay_gives_the_links_of_git_blame(make_repo):
    r = make_repo()
    _history(r, random.Random(7))
    blamed = _links(r.path, None)
    replayed = _links(r.path, "HEAD")
    assert blamed and {link.method for link in blamed} == {DELETED, CONTEXT}
    initial = r.git("rev-list", "--max-parents=0", "HEAD").strip()
    assert any(link.path == "src/tool.py" and link.inducing_sha == initial for link in blamed)  # before docs/ → src/
    assert replayed == blamed
    # alongside the history pass; and with no branch state kept (fixes on branches then go to git blame)
    assert _links(r.path, "HEAD", passed=True) == blamed
    assert _links(r.path, "HEAD", passed=True, replay_max_states=1) == blamed


def test_replay_answers_fixes_on_merged_branches_without_git_blame(make_repo):
    from argus.ingest.git.replay import child_counts, replay_owners

    r = make_repo()
    _history(r, random.Random(3))
    git, _ = gitcmd.open_repo(r.path)
    head = gitcmd.resolve_commit(git, "HEAD")
    branch = [ln.split()[0] for ln in r.git("log", "--format=%H %s", "HEAD").splitlines() if "branch work" in ln]
    first_parent = set(r.git("rev-list", "--first-parent", "HEAD").split())
    assert branch and not first_parent & set(branch)
    asked = {sha: (FixFile("src/m1.py", (1, 2, 3)), FixFile("src/m2.py", (1, 2, 3))) for sha in branch}
    out = replay_owners(git, head, asked, None)
    assert out.to_blame == [] and {sha for sha, _ in out.owners} == set(branch)
    assert max(child_counts(git, head).values()) == 2  # fork points
    capped = replay_owners(git, head, asked, None, max_states=1)  # no second state: a fork's first child is blamed
    assert capped.to_blame and {sha for sha, _ in capped.to_blame} | {sha for sha, _ in capped.owners} == set(branch)


def test_lines_merges_bring_in_are_owned_by_the_replay_as_blame_owns_them(make_repo):
    """Clean merges, an "evil" merge that edits lines, a file only a branch added: no git blame at all."""
    r = make_repo()
    _history(r, random.Random(7))
    git, _ = gitcmd.open_repo(r.path)
    head = gitcmd.resolve_commit(git, "HEAD")
    pipeline = BlamePipeline(git, None, max_files=20, workers=2, replay_tip=head)
    for c in parse_stream(git.stream(log_args([head]))):
        if not c.is_merge and c.parents:
            pipeline.add(c.sha, c.parents[0], c.files)
    links = set(pipeline.finish())
    assert pipeline.stats.blame_calls == 0 and pipeline.replay is not None and pipeline.replay.merge_lines == {}
    evil = r.git("log", "--format=%H", "--grep", "amended", "HEAD").strip()
    assert any(link.inducing_sha == evil for link in links)  # lines the merge itself wrote
    assert any(link.path == "src/branch22.py" for link in links)
    blame = BlamePipeline(git, None, max_files=20, workers=2)
    for c in parse_stream(git.stream(log_args([head]))):
        if not c.is_merge and c.parents:
            blame.add(c.sha, c.parents[0], c.files)
    assert set(blame.finish()) == links


def test_closing_the_pipeline_stops_a_waiting_replay(make_repo):
    r = make_repo()
    _history(r, random.Random(5))
    git, _ = gitcmd.open_repo(r.path)
    pipeline = BlamePipeline(git, None, max_files=20, workers=1, replay_tip=gitcmd.resolve_commit(git, "HEAD"))
    assert pipeline.replayer is not None and pipeline.replayer.is_alive()  # waiting for the history pass
    pipeline.close()
    assert not pipeline.replayer.is_alive() and pipeline.error is None


def test_replay_answers_first_parent_lines_and_hands_merged_lines_to_blame():
    def rec(sha: str, parents: str, body: bytes) -> bytes:
        return b"\x1e\x02argus-fix\x03" + f"{sha} {parents}".encode() + b"\n\n" + body

    a, b, m, f = ("a" * 40), ("b" * 40), ("c" * 40), ("d" * 40)
    out = replay_stream([
        rec(a, "", b"diff --git a/x.py b/x.py\nnew file mode 100644\n--- /dev/null\n+++ b/x.py\n"
                   b"@@ -0,0 +1,3 @@\n+one\n+two\n+three\n"),
        rec(b, a, b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -2 +2 @@\n-two\n+TWO\n"),
        rec(m, f"{b} {'e' * 40}", b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4 @@\n+four\n"),
        rec(f, m, b""),
    ], {f: (FixFile("x.py", (1, 2, 4, 9)),)}, None)
    assert out.owners[(f, "x.py")] == {1: a, 2: b}
    assert out.to_blame == [(f, FixFile("x.py", (9,)))]  # a line the file does not have: blamed from the fix
    assert out.merge_lines == {(m, "x.py"): {4}}  # a merge's line: blamed at the merge, its line 4 there
    assert out.via_merge == {(f, "x.py", 4): (m, "x.py", 4)}


def _fix_history(r, fix_body: str) -> None:
    r.write("a.py", "".join(f"a{i} = {i}\n" for i in range(10)))
    r.write("b.py", "".join(f"b{i} = {i}\n" for i in range(10)))
    r.commit("feat: a and b", when=T0)
    r.write("a.py", "".join(f"a{i} = {i * 2}\n" for i in range(10)))
    r.commit("feat: a doubled", when=T0 + DAY)
    r.write("b.py", "b0 = 7\n" + "".join(f"b{i} = {i}\n" for i in range(1, 10)))
    r.commit("feat: b0", when=T0 + 2 * DAY)
    r.write("a.py", fix_body)
    r.write("b.py", "b0 = 8\n" + "".join(f"b{i} = {i}\n" for i in range(1, 10)))
    r.commit("fix: a and b", when=T0 + 3 * DAY)


def test_low_share_candidates_are_dropped_and_feature_shaped_fixes_not_blamed(make_repo):
    r = make_repo()
    # the fix rewrites 2 lines of "a doubled" (a1, a2) and 1 line of "b0": shares 2/3 and 1/3
    _fix_history(r, "".join(f"a{i} = {i * 3 if i < 3 else i * 2}\n" for i in range(10)))
    git, _ = gitcmd.open_repo(r.path)
    messages = dict(line.split(" ", 1) for line in r.git("log", "--format=%H %s").splitlines())
    fix = next(s for s, m in messages.items() if m.startswith("fix"))

    def inducing(**rules: float) -> set[str]:
        p = BlamePipeline(git, None, max_files=20, workers=1, **rules)  # type: ignore[arg-type]
        commit = next(c for c in parse_stream(git.stream(log_args(["HEAD"]))) if c.sha == fix)
        p.add(fix, commit.parents[0], commit.files)
        return {messages[link.inducing_sha] for link in p.finish()}

    assert inducing() == {"feat: a doubled", "feat: b0"}
    assert inducing(min_link_share=0.4) == {"feat: a doubled"}
    assert inducing(max_inducing_per_fix=1) == set()
    assert inducing(max_fix_added=2) == {"feat: a doubled", "feat: b0"}   # adds 3, deletes 3: not feature-shaped


def test_a_large_fix_that_mostly_adds_is_not_blamed(make_repo):
    r = make_repo()
    _fix_history(r, "".join(f"a{i} = {i * 2}\n" for i in range(10)) + "".join(f"n{i} = {i}\n" for i in range(30)))
    git, _ = gitcmd.open_repo(r.path)
    commit = next(c for c in parse_stream(git.stream(log_args(["HEAD"]))) if c.message.startswith("fix"))
    p = BlamePipeline(git, None, max_files=20, workers=1, max_fix_added=20)
    p.add(commit.sha, commit.parents[0], commit.files)
    assert p.finish() == [] and p.stats.fixes_feature_shaped == 1
    settings = GitSettings()
    assert settings.szz_max_fix_added == 100 and settings.szz_replay is True
    assert settings.szz_min_link_share == 0.34 and settings.szz_max_inducing_per_fix == 0


def test_the_run_says_what_szz_distrusted(make_repo, project_session):
    from argus.ingest.git.service import ingest_git

    r = make_repo()
    _fix_history(r, "".join(f"a{i} = {i * 2}\n" for i in range(10)) + "".join(f"n{i} = {i}\n" for i in range(30)))
    result = ingest_git(project_session, r.path, GitSettings(szz_max_fix_added=20))
    assert result.fixes == 1 and result.links == 0
    assert any("distrusted 1 feature-shaped fixes" in note for note in result.notes)


def test_followup_by_one_replay_stores_the_links_of_git_blame(cli_env, make_repo, capsys, monkeypatch):
    """`ingest git --no-szz` then `ingest szz`: one replay for the run (resumed after an interruption)
    stores the links that one `git blame` per fix and file stores, batch by batch."""
    import json

    from argus.cli.app import main

    def run_json(args: list[str]) -> dict:
        capsys.readouterr()
        assert main([*args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    def stored(project: str) -> set[tuple[str, str, str, tuple[int, ...]]]:
        fixes = [c["sha"] for c in run_json(["changes", "list", "-p", project, "--limit", "1000"]) if c["is_fix"]]
        assert len(fixes) > 20
        return {(fix, link["sha"], link["path"], tuple(link["lines"])) for fix in fixes
                for link in run_json(["changes", "show", fix, "-p", project])["induced_by"]}

    r = make_repo()
    _history(r, random.Random(11), prefix="fix: ")
    assert main(["db", "upgrade"]) == 0
    for project in ("blame", "replay"):
        assert run_json(["ingest", "git", "--repo", str(r.path), "-p", project, "--no-szz"])["links"] == 0
    monkeypatch.setenv("ARGUS_GIT__SZZ_REPLAY_MIN_COMMITS", "0")  # this small history replays too
    monkeypatch.setenv("ARGUS_GIT__SZZ_REPLAY", "false")
    # the same batches as the replay's below (a batch's counts depend on which fixes it holds)
    first = run_json(["ingest", "szz", "-p", "blame", "--batch", "4", "--max-fixes", "10"])
    blamed = run_json(["ingest", "szz", "-p", "blame", "--batch", "4"])
    assert blamed["replay"] is False and blamed["remaining"] == 0
    blamed = {key: first[key] + value if isinstance(value, int) else value for key, value in blamed.items()}
    monkeypatch.setenv("ARGUS_GIT__SZZ_REPLAY", "true")
    part = run_json(["ingest", "szz", "-p", "replay", "--batch", "4", "--max-fixes", "10"])
    assert part["replay"] is True and (part["fixes"], part["batches"]) == (10, 3)
    rest = run_json(["ingest", "szz", "-p", "replay", "--batch", "4", "--progress"])
    assert rest["replay"] is True and rest["remaining"] == 0
    assert part["fixes"] + rest["fixes"] == blamed["fixes"]
    for key in ("links", "links_unresolved", "fixes_blamed", "fixes_tangled", "fixes_no_source"):
        assert part[key] + rest[key] == blamed[key], key
    links = stored("blame")
    assert links and stored("replay") == links
