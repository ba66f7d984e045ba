"""Change risk on ingested history: train and register models (champion/challenger), evaluate them,
assess a change or a range, log predictions, backfill outcomes, measure drift, flag anomalous predictions.

Never commits (the use case owns the transaction).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.analysis.insights import service as insights
from argus.analysis.risk import lifecycle
from argus.analysis.risk.features import STORE_FEATURES, ChangeRow, Context, labelled, load_changes
from argus.analysis.risk.insights import anomaly_insight, risk_insight
from argus.analysis.risk.model import (
    ALGORITHM,
    DEFAULT_PARAMS,
    KAMEI,
    CalibrationMethod,
    RiskModel,
    best_threshold,
    data_hash,
    fit_logistic,
    fit_risk_model,
    matrix,
    metrics,
    ml_modules,
)
from argus.analysis.risk.readmodels import (
    DriftReport,
    EvaluationView,
    Factor,
    FeatureDrift,
    ImpactedTests,
    ModelView,
    RiskAssessment,
    SimilarChange,
    TrainResult,
    TriggerView,
)
from argus.core.clock import utcnow
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import RiskLabel, RiskSettings, SelectionSettings
from argus.ingest.git.queries import find_commit
from argus.store.models import Commit, CommitFile, ModelVersion, RiskPrediction
from argus.store.session import current_project_id

__all__ = ["active_artefact", "assess", "backfill_outcomes", "drift", "evaluate", "get_model", "list_models", "promote",
           "register_version", "train"]


def _view(m: ModelVersion) -> ModelView:
    return ModelView(m.id, m.name, m.version, m.algorithm, m.status, m.label, dict(m.params), tuple(m.features),
                     m.data_hash, m.data_from, m.data_to, m.train_rows, m.holdout_from, m.holdout_to,
                     dict(m.metrics), m.reason, m.created_at, m.promoted_at)


def list_models(session: Session, name: str) -> list[ModelView]:
    rows = session.scalars(select(ModelVersion).where(ModelVersion.name == name)
                           .order_by(ModelVersion.version.desc())).all()
    return [_view(m) for m in rows]


def _row(session: Session, name: str, version: int | None) -> ModelVersion:
    q = select(ModelVersion).where(ModelVersion.name == name)
    q = q.where(ModelVersion.version == version) if version is not None else q.where(ModelVersion.status == "active")
    m = session.scalars(q.order_by(ModelVersion.version.desc()).limit(1)).first()
    if m is None:
        raise NotFoundError(f"model {name} version {version} not found" if version is not None else
                            f"no active {name} model (train one with `argus models train`)")
    return m


def get_model(session: Session, name: str, version: int | None = None) -> ModelView:
    return _view(_row(session, name, version))


# --------------------------------------------------------------------------------------------- data


def _repo(repo_path: str | None) -> Path | None:
    return Path(repo_path) if repo_path and Path(repo_path).is_dir() else None


def _load(session: Session, settings: RiskSettings, default_branch: str, repo_path: str | None) -> list[ChangeRow]:
    """The project's changes with every feature it can compute: impacted tests when a coverage map is
    stored; radon complexity of the newest ``complexity_max_commits`` changes when the repository is
    there and radon is installed (``risk.complexity``)."""
    from argus.analysis.selection.service import impact_index

    rows = load_changes(session, default_branch=default_branch, window=settings.ci_history_window,
                        context=Context(impact=impact_index(session)))
    repo = _repo(repo_path)
    if settings.complexity and repo is not None and rows:
        from argus.analysis.risk.complexity import commit_complexity, radon_available

        if radon_available():
            recent = rows[-settings.complexity_max_commits:]
            cx = commit_complexity(repo, [r.sha for r in recent])
            for r in recent:
                if r.sha in cx:
                    r.values["complexity"], r.values["complexity_delta"] = cx[r.sha]
    return rows


class _Data:
    """The labelled changes of a project split in time: training part, then the holdout."""

    def __init__(self, session: Session, settings: RiskSettings, default_branch: str,
                 repo_path: str | None = None) -> None:
        self.rows = _load(session, settings, default_branch, repo_path)
        rows, labels = labelled(self.rows, settings.label, now=utcnow(), maturity_days=settings.label_maturity_days)
        self.labelled, self.y = rows, np.array(labels, dtype=int)
        self.X = matrix([r.values for r in rows], STORE_FEATURES)
        n = len(rows)
        self.k = int(n * (1 - settings.holdout_fraction))
        if n < settings.min_train_rows or self.k < 2 or self.k >= n:
            raise InputError(f"{n} labelled change(s) ({settings.label.value} label); at least "
                             f"{settings.min_train_rows} are needed (run `argus ingest git`, or lower "
                             "risk.min_train_rows)")

    def holdout(self) -> tuple[np.ndarray, np.ndarray]:
        return self.X[self.k:], self.y[self.k:]


def _eval(model: RiskModel, X: np.ndarray, y: np.ndarray, feats: Sequence[str]) -> dict[str, Any]:
    cols = [STORE_FEATURES.index(f) for f in feats]
    return metrics(y, model.predict(X[:, cols]), model.threshold).as_dict()


def _baselines(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, yte: np.ndarray) -> dict[str, Any]:
    la = STORE_FEATURES.index("la")
    kamei = [STORE_FEATURES.index(k) for k in KAMEI]
    out = {}
    for name, cols in (("lapredict", [la]), ("logistic", kamei)):
        lr = fit_logistic(Xtr[:, cols], ytr, [STORE_FEATURES[c] for c in cols])
        thr = best_threshold(ytr, lr.predict(Xtr[:, cols]))
        out[name] = metrics(yte, lr.predict(Xte[:, cols]), thr).as_dict()
    return out


# --------------------------------------------------------------------------------------------- training


def train(session: Session, settings: RiskSettings, default_branch: str, *,
          params: dict[str, Any] | None = None, repo_path: str | None = None) -> TrainResult:
    """Train a new version on the labelled changes before the holdout, measure it (and both baselines) on
    the holdout, and make it active only if it beats the active version on that same holdout."""
    ml_modules()
    data = _Data(session, settings, default_branch, repo_path)
    Xtr, ytr = data.X[:data.k], data.y[:data.k]
    Xho, yho = data.holdout()
    if len(np.unique(ytr)) < 2:
        raise InputError(f"the {len(ytr)} training change(s) all have label {int(ytr[0])}: nothing to learn")
    p = {**DEFAULT_PARAMS, **(params or {})}
    model = fit_risk_model(Xtr, ytr, STORE_FEATURES, params=p, calibration=CalibrationMethod(settings.calibration))
    scored = {"model": _eval(model, Xho, yho, STORE_FEATURES), **_baselines(Xtr, ytr, Xho, yho)}
    reference = {f: lifecycle.reference_bins(Xtr[:, i]) for i, f in enumerate(STORE_FEATURES)}
    # the score's reference is out of sample (the holdout): in-sample scores of a booster are too confident
    reference["__score__"] = lifecycle.reference_bins(model.predict(Xho))
    name = settings.model_name
    last = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name)) or 0
    champion = session.scalars(select(ModelVersion).where(ModelVersion.name == name,
                                                          ModelVersion.status == "active")).first()
    champ_metrics = None
    if champion is not None:
        champ_metrics = _eval(RiskModel.from_json(champion.artefact), Xho, yho, champion.features)
    decision = lifecycle.challenge(champ_metrics, scored["model"], min_gain=settings.promote_min_gain,
                                   max_brier_loss=settings.promote_max_brier_loss)
    tr, ho = data.labelled[:data.k], data.labelled[data.k:]
    row = ModelVersion(
        project_id=current_project_id(session), name=name, version=last + 1, algorithm=ALGORITHM,
        params={**p, "calibration": settings.calibration}, label=settings.label.value,
        features=list(STORE_FEATURES), data_hash=data_hash(Xtr, ytr, [r.sha for r in tr]),
        data_from=tr[0].time, data_to=tr[-1].time, train_rows=len(tr), holdout_from=ho[0].time,
        holdout_to=ho[-1].time, metrics={**scored, "holdout_rows": len(ho)}, reference=reference,
        artefact=model.to_json(), status="candidate", reason=decision.reason)
    session.add(row)
    if decision.promote:
        _activate(session, row, champion)
    session.flush()
    return TrainResult(_view(row), _view(champion) if champion is not None else None, champ_metrics,
                       decision.promote, decision.reason)


def _activate(session: Session, row: ModelVersion, champion: ModelVersion | None) -> None:
    now = utcnow()
    if champion is not None and champion is not row:
        champion.status, champion.retired_at = "retired", now
        session.flush()
    row.status, row.promoted_at = "active", now


def evaluate(session: Session, settings: RiskSettings, default_branch: str, version: int | None, *,
             repo_path: str | None = None) -> EvaluationView:
    """A version (default: the active one) and both baselines on today's time-ordered holdout."""
    ml_modules()
    m = _row(session, settings.model_name, version)
    data = _Data(session, settings, default_branch, repo_path)
    Xho, yho = data.holdout()
    out = {"model": _eval(RiskModel.from_json(m.artefact), Xho, yho, m.features),
           **_baselines(data.X[:data.k], data.y[:data.k], Xho, yho)}
    ho = data.labelled[data.k:]
    return EvaluationView(_view(m), len(ho), ho[0].time, ho[-1].time, out)


