"""Pure insight builders: a change-risk assessment, and an anomalous prediction of the prediction log."""

from __future__ import annotations

from datetime import datetime

from argus.analysis.risk.lifecycle import ANOMALY_ACTION
from argus.analysis.risk.readmodels import RiskAssessment
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.risk"
VERSION = "1"
_MAX = 0.999


def _words(feature: str, value: float | None) -> str:
    v = "missing" if value is None else f"{value:.3g}"
    return f"{feature}={v}"


def risk_insight(a: RiskAssessment) -> Insight:
    m = a.model
    p = a.probability
    conf = min(_MAX, max(p, 1.0 - p))
    holdout = m.metrics.get("model", {})
    model_ev = Evidence(EvidenceType.MODEL_VERSION, str(m.id), Support.MODERATE,
                        f"{m.name} v{m.version} ({m.algorithm}, {m.label} labels): holdout AUC "
                        f"{holdout.get('auc') if holdout.get('auc') is None else round(holdout['auc'], 3)}, "
                        f"Brier {round(holdout.get('brier', 0.0), 3)} on {m.metrics.get('holdout_rows', 0)} changes")
    commit_ev = tuple(Evidence(EvidenceType.COMMIT, sha, Support.STRONG if pr > 0.5 else Support.MODERATE,
                               f"P(breaks) {pr:.2f}") for sha, pr in a.per_commit[:20])
    factor_ev = commit_ev[:1] if len(a.per_commit) == 1 else tuple(
        e for e in commit_ev if e.ref_id == max(a.per_commit, key=lambda t: t[1])[0])
    claims = [
        Claim(f"{a.subject[:24]}: probability {p:.2f} that it breaks something (risk {a.score}/100, {a.level})",
              conf, (*commit_ev, model_ev)),
        Claim("Top contributing factors (SHAP, log-odds): " + ", ".join(
            f"{_words(f.feature, f.value)} {f.contribution:+.2f}" for f in a.factors), conf, (*factor_ev, model_ev)),
    ]
    if a.similar:
        claims.append(Claim("Similar past changes that broke something: " + ", ".join(
            f"{s.sha[:12]} ({s.summary[:40]})" for s in a.similar), 0.6,
            tuple(Evidence(EvidenceType.COMMIT, s.sha, Support.WEAK,
                           f"distance {s.distance:.2f}; " + ("bug-inducing (SZZ)" if s.szz else "CI failed"),
                           s.time) for s in a.similar)))
    t = a.tests
    if t is not None:
        sel = ("" if t.selected is None else f"; test selection (safe mode) runs {t.selected}"
               + (" (full suite: " + "; ".join(t.full_suite_reasons)[:120] + ")" if t.full_suite_reasons else "")
               + (": " + ", ".join(t.to_run[:10]) if t.to_run and not t.full_suite_reasons else ""))
        claims.append(Claim(f"Impacts {t.count} of {t.total} tests ({100 * t.share:.1f}% of the coverage map's "
                            f"tests execute a changed file){sel}", 0.7,
                            tuple(Evidence(EvidenceType.COMMIT, sha, Support.MODERATE, "a changed file's tests")
                                  for sha in a.commits[:5])))
    uncertainty = ["the model ranks changes (holdout AUC above); it does not prove a change is faulty"]
    if len(a.commits) > 1:
        uncertainty.append("a range's probability assumes its changes break independently")
    return Insight(
        kind=InsightKind.CHANGE_RISK, subject=Subject(SubjectType.CHANGE, a.subject),
        title=f"Change {a.subject[:24]}: risk {a.score}/100 ({a.level})",
        summary=f"{a.recommendation} {len(a.commits)} change(s); model {m.name} v{m.version}.",
        claims=tuple(claims), confidence=Confidence(conf),
        provenance=Provenance(ANALYZER, VERSION, {"model": m.name, "version": m.version, "label": m.label}),
        action={"GO": "proceed", "WARN": "run_impacted_tests", "BLOCK": "block"}[a.level],
        uncertainty=tuple(uncertainty),
        data={"probability": p, "score": a.score, "level": a.level, "commits": list(a.commits),
              "factors": [{"feature": f.feature, "value": f.value, "contribution": f.contribution} for f in a.factors],
              "similar": [{"sha": s.sha, "summary": s.summary, "distance": s.distance} for s in a.similar],
              "model_version": m.version, "prediction_ids": list(a.prediction_ids),
              "tests": None if t is None else {"impacted": t.count, "total": t.total, "share": t.share,
                                               "selected": t.selected, "to_run": list(t.to_run),
                                               "full_suite_reasons": list(t.full_suite_reasons)}},
    )


def anomaly_insight(prediction_id: int, model_id: int, subject: str, probability: float, score: float,
                    severity: str, at: datetime) -> Insight:
    strength = {"high": Support.STRONG, "medium": Support.MODERATE}.get(severity, Support.WEAK)
    ev = (Evidence(EvidenceType.RISK_PREDICTION, str(prediction_id), strength,
                   f"probability {probability:.3f}; isolation-forest score {score:.3f} ({severity})", at),
          Evidence(EvidenceType.MODEL_VERSION, str(model_id), Support.WEAK, "the model that made the prediction"))
    conf = {"high": 0.8, "medium": 0.65, "low": 0.5}.get(severity, 0.5)
    return Insight(
        kind=InsightKind.ANOMALY, subject=Subject(SubjectType.CHANGE, subject),
        title=f"Unusual risk prediction for {subject[:24]} ({severity})",
        summary=ANOMALY_ACTION.get(severity, "Monitor normally") + ".",
        claims=(Claim(f"Prediction {prediction_id} is isolated from the rest of the prediction log "
                      f"(score {score:.3f})", conf, ev),),
        confidence=Confidence(conf), provenance=Provenance(ANALYZER + ".monitor", VERSION, {}),
        action="investigate" if severity == "high" else "monitor",
        uncertainty=("an isolation forest flags what is rare, not what is wrong",),
        data={"prediction_id": prediction_id, "model_id": model_id, "probability": probability,
              "anomaly_score": score, "severity": severity},
    )
