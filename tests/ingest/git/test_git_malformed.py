"""Commit objects git itself calls malformed (``git fsck`` errors) are stored with documented values."""

from __future__ import annotations

from datetime import UTC, datetime

from git_repo_builder import T0, Repo
from sqlalchemy import select

from argus.core.settings import GitSettings
from argus.ingest.git.logparse import parse_ident
from argus.ingest.git.service import ingest_git
from argus.store.models import Commit


def raw_commit(r: Repo, tree: str, parent: str, author: bytes, committer: bytes, message: str) -> str:
    """Write a commit object byte for byte (``--literally`` skips git's own checks)."""
    body = b"tree %s\nparent %s\nauthor %s\ncommitter %s\n\n%s\n" % (
        tree.encode(), parent.encode(), author, committer, message.encode())
    return r.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=body)


def test_malformed_idents_are_read_leniently_and_stored(make_repo, project_session):
    r = make_repo()
    r.write("a.py", "x = 1\n")
    base = r.commit("initial", when=T0)
    tree = r.git("rev-parse", "HEAD^{tree}")
    ok = b"Ann <ann@example.com> %d +0000" % T0
    no_date = raw_commit(r, tree, base, b"Ann <ann@example.com>", ok, "author without date")
    huge = raw_commit(r, tree, no_date, b"Ann <ann@example.com> 99999999999999999999 +0000", ok, "20-digit date")
    nul = raw_commit(r, tree, huge, b"Bo\0b <bob@example.com> %d +0200" % (T0 + 60), ok, "NUL in the name")
    bad_tz = raw_commit(r, tree, nul, b"Cy <cy@example.com> %d +9999" % T0, b"nobody", "no committer ident")
    r.git("update-ref", "refs/heads/main", bad_tz)
    result = ingest_git(project_session, r.path, GitSettings())
    assert result.commits_new == 5 and result.malformed == 4
    assert any("cannot parse" in n for n in result.notes)
    rows = {c.sha: c for c in project_session.scalars(select(Commit))}
    t0 = datetime.fromtimestamp(T0, UTC)

    def utc(d: datetime) -> datetime:
        return d if d.tzinfo else d.replace(tzinfo=UTC)

    # a missing or out-of-range author date takes the committer's
    assert utc(rows[no_date].author_time) == t0 and rows[no_date].author_name == "Ann"
    assert utc(rows[huge].author_time) == t0
    # the NUL is dropped; name, e-mail, date and zone come from the raw object
    assert (rows[nul].author_name, rows[nul].author_email) == ("Bob", "bob@example.com")
    assert utc(rows[nul].author_time).timestamp() == T0 + 60 and rows[nul].author_tz_minutes == 120
    # an impossible zone is 0; a committer line without a date takes the author's
    assert rows[bad_tz].author_tz_minutes == 0 and utc(rows[bad_tz].committer_time) == t0


def test_parse_ident_edge_cases():
    assert parse_ident(b"Ann <a@x> 1700000000 -0130") == ("Ann", "a@x", 1_700_000_000, -90)
    assert parse_ident(b"Ann <a@x>") == ("Ann", "a@x", None, 0)
    assert parse_ident(b"Ann <a@x> 99999999999999999999 +0000")[2] is None
    assert parse_ident(b"no email at all") == ("no email at all", "", None, 0)
