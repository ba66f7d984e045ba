"""Pure rules of investigation: neighbours, deviations, burn rates, the factor tables, the policy,
weight learning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argus.analysis.investigation import algo
from argus.analysis.investigation.schemas import (
    FACTORS,
    Ev,
    Hypothesis,
    HypothesisKind,
    InvestigationParams,
    Verdict,
)
from argus.core.settings import InvestigationSettings

T = datetime(2026, 5, 1, 12, tzinfo=UTC)
P = InvestigationParams()


def test_params_defaults_are_the_settings_defaults() -> None:
    from argus.analysis.investigation.service import params_from

    assert params_from(InvestigationSettings()) == P
    assert P.weights == {"signal": 0.25, "temporal": 0.20, "precedent": 0.20, "evidence": 0.20, "human": 0.15}


def test_neighbours_up_and_down_within_hops() -> None:
    deps = {"web": ["api"], "api": ["db"], "db": [], "batch": ["db"]}
    up, down = algo.neighbours(deps, {"api"}, 2)
    assert up == {"db": 1} and down == {"web": 1}
    up, down = algo.neighbours(deps, {"web"}, 1)
    assert up == {"api": 1} and down == {}
    assert algo.depends_on("web", "db", deps) and not algo.depends_on("db", "web", deps)


def test_sigma_from_labels() -> None:
    assert algo.sigma_of({"sigma": "-3.5"}) == (3.5, None)
    assert algo.sigma_of({"value": "130", "baseline": "100", "stddev": "10"}) == (3.0, 130.0)
    assert algo.sigma_of({"value": "nan"}) == (None, None)


def test_multiwindow_burn_rates() -> None:
    # error ratio 2% against a 99.9% objective: burn 20 on every window → page and ticket
    pts = [(T - timedelta(minutes=m), 0.02) for m in range(0, 360, 1)]
    burn = algo.burn_rates(pts, 0.999, T)
    assert round(burn["1h"], 6) == 20.0 and algo.burn_alerts(burn) == (True, True)
    # a spike only in the last 5 minutes does not page (the 1 h window is low)
    pts = [(T - timedelta(minutes=m), 0.05 if m < 5 else 0.0) for m in range(0, 360)]
    assert algo.burn_alerts(algo.burn_rates(pts, 0.999, T)) == (False, False)


def hyp(key: str, kind: HypothesisKind = HypothesisKind.DEPLOY, **kw: object) -> Hypothesis:
    base = dict(cause=f"{kind.value}:{key}", service=key, title=key,
                evidence=(Ev("deployment", "1", "strong", "d", "deployment"), Ev("alert", "2", "moderate", "a", "alert")))
    base.update(kw)
    return Hypothesis(key, kind, **base)  # type: ignore[arg-type]


def test_seed_level_tables() -> None:
    f, defaults = algo.factor_scores(hyp("a", sigma=3.2, temporal=0.95, precedents=12), {}, P)
    assert f == {"signal": 0.9, "temporal": 0.95, "precedent": 0.9, "evidence": 0.95, "human": 0.5}
    assert defaults == ("human",)
    f, _ = algo.factor_scores(hyp("b", sigma=2.0, precedents=4, contradictions=("x",)), {}, P)
    assert (f["signal"], f["temporal"], f["precedent"], f["evidence"]) == (0.7, 0.3, 0.7, 0.4)
    f, _ = algo.factor_scores(hyp("c", sigma=1.1, precedents=1, evidence=(Ev("alert", "1", "strong", "a", "alert"),)),
                              {}, P)
    assert (f["signal"], f["precedent"], f["evidence"]) == (0.4, 0.5, 0.7)
    h = hyp("d", temporal=0.95)
    f, _ = algo.factor_scores(h, {h.pattern: (8, 10)}, P)
    assert round(f["human"], 4) == round((8 + 0.5 * 3) / 13, 4)


def test_score_is_the_weighted_sum_with_a_range() -> None:
    x = algo.score(hyp("a", sigma=3.2, temporal=0.95, precedents=12), {}, P)
    assert abs(x.base - (0.25 * 0.9 + 0.2 * 0.95 + 0.2 * 0.9 + 0.2 * 0.95 + 0.15 * 0.5)) < 1e-9
    assert abs((x.high - x.low) / 2 - (P.uncertainty_base + P.uncertainty_per_default)) < 1e-9


def test_policy_top3_inconclusive_conflicts_and_auto_ack() -> None:
    xs = [algo.score(hyp(k, precedents=2), {}, P) for k in "abcd"]
    d = algo.decide([(xs[0], 0.9), (xs[1], 0.5), (xs[2], 0.45), (xs[3], 0.42)], P, "api", {"a": True})
    assert d.verdict is Verdict.RANKED and d.shown == ("a", "b", "c") and d.auto_ack == "a"
    assert d.conflicts  # b and c within 0.1
    d = algo.decide([(xs[0], 0.9)], P, "api", {"a": False})
    assert d.auto_ack is None  # the review tier does not allow it
    d = algo.decide([(xs[0], 0.29), (xs[1], 0.1)], P, "api")
    assert d.verdict is Verdict.INCONCLUSIVE and d.request and "upstream" not in d.request.split("Please tell")[0]
    assert algo.decide([], P, None).verdict is Verdict.INCONCLUSIVE
    assert algo.decide([(xs[0], 0.35)], P, "api").verdict is Verdict.LOW_CONFIDENCE
    llm = algo.score(hyp("l", HypothesisKind.LLM, precedents=3), {}, P)
    assert algo.decide([(llm, 0.99)], P, "api", {"l": True}).auto_ack is None  # a draft never decides


def test_learned_weights_stay_on_the_simplex_and_near_the_seed() -> None:
    good = {"signal": 0.5, "temporal": 0.95, "precedent": 0.3, "evidence": 0.7, "human": 0.5}
    bad = {"signal": 0.5, "temporal": 0.3, "precedent": 0.3, "evidence": 0.7, "human": 0.5}
    w = algo.fit_weights([(good, True)] * 20 + [(bad, False)] * 20, P.weights)
    assert abs(sum(w.values()) - 1) < 1e-9 and all(w[f] > 0 for f in FACTORS)
    assert w["temporal"] > P.weights["temporal"] and w["temporal"] <= 0.45
    assert algo.fit_weights([], P.weights) == algo.normalised(P.weights)