def promote(session: Session, settings: RiskSettings, default_branch: str, version: int, *,
            force: bool = False, repo_path: str | None = None) -> TrainResult:
    """Make ``version`` active if it beats the active version on today's holdout (or ``force``, recorded)."""
    ml_modules()
    row = _row(session, settings.model_name, version)
    champion = session.scalars(select(ModelVersion).where(ModelVersion.name == settings.model_name,
                                                          ModelVersion.status == "active")).first()
    if champion is not None and champion.id == row.id:
        return TrainResult(_view(row), _view(champion), None, False, "already the active version")
    data = _Data(session, settings, default_branch, repo_path)
    Xho, yho = data.holdout()
    challenger = _eval(RiskModel.from_json(row.artefact), Xho, yho, row.features)
    champ = _eval(RiskModel.from_json(champion.artefact), Xho, yho, champion.features) if champion else None
    decision = lifecycle.challenge(champ, challenger, min_gain=settings.promote_min_gain,
                                   max_brier_loss=settings.promote_max_brier_loss)
    promoted = decision.promote or force
    reason = decision.reason if decision.promote or not force else f"forced by hand ({decision.reason})"
    row.reason = reason
    if promoted:
        _activate(session, row, champion)
    session.flush()
    return TrainResult(_view(row), _view(champion) if champion else None, champ, promoted, reason)


