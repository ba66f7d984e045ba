"""The PR rework classifier on stored delivery data: train and register a version (the risk capability's
model registry, champion/challenger on a time-ordered holdout), predict for open PRs as insights.

Never commits (the use case owns the transaction).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from argus.analysis.delivery import queries
from argus.analysis.delivery.rework import (
    ALGORITHM,
    FEATURES,
    PARAMS,
    ReworkModel,
    ReworkRow,
    fit,
    logistic_baseline,
    matrix,
    rows,
    scores,
)
from argus.analysis.risk import service as registry
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.core.errors import InputError, NotFoundError
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

MODEL_NAME = "pr_rework"
LABEL = "pr_rework"


@dataclass(frozen=True)
class ReworkParams:
    """Label thresholds (seed 001: cycles > 2 or rework commits > 3) and the training split."""

    max_cycles: int = 2
    max_rework_commits: int = 3
    train_fraction: float = 0.8
    min_rows: int = 50


@dataclass(frozen=True)
class ReworkTrain:
    version: int
    promoted: bool
    reason: str
    train_rows: int
    holdout_rows: int
    rework_share: float
    holdout: dict[str, Any]  # the model on the time-ordered holdout
    in_sample: dict[str, Any]  # the model on its own training rows
    baselines: dict[str, Any]  # base rate and logistic regression on the same holdout
    champion: dict[str, Any] | None


@dataclass(frozen=True)
class ReworkPrediction:
    pr_id: str
    repo: str | None
    probability: float
    predicted_rework: bool
    factors: tuple[tuple[str, float, float], ...]  # (feature, value, contribution to the log-odds)
    model_version: int
    insight_id: int | None = None


def _hash(X: np.ndarray, y: np.ndarray, keys: list[str]) -> str:
    h = hashlib.sha256("\x1f".join(keys).encode())
    h.update(np.ascontiguousarray(np.nan_to_num(X, nan=-1.2345e300)).tobytes())
    h.update(np.ascontiguousarray(y.astype(np.int8)).tobytes())
    return h.hexdigest()


def _rows(session: Session, p: ReworkParams) -> list[ReworkRow]:
    return rows(queries.pull_requests(session), queries.pr_commits(session), queries.pr_comments(session),
                max_cycles=p.max_cycles, max_rework_commits=p.max_rework_commits)


def train(session: Session, p: ReworkParams) -> ReworkTrain:
    """Fit on the earliest ``train_fraction`` of the labelled (merged) PRs by creation time, score the
    rest (holdout) beside the training rows (in-sample) and two baselines, register the version."""
    labelled = [r for r in _rows(session, p) if r.counts is not None]
    if len(labelled) < p.min_rows:
        raise InputError(f"{len(labelled)} merged PR(s) with a creation time: at least {p.min_rows} are needed")
    X = matrix(labelled)
    y = np.array([r.label(p.max_cycles, p.max_rework_commits) for r in labelled], dtype=int)
    k = int(len(y) * p.train_fraction)
    if not 0 < k < len(y) or len(np.unique(y[:k])) < 2:
        raise InputError(f"the {k} training PR(s) hold one class only: nothing to learn")
    try:
        model = fit(X[:k], y[:k])
    except ValueError as exc:
        raise InputError(f"cannot train: {exc}") from None
    holdout = scores(y[k:], model.predict(X[k:]), model.threshold)
    in_sample = scores(y[:k], model.predict(X[:k]), model.threshold)
    lr_tr, lr_te = logistic_baseline(X[:k], y[:k], X[k:])
    base = float(y[:k].mean())
    baselines = {"base_rate": scores(y[k:], np.full(len(y) - k, base), 0.5),
                 "logistic": scores(y[k:], lr_te, 0.5), "logistic_in_sample": scores(y[:k], lr_tr, 0.5)}
    champion = registry.active_artefact(session, MODEL_NAME)
    champ = None
    if champion is not None:
        old = ReworkModel.from_json(champion[1])
        champ = scores(y[k:], old.predict(X[k:]), old.threshold)
    tr, ho = labelled[:k], labelled[k:]
    result = registry.register_version(
        session, name=MODEL_NAME, algorithm=ALGORITHM,
        params={**PARAMS, "max_cycles": p.max_cycles, "max_rework_commits": p.max_rework_commits,
                "train_fraction": p.train_fraction},
        label=LABEL, features=FEATURES, data_hash=_hash(X[:k], y[:k], [r.pr_id for r in tr]),
        data_from=tr[0].created_at, data_to=tr[-1].created_at, train_rows=k, holdout_from=ho[0].created_at,
        holdout_to=ho[-1].created_at, artefact=model.to_json(), champion_metrics=champ,
        metrics={"model": holdout, "in_sample": in_sample, **baselines, "holdout_rows": len(ho)})
    return ReworkTrain(result.model.version, result.promoted, result.reason, k, len(ho), float(y.mean()), holdout,
                       in_sample, baselines, champ)


def predict(session: Session, p: ReworkParams, *, pr_id: str | None = None, limit: int = 50,
            save: bool = True) -> list[ReworkPrediction]:
    """The active version's calibrated rework probability for the open PRs (or one PR), newest first;
    each saved as a ``pr_rework`` insight with the PR, the model version and the top factors as evidence."""
    active = registry.active_artefact(session, MODEL_NAME)
    if active is None:
        raise NotFoundError("no active pr_rework model: run `argus prs rework --train` first")
    view, artefact = active
    model = ReworkModel.from_json(artefact)
    every = _rows(session, p)
    chosen = [r for r in every if r.pr_id == pr_id] if pr_id else [r for r in every if not r.merged]
    if pr_id and not chosen:
        raise NotFoundError(f"pull request {pr_id!r} not found (or has no creation time)")
    chosen = sorted(chosen, key=lambda r: r.created_at, reverse=True)[:limit]
    if not chosen:
        return []
    X = matrix(chosen)
    prob = model.predict(X)
    contrib = model.contributions(X)
    out = []
    for i, r in enumerate(chosen):
        order = np.argsort(-np.abs(contrib[i]))[:3]
        factors = tuple((FEATURES[j], float(X[i, j]), round(float(contrib[i, j]), 4)) for j in order)
        out.append(ReworkPrediction(r.pr_id, r.repo, round(float(prob[i]), 4), bool(prob[i] >= model.threshold),
                                    factors, view.version))
    if save:
        from argus.analysis.insights.service import save_insights

        ids = save_insights(session, [_insight(x, view.id, view.metrics) for x in out])
        out = [ReworkPrediction(x.pr_id, x.repo, x.probability, x.predicted_rework, x.factors, x.model_version, i)
               for x, i in zip(out, ids, strict=True)]
    return out


def _insight(x: ReworkPrediction, model_id: int, metrics: dict[str, Any]) -> Insight:
    ho = metrics.get("model") or {}
    auc = ho.get("auc")
    quality = (f"holdout AUC {auc:.3f}, Brier {ho.get('brier', float('nan')):.3f}, ECE {ho.get('ece', 0):.3f} on "
               f"{ho.get('rows', 0)} later PRs") if auc is not None else "holdout AUC undefined (one class)"
    strength = Support.MODERATE if auc is not None and auc >= 0.7 else Support.WEAK
    why = ", ".join(f"{f}={v:g} ({'+' if c >= 0 else ''}{c:.2f})" for f, v, c in x.factors)
    evidence = (Evidence(EvidenceType.PULL_REQUEST, x.pr_id, Support.STRONG, f"features at opening: {why}"),
                Evidence(EvidenceType.MODEL_VERSION, str(model_id), strength, f"pr_rework v{x.model_version}: {quality}"))
    verdict = "likely" if x.predicted_rework else "unlikely"
    conf = x.probability if x.predicted_rework else 1.0 - x.probability  # of the claim as worded
    claim = Claim(f"PR {x.pr_id} is {verdict} to need rework (more than 2 review cycles or more than 3 rework "
                  f"commits): calibrated probability of rework {x.probability:.2f}", conf, evidence)
    return Insight(
        kind=InsightKind.PR_REWORK, subject=Subject(SubjectType.PULL_REQUEST, x.pr_id),
        title=f"PR {x.pr_id}: rework {verdict} (p={x.probability:.2f})",
        summary=f"Predicted from what is known when the PR opened; top factors: {why}.",
        claims=(claim,), confidence=Confidence(conf),
        provenance=Provenance("argus.delivery.rework", "1", {"threshold_rule": "cycles > 2 or rework commits > 3"},
                              f"{MODEL_NAME} v{x.model_version}"),
        action="review" if x.predicted_rework else "none",
        uncertainty=("a prediction from correlations in past PRs, not a cause",),
        data={"probability": x.probability, "factors": [list(f) for f in x.factors]})


# --------------------------------------------------------------------------------------------- work items


@dataclass(frozen=True)
class WorkTrain:
    model: str
    version: int
    promoted: bool
    reason: str
    train_rows: int
    holdout_rows: int
    holdout: dict[str, Any]
    in_sample: dict[str, Any]
    baseline: dict[str, Any]  # points: training median; epics: the raw forecast (factor 1)


@dataclass(frozen=True)
class PointEstimate:
    item_id: str
    title: str | None
    estimate: float
    raw: float
    model_version: int
    insight_id: int | None = None


@dataclass(frozen=True)
class EpicForecast:
    epic_id: str
    items: int
    done: int
    p50_days: float | None
    p85_days: float | None
    p50_date: str | None
    p85_date: str | None
    own_history: bool
    model_version: int
    insight_id: int | None = None


def _split(n: int, fraction: float) -> int:
    k = int(n * fraction)
    if not 0 < k < n:
        raise InputError(f"{n} row(s) cannot be split {fraction:g}/{1 - fraction:g} in time")
    return k


def train_points(session: Session, p: ReworkParams) -> WorkTrain:
    """Story points: fit on the earliest items with points (creation order), score the rest."""
    from argus.analysis.delivery import workitems as wi

    items = sorted((i for i in queries.work_items(session) if i.story_points is not None and i.created_at
                    and (i.type or "").upper() != "EPIC"), key=lambda i: (i.created_at, i.id))
    if len(items) < p.min_rows:
        raise InputError(f"{len(items)} work item(s) with story points: at least {p.min_rows} are needed")
    k = _split(len(items), p.train_fraction)
    tr, ho = items[:k], items[k:]
    model = wi.fit_points(tr)
    y_tr = np.array([float(i.story_points or 0) for i in tr])
    y_ho = np.array([float(i.story_points or 0) for i in ho])
    holdout = wi.points_scores(y_ho, model.predict(ho), model.scale)
    in_sample = wi.points_scores(y_tr, model.predict(tr), model.scale)
    median = wi.snap(np.array([float(np.median(y_tr))]), model.scale)[0]
    baseline = wi.points_scores(y_ho, np.full(len(ho), median), model.scale)
    champ = None
    active = registry.active_artefact(session, "story_points")
    if active is not None:
        old = wi.PointsModel.from_json(active[1])
        champ = wi.points_scores(y_ho, old.predict(ho), old.scale)
    r = registry.register_version(
        session, name="story_points", algorithm="hashed-words+ridge(log1p)", params={"alpha": 3.0,
        "hash_bits": wi.HASH_BITS, "train_fraction": p.train_fraction}, label="story_points",
        features=["title words (1-2 grams, hashed)", "type", "component"],
        data_hash=hashlib.sha256("\x1f".join(f"{i.id}:{i.story_points}" for i in tr).encode()).hexdigest(),
        data_from=tr[0].created_at, data_to=tr[-1].created_at, train_rows=len(tr), holdout_from=ho[0].created_at,
        holdout_to=ho[-1].created_at, artefact=model.to_json(), champion_metrics=champ,
        metrics={"model": holdout, "in_sample": in_sample, "median": baseline}, lower_is_better="mae")
    return WorkTrain("story_points", r.model.version, r.promoted, r.reason, len(tr), len(ho), holdout, in_sample,
                     baseline)


def estimate_points(session: Session, *, item_id: str | None = None, limit: int = 50,
                    save: bool = True) -> list[PointEstimate]:
    """The active estimator's story points for the items without points (or one item), newest first."""
    from argus.analysis.delivery import workitems as wi

    active = registry.active_artefact(session, "story_points")
    if active is None:
        raise NotFoundError("no active story_points model: run `argus work points --train` first")
    model = wi.PointsModel.from_json(active[1])
    items = [i for i in queries.work_items(session) if (i.type or "").upper() != "EPIC"]
    chosen = [i for i in items if i.id == item_id] if item_id else [i for i in items if i.story_points is None]
    if item_id and not chosen:
        raise NotFoundError(f"work item {item_id!r} not found")
    chosen = sorted(chosen, key=lambda i: (i.created_at is None, i.created_at), reverse=True)[:limit]
    if not chosen:
        return []
    raw, est = model.raw(chosen), model.predict(chosen)
    out = [PointEstimate(i.id, i.title, float(e), round(float(r), 2), active[0].version)
           for i, e, r in zip(chosen, est, raw, strict=True)]
    if not save:
        return out
    from dataclasses import replace

    from argus.analysis.insights.service import save_insights

    ho = active[0].metrics.get("model") or {}
    ids = save_insights(session, [_points_insight(x, active[0].id, ho) for x in out])
    return [replace(x, insight_id=i) for x, i in zip(out, ids, strict=True)]


