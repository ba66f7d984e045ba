"""Character n-gram similarity between templates."""

from __future__ import annotations

import pytest

from argus.analysis.failures.similar import cosine, most_similar, ngrams, tfidf

TEMPLATES = [
    "ConnectionRefusedError: [Errno <*>] Connection refused to <*>",
    "requests.exceptions.ConnectionError: Connection refused by <*> after <*> retries",
    "AssertionError: assert <*> == <*>",
    "KeyError: <*>",
]


def test_ngrams_ignore_wildcards_digits_and_case() -> None:
    assert ngrams("Ab <*> 12 c") == ngrams("ab  c")
    assert ngrams("ab") == {" ab": 1, "ab ": 1}


def test_vectors_are_unit_length_and_self_similar() -> None:
    vecs = tfidf(TEMPLATES)
    for v in vecs:
        assert cosine(v, v) == pytest.approx(1.0)


def test_related_templates_rank_first_and_unrelated_are_cut() -> None:
    hits = most_similar(TEMPLATES, 0, min_similarity=0.2)
    assert hits and hits[0][0] == 1
    assert all(i not in (2, 3) for i, _ in most_similar(TEMPLATES, 0, min_similarity=0.3))
    assert most_similar(["x"], 0) == []