# --------------------------------------------------------------------------------------------- assessing


def _range(session: Session, repo_path: str | None, base: str, head: str) -> list[str]:
    """Shas of base..head: ``git rev-list`` in the project's repository when it is there, else the stored
    commits committed after ``base`` up to ``head``."""
    b, h = find_commit(session, base), find_commit(session, head)
    if repo_path:
        from pathlib import Path

        from argus.ingest.git.gitcmd import Git

        if Path(repo_path).is_dir():
            out = Git(Path(repo_path)).run(["rev-list", "--no-merges", f"{b.sha}..{h.sha}"], check=False)
            shas = out.decode().split()
            if shas:
                return shas
    rows = session.scalars(select(Commit.sha).where(Commit.committer_time > b.committer_time,
                                                    Commit.committer_time <= h.committer_time,
                                                    Commit.is_merge.is_(False), Commit.present.is_(True))).all()
    if not rows:
        raise InputError(f"no stored change between {base} and {head}")
    return list(rows)


def _similar(target: ChangeRow, rows: Sequence[ChangeRow], kind: RiskLabel, k: int) -> list[SimilarChange]:
    """Past breaking changes nearest to ``target`` in log-scaled Kamei space (only changes before it)."""
    past = [r for r in rows if r.time < target.time and r.label(kind) == 1]
    if not past or k == 0:
        return []
    X = matrix([r.values for r in past], KAMEI)
    t = matrix([target.values], KAMEI)
    tx = lambda a: np.sign(a) * np.log1p(np.abs(np.nan_to_num(a)))  # noqa: E731
    A, T = tx(X), tx(t)
    scale = A.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    d = np.sqrt((((A - T) / scale) ** 2).sum(axis=1))
    order = np.argsort(d, kind="mergesort")[:k]
    return [SimilarChange(past[i].sha, past[i].summary, past[i].time, float(d[i]), past[i].szz, past[i].ci_failed)
            for i in order]