def _points_insight(x: PointEstimate, model_id: int, ho: dict[str, Any]) -> Insight:
    # confidence: the share of held-out items the active version placed within one scale step
    conf = float(ho.get("within_one_step") or 0.5)
    quality = (f"holdout MAE {ho.get('mae')} points, exact {ho.get('exact')}, within one step "
               f"{ho.get('within_one_step')} on {ho.get('rows')} later items")
    ev = (Evidence(EvidenceType.WORK_ITEM, x.item_id, Support.STRONG, f"title: {(x.title or '')[:80]}"),
          Evidence(EvidenceType.MODEL_VERSION, str(model_id), Support.MODERATE, f"story_points v{x.model_version}: "
                   f"{quality}"))
    claim = Claim(f"{x.item_id} is about {x.estimate:g} story points (within one step of the scale)", conf, ev)
    return Insight(kind=InsightKind.STORY_POINTS, subject=Subject(SubjectType.WORK_ITEM, x.item_id),
                   title=f"{x.item_id}: about {x.estimate:g} points", summary=f"Estimated from the title, type and "
                   f"component (raw {x.raw:g}).", claims=(claim,), confidence=Confidence(conf),
                   provenance=Provenance("argus.delivery.points", "1", {}, f"story_points v{x.model_version}"),
                   action="review", uncertainty=("an estimate from similar past items, not a plan",),
                   data={"estimate": x.estimate, "raw": x.raw})


