"""Typed loading of the simulator's ground truth, and scoring against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.core.errors import InputError
from argus.evaluation import TestLabel, load_failure_labels, load_ground_truth
from argus.evaluation.scoring import (
    score_bug_inducing,
    score_change_risk,
    score_failure_clusters,
    score_flaky_detection,
    score_outage_detection,
    score_test_classification,
)
from argus.evaluation.truth import split_test_id


def test_loads_every_section(truth_dir: Path) -> None:
    gt = load_ground_truth(truth_dir / "ground_truth.json")
    raw = json.loads((truth_dir / "ground_truth.json").read_text())
    assert gt.project == "acme-billing" and gt.repo == truth_dir / "repo"
    assert len(gt.tests) == len(raw["tests"]) and len(gt.runs) == len(raw["runs"])
    assert gt.flaky_tests and gt.regressions and gt.outages and gt.vulnerabilities and gt.failure_groups
    assert gt.window_start < gt.window_end
    labels = gt.test_labels()
    assert {TestLabel.FLAKY, TestLabel.BROKEN, TestLabel.HEALTHY} <= set(labels.values())
    assert all(r.new in labels for r in gt.renamed_tests)
    assert all(c.time.tzinfo is not None for c in gt.commits)


def test_perfect_predictions_score_one(truth_dir: Path) -> None:
    gt = load_ground_truth(truth_dir / "ground_truth.json")
    assert score_flaky_detection(gt, gt.flaky_ids()).f1 == 1.0
    m = score_test_classification(gt, {k: v.value for k, v in gt.test_labels().items()})
    assert m.accuracy == 1.0
    assert score_outage_detection(gt, gt.outage_runs()).f1 == 1.0
    assert score_bug_inducing(gt, {b.commit for b in gt.bug_inducing_commits}).f1 == 1.0
    risk = score_change_risk(gt, {c.sha: float(c.bug_inducing) for c in gt.commits})
    assert risk.auc == 1.0 and risk.average_precision == 1.0
    labels = load_failure_labels(truth_dir / "ground_truth_failures.jsonl")
    assert labels and score_failure_clusters(labels, {(x.run, x.test): x.group for x in labels}).f1 == 1.0


def test_poor_predictions_score_lower(truth_dir: Path) -> None:
    gt = load_ground_truth(truth_dir / "ground_truth.json")
    everything = score_flaky_detection(gt, gt.test_labels())
    assert everything.recall == 1.0 and everything.precision < 0.5
    labels = load_failure_labels(truth_dir / "ground_truth_failures.jsonl")
    one_bucket = score_failure_clusters(labels, {(x.run, x.test): 0 for x in labels})
    assert one_bucket.recall == 1.0 and one_bucket.precision < 1.0 and one_bucket.adjusted_rand == pytest.approx(0.0)


def test_id_map_matches_report_classname_and_name(truth_dir: Path) -> None:
    gt = load_ground_truth(truth_dir / "ground_truth.json")
    by_id = {t.id: t for t in gt.tests}
    mapped = gt.id_map(lambda cls, name: f"{cls}::{name}")
    for tid, t in by_id.items():
        assert mapped[tid] == f"{t.classname}::{t.name}"
    assert split_test_id("com.acme.X.y(String)[2]") == ("com.acme.X", "y(String)[2]")


def test_malformed_ground_truth_names_the_file(tmp_path: Path, truth_dir: Path) -> None:
    bad = tmp_path / "gt.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"gt\.json"):
        load_ground_truth(bad)
    doc = json.loads((truth_dir / "ground_truth.json").read_text())
    doc["regressions"][0].pop("inducing_commit")
    bad.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"regressions\[0\]"):
        load_ground_truth(bad)
    bad.write_text(json.dumps({"schema": "other"}))
    with pytest.raises(InputError, match="schema"):
        load_ground_truth(bad)
    with pytest.raises(InputError, match=r"missing\.json"):
        load_ground_truth(tmp_path / "missing.json")
