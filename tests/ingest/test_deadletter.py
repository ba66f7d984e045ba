"""Dead letters: short redacted excerpts, detected type, deduplication, NUL-safe on both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.core.enums import DeadLetterSource
from argus.ingest.deadletter import (
    EXCERPT_CHARS,
    EXCERPT_LINE_CHARS,
    REASON_CHARS,
    detect_type,
    excerpt_of,
    record_dead_letter,
    redact,
)
from argus.store.models import DeadLetter

SERVICE_ACCOUNT = json.dumps({
    "type": "service_account", "project_id": "p", "private_key_id": "0123456789abcdef",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    "client_email": "ci@p.iam.gserviceaccount.com",
})


@pytest.mark.parametrize("secret,leak", [
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "b3BlbnNzaC1rZXktdjEAAAAA"),  # cut off
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("token: ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("x github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_11ABCDEFG0123456789"),
    ("GITLAB=glpat-abcdefghij0123456789", "glpat-abcdefghij0123456789"),
    ("hook xoxb-123456789012-abcdefghijkl", "xoxb-123456789012-abcdefghijkl"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
     "eyJzdWIiOiIxMjM0NTY3ODkwIn0"),
    ("postgresql://ci:s3cr@t-pw@db.internal:5432/argus", "s3cr@t-pw"),
    ('{"client_secret": "shhh-very-secret", "x": 1}', "shhh-very-secret"),
    ("DB_PASSWORD=hunter2 other=1", "hunter2"),
    ("<property name='secret' value='x'/> api_key='abc123xyz'", "abc123xyz"),
    (SERVICE_ACCOUNT, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF5abcdefSECRET\n-----END PGP PRIVATE KEY BLOCK-----",
     "lQOYBF5abcdefSECRET"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"),
    ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ('{"headers": {"Authorization": "token 0123456789abcdef0123"}}', "0123456789abcdef0123"),
])
def test_secrets_are_masked(secret: str, leak: str) -> None:
    assert leak not in redact(secret)
    excerpt = excerpt_of(secret.encode())
    assert excerpt is None or leak not in excerpt


def test_a_secret_cut_by_the_excerpt_leaves_no_prefix() -> None:
    doc = ('{"a": "' + "x" * (EXCERPT_CHARS - 30) + '", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
           + "Q" * 2000 + '"}')
    excerpt = excerpt_of(doc.encode())
    assert excerpt is not None and "QQQ" not in excerpt


def test_excerpt_is_short_with_capped_lines_and_no_control_characters() -> None:
    line = "DA:1," + "9" * 200_000  # an LCOV line of 200 KB
    excerpt = excerpt_of(f"SF:a.py\n{line}\n\x01\x02end".encode())
    assert excerpt is not None and len(excerpt) <= EXCERPT_CHARS
    assert all(len(x) <= EXCERPT_LINE_CHARS for x in excerpt.splitlines())
    assert "\x01" not in excerpt


@pytest.mark.parametrize("head,kind", [
    (b"", "empty"), (b"PK\x03\x04rest", "zip"), (b"\x1f\x8b\x08", "gzip"), (b"%PDF-1.7", "pdf"),
    (b"\xef\xbb\xbf<?xml ?>", "xml"), (b"  {\"a\": 1}", "json"), (b"SF:a\n", "text"), (b"ab\x00cd", "binary"),
    (b"\xff\xfe<\x00t\x00", "xml"), (b"\xc3\x28\xa0\xa1" * 10, "binary"),
])
def test_detect_type(head: bytes, kind: str) -> None:
    assert detect_type(head) == kind


def test_binary_input_keeps_no_excerpt() -> None:
    assert excerpt_of(b"PK\x03\x04" + b"password=x" * 10) is None
    assert excerpt_of(b"\x00\x01\x02binary") is None


def test_same_input_rejected_twice_is_one_row_with_a_count(project_session: Session) -> None:
    s = project_session
    for reason in ("first reason", "second reason"):
        record_dead_letter(s, DeadLetterSource.TEST_REPORT, "r.xml", reason, content_hash="a" * 64, size_bytes=3,
                           excerpt=b"<x")
    record_dead_letter(s, DeadLetterSource.COVERAGE, "r.xml", "other source", content_hash="a" * 64)
    record_dead_letter(s, DeadLetterSource.TEST_REPORT, "gone.xml", "file does not exist")
    record_dead_letter(s, DeadLetterSource.TEST_REPORT, "gone.xml", "file does not exist")
    rows = s.execute(select(DeadLetter.source, DeadLetter.source_name, DeadLetter.count, DeadLetter.reason)
                     .order_by(DeadLetter.id)).all()
    assert [tuple(r) for r in rows] == [
        ("test_report", "r.xml", 2, "second reason"), ("coverage", "r.xml", 1, "other source"),
        ("test_report", "gone.xml", 2, "file does not exist"),
    ]


def test_nul_bytes_and_surrogates_never_break_the_dead_letter(project_session: Session) -> None:
    s = project_session
    row = record_dead_letter(s, DeadLetterSource.TEST_REPORT, "bad\udcff.xml", "bad \x00 value " + "v" * 5000,
                             content_hash="b" * 64, size_bytes=9, excerpt="<a>\x00\ud800</a>")
    s.flush()
    assert "\x00" not in row.reason and len(row.reason) <= REASON_CHARS
    assert row.source_name == "bad\ufffd.xml"
    assert row.excerpt is not None and "\x00" not in row.excerpt


def test_yaml_block_scalar_secrets_are_masked_on_every_line() -> None:
    text = ("svc:\n  name: ci\n  private_key: |\n    MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
            "    BKcwggSjAgEAAoIBAQC7xyz\n\n    TAILabcdef0123\n  region: eu\n")
    out = redact(text)
    for leak in ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "BKcwggSjAgEAAoIBAQC7xyz", "TAILabcdef0123"):
        assert leak not in out
    assert "name: ci" in out and "region: eu" in out