def train_epics(session: Session, p: ReworkParams) -> WorkTrain:
    """Epic forecaster: learn the P85 factor on the earlier resolved epics, score the later ones."""
    from argus.analysis.delivery import workitems as wi

    cs = wi.cases(queries.work_items(session))
    if len(cs) < 5:
        raise InputError(f"{len(cs)} resolved epic(s) with two or more items: at least 5 are needed")
    k = _split(len(cs), p.train_fraction)
    factor = wi.fit_factor(cs[:k])
    holdout, in_sample = wi.epic_scores(cs[k:], factor), wi.epic_scores(cs[:k], factor)
    baseline = wi.epic_scores(cs[k:], 1.0)
    champ = None
    active = registry.active_artefact(session, "epic_forecast")
    if active is not None:
        champ = wi.epic_scores(cs[k:], float(json.loads(active[1])["factor"]))
    r = registry.register_version(
        session, name="epic_forecast", algorithm="monte-carlo-throughput+p85-factor",
        params={"simulations": wi.SIMULATIONS, "min_own_done": wi.MIN_OWN_DONE, "train_fraction": p.train_fraction},
        label="epic_days_left", features=["epic daily throughput", "pooled daily throughput", "items left"],
        data_hash=hashlib.sha256("\x1f".join(c.epic_id for c in cs[:k]).encode()).hexdigest(),
        data_from=cs[0].finished, data_to=cs[k - 1].finished, train_rows=k, holdout_from=cs[k].finished,
        holdout_to=cs[-1].finished, artefact=json.dumps({"format": wi.FORMAT_EPICS, "factor": factor}),
        champion_metrics=champ, metrics={"model": holdout, "in_sample": in_sample, "raw": baseline, "factor": factor},
        lower_is_better="mae_days")
    return WorkTrain("epic_forecast", r.model.version, r.promoted, r.reason, k, len(cs) - k, holdout, in_sample,
                     baseline)


