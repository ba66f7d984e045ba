"""Change-risk model code: time-ordered split (no future row leaks), calibration, baselines, artefacts,
champion/challenger, PSI drift, retraining triggers, isolation-forest flags, the Kamei CSV reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lightgbm", reason="the ml extra (LightGBM, scikit-learn) is not installed")

from argus.analysis.risk import lifecycle
from argus.analysis.risk.dataset import read_dataset
from argus.analysis.risk.model import (
    DERIVED,
    KAMEI,
    Calibration,
    CalibrationMethod,
    RiskModel,
    evaluate_split,
    expected_calibration_error,
    fit_calibration,
    fit_risk_model,
    matrix,
    time_split,
)
from argus.core.errors import InputError

FEATURES = (*KAMEI, *DERIVED)


def _synthetic(n: int = 3000, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Changes whose breaking probability rises with lines added and files touched (a known truth)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        la = float(rng.lognormal(3, 1.2))
        nf = float(rng.integers(1, 12))
        rows.append({k: float(rng.lognormal(1, 1)) for k in KAMEI} | {"la": la, "nf": nf, "lt": 200.0})
    X = matrix(rows, FEATURES)
    logit = -3.2 + 0.6 * np.log1p(X[:, FEATURES.index("la")]) + 0.12 * X[:, FEATURES.index("nf")]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    times = rng.permutation(n).astype(float) * 3600.0  # rows arrive out of time order
    return X, y, times


def test_matrix_derives_ratios_and_keeps_missing_as_nan() -> None:
    X = matrix([{"la": 10, "ld": 4, "lt": 0, "nf": 2}, {"la": None}], ("la", "la_per_lt", "churn_per_nf", "hour"))
    assert X[0].tolist()[:3] == [10.0, 10.0, 7.0]  # lt 0 counts as 1
    assert np.isnan(X[0, 3]) and np.isnan(X[1, 0])


def test_time_split_puts_every_training_row_before_every_test_row() -> None:
    times = np.random.default_rng(3).permutation(1000).astype(float)
    split = time_split(times, 0.8)
    assert len(split.train) == 800 and len(split.test) == 200
    assert times[split.train].max() < times[split.test].min()
    with pytest.raises(InputError):
        time_split(times, 1.0)


def test_no_future_row_leaks_into_training() -> None:
    """Changing the labels (or features) of the test part changes nothing the model learnt."""
    X, y, times = _synthetic(1500)
    _, model = evaluate_split(X, y, times, FEATURES, 0.8)
    test = time_split(times, 0.8).test
    y2, X2 = y.copy(), X.copy()
    y2[test] = 1 - y2[test]
    X2[test] = X2[test] * 7.0
    _, again = evaluate_split(X2, y2, times, FEATURES, 0.8)
    assert again.booster_text == model.booster_text and again.calibration == model.calibration


def test_model_beats_chance_and_is_calibrated() -> None:
    X, y, times = _synthetic(4000)
    ev, model = evaluate_split(X, y, times, FEATURES, 0.8)
    assert ev.model.auc is not None and ev.model.auc > 0.65
    assert ev.lapredict.auc is not None and ev.logistic.auc is not None
    assert ev.train_rows == 3200 and ev.test_rows == 800 and ev.train_to <= ev.test_from
    # class weighting pushes raw scores up; the calibration map brings them back to observed rates
    order = np.argsort(times, kind="mergesort")
    Xte, yte = X[order[3200:]], y[order[3200:]]
    raw_ece = expected_calibration_error(yte, model.raw(Xte))
    assert ev.model.ece < raw_ece and ev.model.ece < 0.06
    assert abs(float(model.predict(Xte).mean()) - float(yte.mean())) < 0.05


def test_isotonic_and_platt_maps_are_monotone() -> None:
    rng = np.random.default_rng(5)
    raw = rng.random(2000)
    y = (rng.random(2000) < raw ** 2).astype(int)
    for method in CalibrationMethod:
        cal = fit_calibration(raw, y, method)
        grid = np.linspace(0, 1, 50)
        out = cal.apply(grid)
        assert np.all(np.diff(out) >= -1e-12) and out.min() >= 0 and out.max() <= 1
        assert Calibration.from_dict(json.loads(json.dumps(cal.as_dict()))) == cal
    few = fit_calibration(raw[:50], y[:50], CalibrationMethod.ISOTONIC)  # too few rows: Platt instead
    assert few.method is CalibrationMethod.PLATT


def test_artefact_is_json_and_round_trips() -> None:
    X, y, _ = _synthetic(600)
    model = fit_risk_model(X, y, FEATURES)
    text = model.to_json()
    assert json.loads(text)["format"] == "argus.risk-model/v1"  # JSON + the booster's text format, no pickle
    again = RiskModel.from_json(text)
    assert np.allclose(again.predict(X[:50]), model.predict(X[:50]))
    contrib = again.contributions(X[:5])
    assert contrib.shape == (5, len(FEATURES) + 1)
    with pytest.raises(InputError):
        RiskModel.from_json(json.dumps({"format": "pickle"}))


def test_champion_challenger_decisions() -> None:
    first = lifecycle.challenge(None, {"auc": 0.6, "brier": 0.2})
    assert first.promote and "first model" in first.reason
    better = lifecycle.challenge({"auc": 0.70, "brier": 0.15}, {"auc": 0.72, "brier": 0.15})
    assert better.promote
    worse = lifecycle.challenge({"auc": 0.70, "brier": 0.15}, {"auc": 0.69, "brier": 0.10})
    assert not worse.promote and "does not beat" in worse.reason
    small_gain = lifecycle.challenge({"auc": 0.70, "brier": 0.15}, {"auc": 0.71, "brier": 0.15}, min_gain=0.02)
    assert not small_gain.promote
    badly_calibrated = lifecycle.challenge({"auc": 0.70, "brier": 0.15}, {"auc": 0.75, "brier": 0.30})
    assert not badly_calibrated.promote and "Brier" in badly_calibrated.reason


def test_psi_is_zero_for_the_same_population_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(7)
    ref = lifecycle.reference_bins(rng.normal(0, 1, 5000))
    assert lifecycle.psi(ref, rng.normal(0, 1, 5000)) < 0.02
    assert lifecycle.psi(ref, rng.normal(1.5, 1, 5000)) > 0.5
    nan_ref = lifecycle.reference_bins(np.array([1.0, np.nan, 2.0, 3.0]))
    assert lifecycle.psi(nan_ref, np.array([np.nan] * 10)) > 0.3  # all missing now: drift


@pytest.mark.parametrize(("inputs", "fired"), [
    (lifecycle.TriggerInputs(0, 1.0, 0.05, None, 0), set()),
    (lifecycle.TriggerInputs(50, 1.0, 0.05, None, 0), {"new_labels"}),
    (lifecycle.TriggerInputs(0, 8.0, 0.05, None, 0), {"age"}),
    (lifecycle.TriggerInputs(0, 1.0, 0.31, None, 0), {"drift"}),
    (lifecycle.TriggerInputs(0, 1.0, None, 0.7, 25), {"accuracy"}),
    (lifecycle.TriggerInputs(0, 1.0, None, 0.7, 5), set()),  # too few outcomes to judge accuracy
])
def test_retraining_triggers_fire_on_their_own_thresholds(inputs: lifecycle.TriggerInputs, fired: set[str]) -> None:
    assert {t.name for t in lifecycle.triggers(inputs) if t.fired} == fired


def test_levels_follow_the_thresholds() -> None:
    assert [lifecycle.level_of(p) for p in (0.1, 0.4, 0.41, 0.7, 0.71)] == ["GO", "GO", "WARN", "WARN", "BLOCK"]
    assert lifecycle.level_of(0.3, warn=0.2, block=0.5) == "WARN"


def test_isolation_forest_flags_the_outlier() -> None:
    rng = np.random.default_rng(11)
    rows = np.column_stack([rng.normal(0.2, 0.02, 300), np.full(300, 20.0), rng.integers(9, 17, 300),
                            rng.integers(0, 5, 300), rng.normal(30, 2, 300), rng.normal(0.02, 0.01, 300)])
    rows[123] = [0.99, 3.0, 3, 6, 900.0, 0.8]
    scores, flags = lifecycle.prediction_anomalies(rows)
    assert 123 in {f.index for f in flags}
    assert scores[123] == scores.min()
    assert all(f.severity in ("low", "medium", "high") for f in flags)


def test_kamei_csv_reader(tmp_path: Path) -> None:
    head = "_id,date,bug,ns,nd,nf,entrophy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp\n"
    body = "".join(f"c{i},{1_600_000_000 + (20 - i) * 60},{i % 3 == 0:d},1,1,2,0.5,{i},1,100,0,2,3.5,1,10,2.0,5\n"
                   for i in range(20))
    f = tmp_path / "k.csv"
    f.write_text(head + body)
    ds = read_dataset(f)
    assert ds.ids[0] == "c19" and list(ds.times) == sorted(ds.times)  # sorted by date
    assert ds.X.shape == (20, len(FEATURES))
    (tmp_path / "bad.csv").write_text("_id,date,bug\nx,1,0\n")
    with pytest.raises(InputError, match="missing column"):
        read_dataset(tmp_path / "bad.csv")
    (tmp_path / "bug.csv").write_text(head + body + "cx,1600000000,7,1,1,2,0.5,3,1,100,0,2,3.5,1,10,2.0,5\n")
    with pytest.raises(InputError, match="bug must be 0 or 1"):
        read_dataset(tmp_path / "bug.csv")
