"""Pure rules of incident investigation: neighbours, deviations, burn rates, similarity, the hypothesis
generators, five-factor scoring, the policy and weight learning. Every threshold is a parameter
(:class:`~argus.analysis.investigation.schemas.InvestigationParams`, defaults in
:class:`argus.core.settings.InvestigationSettings`)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from argus.analysis.investigation.schemas import (
    FACTORS,
    AlertItem,
    Ev,
    Hypothesis,
    HypothesisKind,
    InvestigationParams,
    PolicyDecision,
    Scored,
    Snapshot,
    Verdict,
)

K = HypothesisKind
SATURATION_WORDS = ("saturation", "capacity", "cpu", "memory", "disk", "connections", "pool", "queue", "oom")


# ---- graph and signals --------------------------------------------------------------------------------


def neighbours(deps: Mapping[str, Sequence[str]], services: Iterable[str], hops: int) -> tuple[dict[str, int], dict[str, int]]:
    """(upstream, downstream) of ``services`` within ``hops``: service → distance. Upstream: what they depend on."""
    dependents: dict[str, set[str]] = {}
    for s, ds in deps.items():
        for d in ds:
            dependents.setdefault(d, set()).add(s)
    start = set(services)

    def walk(step: Mapping[str, Iterable[str]]) -> dict[str, int]:
        seen: dict[str, int] = {}
        frontier = set(start)
        for h in range(1, hops + 1):
            nxt = set()
            for s in frontier:
                for n in step.get(s, ()):
                    if n not in start and n not in seen:
                        seen[n] = h
                        nxt.add(n)
            frontier = nxt
        return seen

    return walk({k: list(v) for k, v in deps.items()}), walk(dependents)


def _num(v: object) -> float | None:
    try:
        f = float(str(v))
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def sigma_of(labels: Mapping[str, object]) -> tuple[float | None, float | None]:
    """(deviation in sigma, value) read off an alert's labels: ``sigma``/``zscore``, else
    (``value`` − ``baseline``) / ``stddev``."""
    value = _num(labels.get("value"))
    for k in ("sigma", "zscore", "z"):
        s = _num(labels.get(k))
        if s is not None:
            return abs(s), value
    base, sd = _num(labels.get("baseline")), _num(labels.get("stddev"))
    if value is not None and base is not None and sd:
        return abs(value - base) / sd, value
    return None, value


def is_saturation(name: str, labels: Mapping[str, object]) -> bool:
    text = (name + " " + str(labels.get("metric", ""))).lower()
    return any(w in text for w in SATURATION_WORDS)


def burn_rates(points: Sequence[tuple[datetime, float]], objective: float, now: datetime) -> dict[str, float]:
    """Error-budget burn rate over 5m, 30m, 1h and 6h windows ending at ``now``: mean error ratio in the
    window / (1 − objective). ``points`` are (time, error ratio in [0, 1])."""
    budget = max(1.0 - objective, 1e-9)
    out = {}
    for name, minutes in (("5m", 5), ("30m", 30), ("1h", 60), ("6h", 360)):
        lo = now - timedelta(minutes=minutes)
        vals = [v for t, v in points if lo < t <= now]
        out[name] = (sum(vals) / len(vals)) / budget if vals else 0.0
    return out


def burn_alerts(burn: Mapping[str, float], fast: float = 14.4, slow: float = 6.0) -> tuple[bool, bool]:
    """(page, ticket): 1h and 5m both at or above ``fast``; 6h and 30m both at or above ``slow``."""
    page = burn.get("1h", 0) >= fast and burn.get("5m", 0) >= fast
    ticket = burn.get("6h", 0) >= slow and burn.get("30m", 0) >= slow
    return page, ticket


_WORD = re.compile(r"[a-z0-9]{3,}")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def similarity(services_a: set[str], names_a: set[str], title_a: str,
               services_b: set[str], names_b: set[str], title_b: str) -> float:
    """0.4 · service overlap + 0.4 · alert-name overlap + 0.2 · title-word overlap (Jaccard each)."""
    return (0.4 * jaccard(services_a, services_b) + 0.4 * jaccard(names_a, names_b)
            + 0.2 * jaccard(words(title_a), words(title_b)))


# ---- generators ---------------------------------------------------------------------------------------


def _level(value: float, levels: Sequence[tuple[float, float]], default: float) -> float:
    for bound, score in levels:
        if value >= bound:
            return score
    return default


def temporal_score(gap_min: float, level: float, p: InvestigationParams) -> float:
    """``level`` when the cause came at most ``temporal_close_min`` before the symptom; then decaying
    towards ``temporal_none`` with half-life ``temporal_half_life_min``."""
    if gap_min < 0:
        return p.temporal_none
    if gap_min <= p.temporal_close_min:
        return level
    decay = 0.5 ** ((gap_min - p.temporal_close_min) / p.temporal_half_life_min)
    return p.temporal_none + (level - p.temporal_none) * decay


def _alert_ev(a: AlertItem, strength: str = "moderate") -> Ev:
    dev = f", {a.sigma:.1f} sigma" if a.sigma is not None else ""
    return Ev("alert", a.ref, strength, f"{a.name} on {a.service or '-'} ({a.severity}{dev}) from "
              f"{a.starts_at:%Y-%m-%d %H:%M}", "alert", a.starts_at)


def _max_sigma(alerts: Iterable[AlertItem]) -> float | None:
    vals = [a.sigma for a in alerts if a.sigma is not None]
    return max(vals) if vals else None


def _symptom_at(s: Snapshot) -> datetime:
    own = [a.starts_at for a in s.alerts if a.in_incident]
    return min(own) if own else s.opened_at


def generate(s: Snapshot, p: InvestigationParams) -> list[Hypothesis]:
    """Deterministic hypotheses of one snapshot (deployments and config changes of the service or an
    upstream; an upstream alerting first; a saturation trend; CI signals on a deployed commit; the
    recorded causes of similar past incidents)."""
    out: list[Hypothesis] = []
    symptom = _symptom_at(s)
    own = set(s.services) or ({s.service} if s.service else set())
    alerts_by: dict[str, list[AlertItem]] = {}
    for a in s.alerts:
        if a.service:
            alerts_by.setdefault(a.service, []).append(a)
    prec_by_cause: dict[str, list[str]] = {}
    with_pm = {pr.ref: pr.postmortem for pr in s.precedents if pr.postmortem}
    for pr in s.precedents:
        if pr.cause and pr.similarity >= p.precedent_min_similarity:
            prec_by_cause.setdefault(pr.cause, []).append(pr.ref)

    def precedent_of(cause: str) -> tuple[int, tuple[str, ...]]:
        refs = tuple(prec_by_cause.get(cause, ()))
        return len(refs), refs

    # upstream alerting first: the earliest-alerting service upstream of another affected one
    # when each affected service started alerting: an incident service its first alert; an upstream
    # outside the incident its latest alert start up to the symptom (a flapping dependency's last flap)
    first_at: dict[str, datetime] = {}
    for a in s.alerts:
        if a.service and a.in_incident:
            first_at[a.service] = min(first_at.get(a.service, a.starts_at), a.starts_at)
    for a in s.alerts:
        if a.service and not a.in_incident and a.relation == "upstream" and a.service not in own:
            prev = first_at.get(a.service)
            if a.starts_at <= symptom:
                if prev is None or prev > symptom or a.starts_at > prev:
                    first_at[a.service] = a.starts_at
            elif prev is None or (prev > symptom and a.starts_at < prev):
                first_at[a.service] = a.starts_at
    upstream_first: list[str] = []
    for u, t_u in sorted(first_at.items()):
        below = [x for x in own if x != u and depends_on(x, u, s.deps) and t_u <= first_at.get(x, symptom)]
        recent = symptom - t_u <= timedelta(minutes=2 * p.temporal_close_min) or any(
            a.service == u and a.starts_at <= symptom and (a.ends_at is None or a.ends_at >= symptom)
            for a in s.alerts)
        if below and recent and t_u <= symptom + timedelta(minutes=p.after_min):
            upstream_first.append(u)

    # deployments and config changes
    ci_by_commit: dict[str, list[Ev]] = {}
    for c in s.ci:
        if c.commit:
            ci_by_commit.setdefault(c.commit, []).append(Ev("insight", c.ref, "strong", f"{c.kind}: {c.detail}", "ci"))
    for ch in s.changes:
        if ch.relation not in ("self", "upstream") or ch.at > symptom:
            continue
        kind = K.CONFIG if ch.kind == "config" else K.DEPLOY
        svc = ch.service or "-"
        gap = (symptom - ch.at).total_seconds() / 60
        level = p.temporal_config if kind is K.CONFIG else p.temporal_deploy_close
        related = alerts_by.get(svc, []) if ch.relation == "upstream" else [a for a in s.alerts if a.in_incident]
        ev = [Ev("deployment", ch.ref, "strong" if gap <= p.temporal_close_min else "moderate",
                 f"{ch.kind} of {svc}" + (f" (commit {ch.commit[:10]})" if ch.commit else "")
                 + f" {gap:.0f} min before the first symptom", "deployment", ch.at)]
        ev += [_alert_ev(a) for a in related[:5]]
        if ch.commit:
            ev += ci_by_commit.get(ch.commit, [])
        if ch.risk is not None and ch.risk_ref and ch.risk >= 0.5:
            ev.append(Ev("risk_prediction", ch.risk_ref, "moderate", f"change risk {ch.risk:.2f}", "risk"))
        contra = []
        if ch.relation == "upstream" and not alerts_by.get(svc):
            contra.append(f"{svc} was deployed but sent no alert")
        earlier = [u for u in upstream_first if u != svc and first_at.get(u, symptom) < ch.at]
        if earlier:
            contra.append(f"{', '.join(sorted(earlier))} alerted before this change")
        n, refs = precedent_of(f"{kind.value}:{svc}")
        out.append(Hypothesis(
            f"{kind.value}:{ch.ref}", kind, f"{kind.value}:{svc}", ch.service,
            f"{'Config change' if kind is K.CONFIG else 'Deployment'} of {svc}"
            + (" (upstream)" if ch.relation == "upstream" else "") + f" {gap:.0f} min before the symptom",
            tuple(ev), _max_sigma(related), temporal_score(gap, level, p), n, refs, tuple(contra),
            relation=ch.relation))
    # CI signals on a commit deployed in the look-back, without being a deployment hypothesis of its own
    deployed = {ch.commit: ch for ch in s.changes if ch.commit and ch.relation in ("self", "upstream")}
    for commit, evs in ci_by_commit.items():
        dep = deployed.get(commit)
        if dep is None or dep.at > symptom:
            continue
        ch = dep
        svc = ch.service or "-"
        gap = (symptom - ch.at).total_seconds() / 60
        n, refs = precedent_of(f"{K.DEPLOY.value}:{svc}")
        out.append(Hypothesis(f"ci_signal:{commit[:12]}", K.CI_SIGNAL, f"{K.DEPLOY.value}:{svc}", ch.service,
                              f"CI signal on the deployed commit {commit[:10]} of {svc}",
                              (*tuple(evs), Ev("deployment", ch.ref, "moderate", f"deployed {gap:.0f} min before", "deployment", ch.at)),
                              None, temporal_score(gap, p.temporal_deploy_close, p), n, refs,
                              relation=ch.relation))
    # upstream dependency alerting first
    for u in upstream_first:
        rel = alerts_by.get(u, [])
        lead = (symptom - first_at[u]).total_seconds() / 60
        episodes = len({a.ref for a in rel})
        ev = [_alert_ev(a, "strong" if i == 0 else "moderate") for i, a in enumerate(sorted(rel, key=lambda a: a.starts_at)[:5])]
        ev += [_alert_ev(a, "weak") for a in s.alerts if a.in_incident and a.service != u][:2]
        n, refs = precedent_of(f"{K.UPSTREAM.value}:{u}")
        flaky = episodes >= 3 and sum(1 for a in rel if a.ends_at is not None) >= 2
        out.append(Hypothesis(
            f"upstream:{u}", K.UPSTREAM, f"{K.UPSTREAM.value}:{u}", u,
            f"Upstream {u} {'is flapping' if flaky else 'alerted first'} ({lead:.0f} min before the symptom"
            f", {episodes} alert(s))", tuple(ev), _max_sigma(rel),
            p.temporal_upstream_first if 0 <= lead <= p.temporal_close_min
            else temporal_score(max(lead, 0), p.temporal_upstream_first, p), n, refs, relation="upstream"))
    # capacity / saturation trend on an affected service
    for svc in sorted(own):
        horizon = symptom - timedelta(minutes=p.temporal_close_min + 2 * p.temporal_half_life_min)
        sat = sorted((a for a in alerts_by.get(svc, []) if a.saturation and horizon <= a.starts_at
                      <= symptom + timedelta(minutes=p.after_min)), key=lambda a: a.starts_at)
        if not sat:
            continue
        vals = [a.value for a in sat if a.value is not None]
        rising = len(vals) >= 2 and all(b >= a for a, b in itertools.pairwise(vals)) and vals[-1] > vals[0]
        lead = (symptom - sat[0].starts_at).total_seconds() / 60
        n, refs = precedent_of(f"{K.CAPACITY.value}:{svc}")
        ev = [_alert_ev(a, "strong" if rising else "moderate") for a in sat[-5:]]
        out.append(Hypothesis(
            f"capacity:{svc}", K.CAPACITY, f"{K.CAPACITY.value}:{svc}", svc,
            f"Saturation on {svc}" + (f" rising {vals[0]:g} → {vals[-1]:g}" if rising else "") + f" ({len(sat)} alert(s))",
            tuple(ev), _max_sigma(sat),
            p.temporal_config if rising else temporal_score(max(lead, 0), p.temporal_config, p) * 0.8, n, refs,
            () if rising else ("saturation not rising: a single reading",)))
    # SLO burn: evidence for every hypothesis about a burning service (added below), not a cause itself
    # precedents whose cause no generator proposed
    proposed = {h.cause for h in out}
    for cause, prefs in sorted(prec_by_cause.items()):
        if cause in proposed:
            continue
        kind_s, _, psvc = cause.partition(":")
        title = f"Same cause as similar incident(s) {', '.join(prefs[:3])}: {kind_s} of {psvc}"
        pev = tuple(Ev("past_incident", r, "weak", f"similar incident {r}, recorded cause {cause}"
                       + (f" (postmortem {with_pm[r]})" if r in with_pm else ""), "precedent")
                    for r in prefs[:5])
        out.append(Hypothesis(f"precedent:{cause}", K.PRECEDENT, cause, psvc or None, title, pev, None, None,
                              len(prefs), tuple(prefs), relation="-"))
    return [_with_metrics(_with_slo(h, s), s) for h in out]


def depends_on(x: str, u: str, deps: Mapping[str, Sequence[str]]) -> bool:
    """True when ``x`` depends on ``u``, directly or not."""
    seen, todo = {x}, [x]
    while todo:
        for d in deps.get(todo.pop(), ()):
            if d == u:
                return True
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return False


def _with_metrics(h: Hypothesis, s: Snapshot) -> Hypothesis:
    """Metric deviations of the hypothesis's service (and of the incident's services when the cause sits
    with them) as evidence; their deviation is the signal strength, over the alerts' values (the
    fallback when the anomaly capability has no data for the service)."""
    from dataclasses import replace

    if not s.metrics or h.kind is HypothesisKind.PRECEDENT:
        return h
    about = {h.service} if h.service else set()
    if h.relation == "self":
        about |= set(s.services)
    if h.kind is HypothesisKind.CAPACITY:
        ms = [m for m in s.metrics if m.service in about and m.saturation]
    else:
        ms = [m for m in s.metrics if m.service in about]
    if not ms:
        return h
    ms.sort(key=lambda m: -m.sigma)
    ev = tuple(Ev(m.ref_type, m.ref, "strong" if m.sigma >= 3 else "moderate",
                  f"{m.series} {m.value:g} at {m.at:%Y-%m-%d %H:%M}, baseline {m.baseline:g} "
                  f"({m.sigma:.1f} sigma; {'anomaly finding' if m.source == 'anomaly' else 'stored points'})",
                  "metric", m.at) for m in ms[:3])
    return replace(h, evidence=h.evidence + ev, sigma=ms[0].sigma)


def _with_slo(h: Hypothesis, s: Snapshot) -> Hypothesis:
    from dataclasses import replace

    burning = [x for x in s.slos if (x.page or x.ticket) and x.service in ({h.service} | set(s.services))]
    if not burning:
        return h
    ev = tuple(Ev("metric_window", x.ref, "moderate",
                  f"SLO {x.objective:g} of {x.service}: burn 1h {x.burn.get('1h', 0):.1f}, 5m {x.burn.get('5m', 0):.1f}",
                  "slo") for x in burning[:2])
    return replace(h, evidence=h.evidence + ev)


# ---- scoring ------------------------------------------------------------------------------------------


def factor_scores(h: Hypothesis, history: Mapping[str, tuple[int, int]], p: InvestigationParams) -> tuple[dict[str, float], tuple[str, ...]]:
    """The five factors of the seed (S2-34) and which of them were left at the no-information level."""
    defaults = []
    if h.sigma is None:
        signal = _level(0.0, p.signal_levels, 0.2)
        if not any(e.source == "alert" for e in h.evidence):
            defaults.append("signal")
    else:
        signal = _level(h.sigma, p.signal_levels, 0.2)
    temporal = p.temporal_none if h.temporal is None else h.temporal
    if h.temporal is None:
        defaults.append("temporal")
    precedent = _level(h.precedents, p.precedent_levels, 0.3)
    if h.precedents == 0:
        defaults.append("precedent")
    sources = {e.source for e in h.evidence if e.source != "precedent"}
    strong = any(e.strength == "strong" for e in h.evidence)
    if h.contradictions or not sources:
        evidence = p.evidence_weak
    elif len(sources) >= 2:
        evidence = p.evidence_multi
    elif strong:
        evidence = p.evidence_single
    else:
        evidence = p.evidence_weak
    acc, n = history.get(h.pattern, (0, 0))
    # the acceptance rate of this pattern, shrunk towards the neutral level by human_min_outcomes pseudo-outcomes
    human = (acc + p.human_none * p.human_min_outcomes) / (n + p.human_min_outcomes)
    if n < p.human_min_outcomes:
        defaults.append("human")
    return ({"signal": signal, "temporal": temporal, "precedent": precedent, "evidence": evidence, "human": human},
            tuple(defaults))


def normalised(weights: Mapping[str, float]) -> dict[str, float]:
    w = {f: max(0.0, float(weights.get(f, 0.0))) for f in FACTORS}
    total = sum(w.values())
    return {f: v / total for f, v in w.items()} if total > 0 else {f: 1 / len(FACTORS) for f in FACTORS}


def score(h: Hypothesis, history: Mapping[str, tuple[int, int]], p: InvestigationParams,
          weights: Mapping[str, float] | None = None) -> Scored:
    """Σ weight · factor, with the range base ± (uncertainty_base + uncertainty_per_default · defaults)."""
    w = normalised(weights or p.weights)
    f, defaults = factor_scores(h, history, p)
    base = sum(w[k] * f[k] for k in FACTORS)
    u = p.uncertainty_base + p.uncertainty_per_default * len(defaults)
    if h.kind is K.LLM and not any(e.source != "llm" for e in h.evidence):
        u += 0.1  # a draft nothing in the snapshot backs
    return Scored(h, f, w, base, max(0.0, base - u), min(1.0, base + u), defaults)


def rank(hs: Sequence[Hypothesis], history: Mapping[str, tuple[int, int]], p: InvestigationParams,
         weights: Mapping[str, float] | None = None) -> list[Scored]:
    """Scored hypotheses, best first; hypotheses of the same cause keep the best-scored one."""
    scored = sorted((score(h, history, p, weights) for h in hs), key=lambda x: (-x.base, x.hypothesis.key))
    seen: set[str] = set()
    out = []
    for x in scored:
        if x.hypothesis.cause in seen and x.hypothesis.kind is not K.LLM:
            continue
        seen.add(x.hypothesis.cause)
        out.append(x)
    return out


# ---- policy -------------------------------------------------------------------------------------------


def decide(ranked: Sequence[tuple[Scored, float]], p: InvestigationParams, service: str | None,
           tier_allows_ack: Mapping[str, bool] | None = None) -> PolicyDecision:
    """The policy (seed S2-36) on (scored hypothesis, calibrated confidence), best first.

    Top ``show_top`` above ``show_min`` are shown; every one below ``inconclusive_below`` (or none at
    all) → INCONCLUSIVE with a request naming what is missing; two shown hypotheses of different causes
    within ``conflict_margin`` are named as conflicting; auto-acknowledge only above ``auto_ack_above``,
    with a precedent, never for an LLM draft, and only where the review tier allows.
    """
    order = sorted(ranked, key=lambda x: -x[1])
    shown = [x for x in order if x[1] > p.show_min][: p.show_top]
    conflicts = []
    contested: set[str] = set()
    for i, (a, ca) in enumerate(shown):
        for b, cb in shown[i + 1:]:
            if a.hypothesis.cause != b.hypothesis.cause and abs(ca - cb) <= p.conflict_margin:
                conflicts.append(f"{a.hypothesis.title} ({ca:.2f}) vs {b.hypothesis.title} ({cb:.2f})")
                contested |= {a.hypothesis.key, b.hypothesis.key}
    svc = service or "the service"
    if not order or all(c < p.inconclusive_below for _, c in order):
        kinds = {x.hypothesis.kind for x, _ in order}
        missing = []
        if not kinds & {K.DEPLOY, K.CONFIG, K.CI_SIGNAL}:
            missing.append(f"a change to {svc} or its dependencies not recorded here (feature flag, infrastructure, "
                           "secret, data migration)")
        if K.UPSTREAM not in kinds:
            missing.append("an outside dependency failing (a provider, DNS, a network path) that sends no alerts here")
        if K.CAPACITY not in kinds:
            missing.append("a traffic or load event (a campaign, a batch job, a bot)")
        ask = (f"No hypothesis reaches {p.inconclusive_below:g}. Please tell: " + "; or ".join(missing)
                   + ". Record the cause with `argus incidents cause` when known.") if missing else (
                   f"No hypothesis reaches {p.inconclusive_below:g}: which of the listed ones comes closest, "
                   "and what is missing?")
        return PolicyDecision(Verdict.INCONCLUSIVE, (), tuple(conflicts), ask, None)
    verdict = Verdict.RANKED if shown else Verdict.LOW_CONFIDENCE
    request: str | None = None
    if conflicts:
        request = "Conflicting evidence: " + "; ".join(conflicts) + ". Which one matches what you see?"
    ack = None
    if shown:
        top, conf = shown[0]
        h = top.hypothesis
        if (conf > p.auto_ack_above and h.precedents > 0 and h.kind is not K.LLM and h.key not in contested
                and (tier_allows_ack or {}).get(h.key, False)):
            ack = h.key
    return PolicyDecision(verdict, tuple(x.hypothesis.key for x, _ in shown), tuple(conflicts), request, ack)


# ---- learning -----------------------------------------------------------------------------------------


def fit_weights(samples: Sequence[tuple[Mapping[str, float], bool]], prior: Mapping[str, float],
                steps: int = 400, rate: float = 0.05, pull: float = 2.0, band: float = 2.0) -> dict[str, float]:
    """Weights learned from recorded outcomes: minimise the log-loss of ``Σ w·f`` against accepted /
    rejected, plus ``pull`` · ‖w − prior‖² (so scarce outcomes move the seed weights only a little),
    by projected gradient descent on the simplex (weights ≥ 0, summing to 1); each weight is then kept
    within [prior / ``band``, prior · ``band``] (renormalised), so no factor takes over."""
    w = normalised(prior)
    w0 = dict(w)
    if not samples:
        return w
    n = len(samples)
    for _ in range(steps):
        grad = {f: 2 * pull * (w[f] - w0[f]) / max(1, n) * n / n for f in FACTORS}
        for fs, y in samples:
            s = min(max(sum(w[f] * fs.get(f, 0.0) for f in FACTORS), 1e-4), 1 - 1e-4)
            d = (s - (1.0 if y else 0.0)) / (s * (1 - s))
            for f in FACTORS:
                grad[f] += d * fs.get(f, 0.0) / n
        w = _project({f: w[f] - rate * grad[f] for f in FACTORS})
    for _ in range(5):
        w = normalised({f: min(max(w[f], w0[f] / band), w0[f] * band) for f in FACTORS})
    return w


def _project(v: Mapping[str, float]) -> dict[str, float]:
    """Euclidean projection onto the probability simplex."""
    items = sorted(v.values(), reverse=True)
    css = 0.0
    theta = 0.0
    for i, x in enumerate(items, 1):
        css += x
        t = (css - 1) / i
        if x - t > 0:
            theta = t
    return {f: max(0.0, x - theta) for f, x in v.items()}