def _tests(session: Session, settings: RiskSettings, selection: SelectionSettings | None, project: str,
           repo: Path | None, shas: Sequence[str], subject: str) -> ImpactedTests | None:
    """Impacted tests of the changes (the coverage map's tests executing a changed file) and the tests
    to run (test selection's safe mode); ``None`` without a coverage map."""
    from argus.analysis.selection import service as selection_service

    index = selection_service.impact_index(session)
    if index is None:
        return None
    ids = session.scalars(select(Commit.id).where(Commit.sha.in_(list(shas)))).all()
    paths = sorted(set(session.scalars(select(CommitFile.path).where(CommitFile.commit_id.in_(list(ids)))).all()))
    total, by_file = index
    hit: set[int] = set()
    for p in paths:
        hit |= by_file.get(p, frozenset())
    diff = None
    if repo is not None and shas:
        from argus.ingest.git.gitcmd import Git

        git = Git(repo)
        first, last = shas[-1], shas[0]  # rev-list lists the newest first
        base = f"{first}^" if git.ok(["rev-parse", "--verify", "-q", f"{first}^"]) else None
        if base is not None:
            diff = git.run(["diff", "--no-color", "--no-ext-diff", "-M", base, last], check=False).decode(
                "utf-8", "replace") or None
    try:
        changed = selection_service.changed_files(diff, paths)
    except InputError:
        changed = selection_service.changed_files(None, paths)
    view = (selection_service.tests_to_run(session, project, selection, changed, root=repo, subject=subject)
            if selection is not None else None)
    names: tuple[str, ...] = ()
    n_sel: int | None = None
    full: tuple[str, ...] = ()
    if view is not None:
        n_sel, full = len(view.selected), view.full_reasons
        names = tuple(t.node_id or t.test for t in view.selected[:settings.tests_to_run])
    return ImpactedTests(len(hit), total, len(hit) / total if total else 0.0, n_sel, names, tuple(full))


def assess(session: Session, settings: RiskSettings, default_branch: str, *, sha: str | None = None,
           base: str | None = None, head: str | None = None, repo_path: str | None = None,
           selection: SelectionSettings | None = None, project: str = "", persist: bool = True) -> RiskAssessment:
    """Risk of one change (``sha``) or of a range (``base``..``head``): the probability that at least one
    of its changes breaks something, level, top factors, similar past breaking changes, the impacted tests
    and the tests to run (test selection, when a coverage map is stored); logged and saved as a
    CHANGE_RISK insight (``persist`` False: nothing is written, e.g. for a read-only API request)."""
    if sha is None and (base is None or head is None):
        raise InputError("give a commit sha, or both base and head")
    ml_modules()
    started = time.perf_counter()
    m = _row(session, settings.model_name, None)
    model = RiskModel.from_json(m.artefact)
    if sha is not None:
        shas = [find_commit(session, sha).sha]
        subject = shas[0]
    elif base is not None and head is not None:
        shas = _range(session, repo_path, base, head)
        subject = f"{find_commit(session, base).sha[:12]}..{find_commit(session, head).sha[:12]}"
    else:  # checked above
        raise InputError("give a commit sha, or both base and head")
    rows = _load(session, settings, default_branch, repo_path)
    by_sha = {r.sha: r for r in rows}
    targets = [by_sha[s] for s in shas if s in by_sha]
    if not targets:
        raise NotFoundError(f"no features for {subject} (a merge, or not ingested: run `argus ingest git`)")
    X = matrix([r.values for r in targets], model.features)
    probs = model.predict(X)
    contrib = model.contributions(X)
    worst = int(np.argmax(probs))
    p = float(1.0 - np.prod(1.0 - probs))  # at least one change of the range breaks (independence assumed)
    level = lifecycle.level_of(p, settings.warn_threshold, settings.block_threshold)
    order = np.argsort(-np.abs(contrib[worst, :-1]), kind="mergesort")[:settings.top_factors]
    factors = tuple(Factor(model.features[i], None if math.isnan(X[worst, i]) else float(X[worst, i]),
                           float(contrib[worst, i])) for i in order)
    similar = tuple(_similar(targets[worst], rows, RiskLabel(m.label), settings.similar_changes))
    latency = (time.perf_counter() - started) * 1000.0
    view = _view(m)
    preds = []
    for r, pr, x in zip(targets, probs, X, strict=True):
        feats = {f: (None if math.isnan(v) else float(v)) for f, v in zip(model.features, x, strict=True)}
        row = RiskPrediction(project_id=m.project_id, model_id=m.id, subject=subject, commit_sha=r.sha,
                             features=feats, probability=float(pr),
                             level=lifecycle.level_of(float(pr), settings.warn_threshold, settings.block_threshold),
                             latency_ms=latency / len(targets))
        preds.append(row)
    if persist:
        session.add_all(preds)
        session.flush()
    tests = _tests(session, settings, selection, project, _repo(repo_path), shas, subject)
    assessment = RiskAssessment(subject, tuple(r.sha for r in targets), p, round(100 * p), level,
                                lifecycle.RECOMMENDATION[level], factors, similar, view,
                                tuple(r.id for r in preds) if persist else (), None,
                                tuple((r.sha, float(pr)) for r, pr in zip(targets, probs, strict=True)), tests)
    if not persist:
        return assessment
    (insight_id,) = insights.save_insights(session, [risk_insight(assessment)])
    for logged in preds:
        logged.insight_id = insight_id
    return RiskAssessment(**{**assessment.__dict__, "insight_id": insight_id})


