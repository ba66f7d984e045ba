"""The streaming ``git log`` parser on real repositories: renames, binaries, merges, encodings."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_repo_builder import DAY, T0, Repo, lines

from argus.core.errors import InputError
from argus.ingest.git.gitcmd import open_repo
from argus.ingest.git.logparse import RawCommit, decode_text, log_args, parse_record, parse_stream


def read_all(repo: Path, rev: str = "HEAD") -> list[RawCommit]:
    git, _ = open_repo(repo)
    return list(parse_stream(git.stream(log_args([rev]))))


def test_commits_oldest_first_with_files_counts_and_identity(make_repo):
    r: Repo = make_repo()
    r.write("a.txt", lines(3))
    r.write("src/b.py", "x = 1\n")
    first = r.commit("first", author=("Ann", "Ann@Example.COM"), when=T0)
    r.write("a.txt", lines(3).replace("line 2\n", "line two\n") + "line 4\n")
    second = r.commit("second\n\nbody text", when=T0 + DAY)
    commits = read_all(r.path)
    assert [c.sha for c in commits] == [first, second]
    c1, c2 = commits
    assert c1.parents == [] and c2.parents == [first]
    assert c1.author_email == "Ann@Example.COM"  # case is folded by the service, not the parser
    assert c1.author_time == T0 and c2.committer_time == T0 + DAY and c1.author_tz == 0
    assert {(f.path, f.change_type, f.added, f.deleted) for f in c1.files} == {("a.txt", "A", 3, 0), ("src/b.py", "A", 1, 0)}
    assert [(f.path, f.change_type, f.added, f.deleted) for f in c2.files] == [("a.txt", "M", 2, 1)]
    assert c2.message == "second\n\nbody text\n"
    assert c2.files[0].old_blob != c2.files[0].new_blob and len(c2.files[0].new_blob) == 40


def test_rename_binary_empty_and_time_zone(make_repo):
    r = make_repo()
    r.write("old/name.txt", lines(10))
    r.write("img.bin", b"\x00\x01\x02binary")
    r.commit("add")
    r.mv("old/name.txt", "new/name.txt")
    r.write("new/name.txt", lines(10) + "one more\n")
    r.write("img.bin", b"\x00\x01\x03binary!")
    r.commit("move")
    r.commit("nothing", allow_empty=True)
    r.git("commit", "-q", "--allow-empty", "-m", "tz", env={"GIT_COMMITTER_DATE": f"@{T0} -0530",
                                                             "GIT_AUTHOR_DATE": f"@{T0} +0200"})
    _add, move, empty, tz = read_all(r.path)
    by_path = {f.path: f for f in move.files}
    renamed = by_path["new/name.txt"]
    assert (renamed.change_type, renamed.old_path, renamed.added, renamed.deleted) == ("R", "old/name.txt", 1, 0)
    binary = by_path["img.bin"]
    assert binary.binary and (binary.added, binary.deleted) == (0, 0)
    assert empty.files == [] and empty.message == "nothing\n"
    assert (tz.author_tz, tz.committer_tz) == (120, -330)


def test_merge_is_diffed_against_first_parent(make_repo):
    r = make_repo()
    r.write("a.txt", "a\n")
    base = r.commit("base")
    r.git("checkout", "-q", "-b", "side")
    r.write("side.txt", "s1\ns2\n")
    side = r.commit("side work", when=T0 + DAY)
    r.git("checkout", "-q", "main")
    r.write("a.txt", "a\nb\n")
    main2 = r.commit("main work", when=T0 + 2 * DAY)
    r.git("merge", "-q", "--no-ff", "-m", "merge side", "side",
          env={"GIT_COMMITTER_DATE": f"@{T0 + 3 * DAY} +0000", "GIT_AUTHOR_DATE": f"@{T0 + 3 * DAY} +0000"})
    commits = read_all(r.path)
    assert [c.sha for c in commits[:1]] == [base] and {c.sha for c in commits[1:3]} == {side, main2}
    merge = commits[-1]
    assert merge.is_merge and merge.parents == [main2, side]
    # against the first parent, the merge brings in exactly what the side branch changed
    assert [(f.path, f.change_type, f.added) for f in merge.files] == [("side.txt", "A", 2)]


def test_mailmap_and_non_utf8_messages(make_repo):
    r = make_repo()
    r.write(".mailmap", "Ann Smith <ann@example.com> <ann.old@example.com>\n")
    r.write("f.txt", "x\n")
    r.commit(b"caf\xe9 latin-1 bytes, no encoding header", author=("ann", "ann.old@example.com"))
    r.write("f.txt", "y\n")
    r.commit("r\u00e9sum\u00e9 declared".encode("iso-8859-1"), encoding="ISO-8859-1", when=T0 + 1)
    first, second = read_all(r.path)
    assert (first.author_name, first.author_email) == ("Ann Smith", "ann@example.com")
    assert first.message.startswith("café latin-1")  # undecodable UTF-8 falls back to Latin-1
    assert second.message.startswith("résumé declared")  # git re-encodes declared encodings to UTF-8


def test_decode_text_never_fails_and_drops_nul():
    assert decode_text(b"ok \xc3\xa9") == "ok é"
    assert decode_text(b"\xff\xfe") == "\xff\xfe"
    assert decode_text(b"bad\xe9", "no-such-codec") == "bad\xe9"
    assert decode_text(b"a\x00b") == "ab"


def test_malformed_record_is_rejected():
    with pytest.raises(InputError, match="malformed record"):
        parse_record(b"only\x1ftwo fields")


def test_stream_split_across_tiny_chunks(make_repo):
    r = make_repo()
    for i in range(5):
        r.write(f"d{i}/f.txt", lines(i + 1))
        r.commit(f"c{i}", when=T0 + i)
    git, _ = open_repo(r.path)
    data = b"".join(git.stream(log_args(["HEAD"])))
    whole = list(parse_stream([data]))
    tiny = list(parse_stream(data[i : i + 7] for i in range(0, len(data), 7)))
    assert [c.sha for c in tiny] == [c.sha for c in whole] and len(whole) == 5
    assert [len(c.files) for c in tiny] == [1] * 5


def test_not_a_repository_and_missing_path(tmp_path):
    with pytest.raises(InputError, match="is not a git repository"):
        open_repo(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        open_repo(tmp_path / "nope")
