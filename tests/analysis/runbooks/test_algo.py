"""Pure functions of runbooks: tokenizer, front-matter, action discovery, BM25 (golden values), the
Beta-smoothed success rate, ranking factors and cosine similarity."""

from __future__ import annotations

import math

import pytest

from argus.analysis.runbooks import algo
from argus.analysis.runbooks.schemas import ActionKind, Candidate, Risk
from argus.core.errors import InputError


def test_tokenize_splits_camel_case_drops_stop_words_and_stems() -> None:
    assert algo.tokenize("HighErrorRate on checkout-api: pods restarted") == \
        ["high", "error", "rate", "checkout", "api", "pod", "restart"]
    assert algo.tokenize("the a of") == []
    assert algo.tokenize("OOMKilled") == ["oom", "kill"]


def test_front_matter_fields_and_defaults() -> None:
    doc = algo.parse_runbook("---\ntitle: Roll back\nservices: [checkout]\nrisk: HIGH\nimpact: fast\n"
                             "actions:\n  - kind: rollback\n    description: undo\n    target: checkout\n"
                             "owner: me\n---\n# Heading\nbody\n", "a.md")
    assert (doc.title, doc.services, doc.risk, doc.impact) == ("Roll back", ("checkout",), Risk.HIGH, "fast")
    assert doc.actions[0].kind is ActionKind.ROLLBACK and doc.actions[0].target == "checkout"
    assert doc.warnings == ("unknown front-matter field 'owner' ignored",)
    plain = algo.parse_runbook("# Disk full\n\n1. Restart the pod\n- scale out the deployment\n", "ops/disk.md",
                               Risk.LOW)
    assert plain.title == "Disk full" and plain.risk is Risk.LOW and plain.impact == ""
    assert [a.kind for a in plain.actions] == [ActionKind.RESTART, ActionKind.SCALE]
    assert not plain.actions[0].declared
    assert algo.parse_runbook("no heading", "x/y.md").title == "y"


@pytest.mark.parametrize(("text", "message"), [
    ("---\ntitle: [unclosed\n---\nbody", "front-matter is not YAML"),
    ("---\ntitle: x\nbody without end", "never closed"),
    ("---\n- a\n- b\n---\nbody", "must be a mapping"),
    ("---\nrisk: extreme\n---\n", "risk 'extreme'"),
    ("---\nactions: [{kind: explode}]\n---\n", "action kind 'explode'"),
    ("---\nactions: {kind: restart}\n---\n", "actions: expected a list"),
    ("---\nservices: {a: 1}\n---\n", "services: expected a list"),
    ("---\ntitle: {a: 1}\n---\n", "title: expected text"),
])
def test_malformed_front_matter_names_file_and_field(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        algo.parse_runbook(text, "bad.md")
    assert str(err.value).startswith("bad.md")


def test_bm25_golden() -> None:
    docs = [["rollback", "deploy", "deploy"], ["scale", "replica"], ["deploy", "config"]]
    idx = algo.Bm25(docs, k1=1.2, b=0.75)
    avgdl = 7 / 3
    idf_deploy = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    idf_rollback = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    norm0 = 1.2 * (1 - 0.75 + 0.75 * 3 / avgdl)
    want = idf_deploy * 2 * 2.2 / (2 + norm0) + idf_rollback * 1 * 2.2 / (1 + norm0)
    assert idx.score(["rollback", "deploy", "deploy"], 0) == pytest.approx(want)
    assert idx.scores(["replica"])[0] == 0 and idx.scores(["replica"])[1] > 0
    assert algo.Bm25([]).scores(["x"]) == []


def test_success_rate_is_the_beta_posterior_mean() -> None:
    assert algo.success_rate(0, 0) == 0.5
    assert algo.success_rate(3, 1) == pytest.approx(4 / 6)
    assert algo.success_rate(0, 0, 2, 8) == pytest.approx(0.2)


def test_rank_service_factor_and_feedback() -> None:
    cands = [Candidate(1, ("disk", "full", "volume"), frozenset()),
             Candidate(2, ("disk", "full", "clean"), frozenset({"db"})),
             Candidate(3, ("tls", "cert"), frozenset())]
    q = algo.tokenize("disk full")
    plain = algo.rank(cands, q, [])
    assert {r.id for r in plain} == {1, 2}  # 3 does not match: never ranked
    for_db = algo.rank(cands, q, ["db"])
    assert for_db[0].id == 2 and for_db[0].service_factor == 1.5
    for_api = algo.rank(cands, q, ["api"])
    assert for_api[0].id == 1 and for_api[1].service_factor == 0.5
    # feedback reorders runbooks that match about equally
    rated = [Candidate(1, ("disk", "full"), frozenset(), helped=0, not_helped=4),
             Candidate(2, ("disk", "full"), frozenset(), helped=4, not_helped=0)]
    out = algo.rank(rated, q, [])
    assert [r.id for r in out] == [2, 1] and out[0].success_rate == pytest.approx(5 / 6, abs=1e-4)
    assert out[0].match == 1.0 and out[0].confidence == pytest.approx(0.5 + 0.5 * 5 / 6, abs=1e-4)


def test_cosine() -> None:
    assert algo.cosine(["a", "b"], ["a", "b"]) == pytest.approx(1.0)
    assert algo.cosine(["a"], ["b"]) == 0.0
    assert algo.cosine([], ["b"]) == 0.0