# --------------------------------------------------------------------------------------------- monitoring


def backfill_outcomes(session: Session, settings: RiskSettings, rows: Sequence[ChangeRow]) -> int:
    """Set the outcome of logged predictions whose change now has a label; returns how many changed."""
    by_sha = {r.sha: r for r in rows}
    kinds = {m.id: RiskLabel(m.label) for m in session.scalars(select(ModelVersion))}
    young = utcnow() - timedelta(days=settings.label_maturity_days)
    changed = 0
    for p in session.scalars(select(RiskPrediction).where(RiskPrediction.commit_sha.is_not(None))):
        r = by_sha.get(p.commit_sha or "")
        if r is None:
            continue
        y = r.label(kinds[p.model_id])
        if y is None or (y == 0 and settings.label_maturity_days > 0 and r.time > young):
            continue
        if p.outcome != y:
            p.outcome, p.outcome_at = y, utcnow()
            changed += 1
    return changed


def _accuracy(session: Session, m: ModelVersion, threshold: float) -> tuple[float | None, int]:
    rows = session.execute(select(RiskPrediction.probability, RiskPrediction.outcome)
                           .where(RiskPrediction.model_id == m.id, RiskPrediction.outcome.is_not(None))).all()
    if not rows:
        return None, 0
    correct = sum(int((p >= threshold) == bool(y)) for p, y in rows)
    return correct / len(rows), len(rows)


def drift(session: Session, settings: RiskSettings, default_branch: str, *, anomalies: bool = True,
          repo_path: str | None = None) -> DriftReport:
    """PSI per feature and on the score (changes after the training range vs training), backfilled
    accuracy, the four retraining triggers, and isolation-forest flags over the prediction log."""
    ml_modules()
    m = _row(session, settings.model_name, None)
    model = RiskModel.from_json(m.artefact)
    rows = _load(session, settings, default_branch, repo_path)
    backfilled = backfill_outcomes(session, settings, rows)
    recent = [r for r in rows if m.data_to is None or r.time > m.data_to]
    feats: list[FeatureDrift] = []
    score_psi = None
    if len(recent) >= 10:
        X = matrix([r.values for r in recent], model.features)
        for i, f in enumerate(model.features):
            if f in m.reference:
                feats.append(FeatureDrift(f, lifecycle.psi(m.reference[f], X[:, i])))
        if "__score__" in m.reference:
            score_psi = lifecycle.psi(m.reference["__score__"], model.predict(X))
    feats.sort(key=lambda d: -d.psi)
    labelled_rows, _ = labelled(rows, RiskLabel(m.label), now=utcnow(), maturity_days=settings.label_maturity_days)
    new_labels = sum(1 for r in labelled_rows if m.holdout_to is None or r.time > m.holdout_to)
    acc, outcomes = _accuracy(session, m, model.threshold)
    psis = [d.psi for d in feats] + ([score_psi] if score_psi is not None else [])
    fired = lifecycle.triggers(
        lifecycle.TriggerInputs(new_labels, (utcnow() - m.created_at).total_seconds() / 86400,
                                max(psis) if psis else None, acc, outcomes),
        new_labels=settings.retrain_new_labels, days=settings.retrain_days, drift_psi=settings.retrain_drift_psi,
        min_accuracy=settings.retrain_min_accuracy, min_outcomes=settings.min_outcomes)
    scored, ids = (_anomalies(session, settings) if anomalies else (0, []))
    return DriftReport(_view(m), len(recent), tuple(feats), score_psi, backfilled, outcomes, acc,
                       tuple(TriggerView(t.name, t.fired, t.detail) for t in fired), any(t.fired for t in fired),
                       scored, len(ids), tuple(ids))