def forecast_epics(session: Session, *, now: Any = None, limit: int = 50, save: bool = True) -> list[EpicForecast]:
    """P50 / P85 completion of every open epic (an item still unresolved), with the active factor."""
    from datetime import timedelta

    from argus.analysis.delivery import workitems as wi
    from argus.core.clock import utcnow

    active = registry.active_artefact(session, "epic_forecast")
    if active is None:
        raise NotFoundError("no active epic_forecast model: run `argus work epics --train` first")
    factor = float(json.loads(active[1])["factor"])
    items = queries.work_items(session)
    now = now or max((t for i in items for t in (i.created_at, i.resolved_at) if t is not None), default=utcnow())
    groups = wi.epic_items(items)
    pooled = wi.pooled_daily(groups, now)
    rng = np.random.default_rng(7)
    out = []
    for eid, its in sorted(groups.items()):
        st = wi.state_at(eid, its, now)
        if st is None or st.done >= st.total:
            continue
        p50, p85 = wi.forecast(st, pooled, rng, factor)

        def day(d: float) -> str | None:
            return None if not np.isfinite(d) else (now + timedelta(days=d)).date().isoformat()

        out.append(EpicForecast(eid, st.total, st.done, round(p50, 1) if np.isfinite(p50) else None,
                                round(p85, 1) if np.isfinite(p85) else None, day(p50), day(p85),
                                st.done >= wi.MIN_OWN_DONE, active[0].version))
    out = out[:limit]
    if not save or not out:
        return out
    from dataclasses import replace

    from argus.analysis.insights.service import save_insights

    ho = active[0].metrics.get("model") or {}
    ids = save_insights(session, [_epic_insight(f, active[0].id, ho) for f in out])
    return [replace(f, insight_id=i) for f, i in zip(out, ids, strict=True)]


