"""Score the demo's findings against the simulator's ground truth (for the tour only)."""

from __future__ import annotations

from pathlib import Path

from argus.cli.demo.analyse import ProjectFindings
from argus.cli.demo.tour import Score
from argus.evaluation import load_ground_truth
from argus.evaluation.identity import truth_identity


def score_project(findings: ProjectFindings, ground_truth: Path) -> Score:
    gt = load_ground_truth(ground_truth)
    planted_flaky = {truth_identity(t) for t in gt.flaky_ids()}
    planted_broken = {truth_identity(t) for t in gt.broken_ids()}
    found = {v.subject_id for v in findings.flaky}
    broken = {v.subject_id for v in findings.broken}
    return Score(
        planted_flaky=len(planted_flaky),
        found_flaky=len(found),
        true_flaky=len(found & planted_flaky),
        called_broken=len(broken),
        broken_correct=len(broken & planted_broken),
        planted_broken=len(planted_broken),
    )