def _anomalies(session: Session, settings: RiskSettings) -> tuple[int, list[int]]:
    """Score the prediction log with an isolation forest; flag new anomalous predictions as insights."""
    preds = session.scalars(select(RiskPrediction).order_by(RiskPrediction.created_at, RiskPrediction.id)).all()
    if len(preds) < settings.anomaly_min_predictions:
        return 0, []
    prev: dict[int, float] = {}
    rows = []
    for p in preds:
        local = p.created_at
        delta = abs(p.probability - prev.get(p.model_id, p.probability))
        prev[p.model_id] = p.probability
        rows.append([p.probability, sum(v is not None for v in p.features.values()), local.hour, local.weekday(),
                     p.latency_ms, delta])
    scores, flags = lifecycle.prediction_anomalies(np.array(rows), contamination=settings.anomaly_contamination,
                                                   trees=settings.anomaly_trees,
                                                   max_samples=settings.anomaly_max_samples)
    new = []
    for f in flags:
        p = preds[f.index]
        if p.severity in (None, "normal"):  # not flagged before: a new anomaly
            new.append((p, f))
    for p, s in zip(preds, scores, strict=True):
        p.anomaly_score = float(s)
        p.severity = p.severity or "normal"
    for p, f in new:
        p.severity = f.severity
    ids = insights.save_insights(session, [anomaly_insight(p.id, p.model_id, p.subject, p.probability, f.score,
                                                           f.severity, p.created_at) for p, f in new])
    return len(preds), ids


# --------------------------------------------------------------------------------------------- registry (shared)


def active_artefact(session: Session, name: str) -> tuple[ModelView, str] | None:
    """The active version of model ``name`` and its JSON artefact (None: no active version)."""
    row = session.scalars(select(ModelVersion).where(ModelVersion.name == name,
                                                     ModelVersion.status == "active")).first()
    return None if row is None else (_view(row), row.artefact)


def register_version(session: Session, *, name: str, algorithm: str, params: dict[str, Any], label: str,
                     features: Sequence[str], data_hash: str, data_from: Any, data_to: Any, train_rows: int,
                     holdout_from: Any, holdout_to: Any, metrics: dict[str, Any], artefact: str,
                     champion_metrics: dict[str, Any] | None, reference: dict[str, Any] | None = None,
                     min_gain: float = 0.0, max_brier_loss: float = 0.01,
                     lower_is_better: str | None = None) -> TrainResult:
    """Register a new version of any capability's model in the registry (``model_version``) and make it
    active when it beats the active version on the same time-ordered holdout (``metrics["model"]`` vs
    ``champion_metrics``, :func:`argus.analysis.risk.lifecycle.challenge`)."""
    last = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name)) or 0
    champion = session.scalars(select(ModelVersion).where(ModelVersion.name == name,
                                                          ModelVersion.status == "active")).first()
    if lower_is_better is not None:  # a regression / forecast: the smaller holdout error wins
        new = metrics["model"].get(lower_is_better)
        old = (champion_metrics or {}).get(lower_is_better) if champion is not None else None
        decision = lifecycle.Decision(True, "first model: no active version to beat") if champion is None else (
            lifecycle.Decision(new is not None and (old is None or new < old),
                               f"holdout {lower_is_better} {new} vs the active version's {old}"))
    else:
        decision = lifecycle.challenge(champion_metrics if champion is not None else None, metrics["model"],
                                       min_gain=min_gain, max_brier_loss=max_brier_loss)
    row = ModelVersion(
        project_id=current_project_id(session), name=name, version=last + 1, algorithm=algorithm, params=params,
        label=label, features=list(features), data_hash=data_hash, data_from=data_from, data_to=data_to,
        train_rows=train_rows, holdout_from=holdout_from, holdout_to=holdout_to, metrics=metrics,
        reference=reference or {}, artefact=artefact, status="candidate", reason=decision.reason)
    session.add(row)
    if decision.promote:
        _activate(session, row, champion)
    session.flush()
    return TrainResult(_view(row), _view(champion) if champion is not None else None, champion_metrics,
                       decision.promote, decision.reason)