def _epic_insight(f: EpicForecast, model_id: int, ho: dict[str, Any]) -> Insight:
    # confidence: the share of held-out epics that finished by their P85 forecast
    conf = float(ho.get("p85_coverage") or 0.5)
    quality = (f"holdout P50 error {ho.get('mae_days')} days, P85 covered {ho.get('p85_coverage')} of "
               f"{ho.get('rows')} later epics")
    basis = "its own throughput" if f.own_history else "the pooled throughput of other epics"
    ev = (Evidence(EvidenceType.WORK_ITEM, f.epic_id, Support.STRONG, f"{f.done} of {f.items} items resolved"),
          Evidence(EvidenceType.MODEL_VERSION, str(model_id), Support.MODERATE,
                   f"epic_forecast v{f.model_version}: {quality}"))
    claim = Claim(f"{f.epic_id} finishes by {f.p85_date or 'an unknown date'} (P85; P50 {f.p50_date or '-'}), "
                  f"from {basis}", conf, ev)
    return Insight(kind=InsightKind.EPIC_FORECAST, subject=Subject(SubjectType.WORK_ITEM, f.epic_id),
                   title=f"{f.epic_id}: done by {f.p85_date or '?'} (P85)", summary=f"Monte Carlo on {basis}; "
                   f"{f.items - f.done} item(s) left.", claims=(claim,), confidence=Confidence(conf),
                   provenance=Provenance("argus.delivery.epics", "1", {}, f"epic_forecast v{f.model_version}"),
                   action="review", uncertainty=("assumes the epic keeps its pace and scope",),
                   data={"p50_days": f.p50_days, "p85_days": f.p85_days})
