"""CI-history simulator: a seeded world whose artifacts (git repo, JUnit, Cobertura, Trivy) carry known truth.

Only :mod:`argus.core`, the standard library and numpy may be imported here; the ground truth it
writes is read by :mod:`argus.evaluation` for scoring and never by the analyses.
"""

from argus.sim.config import SCALES, Scale, SimConfig, scale_config
from argus.sim.runner import ProjectSummary, simulate

__all__ = ["SCALES", "ProjectSummary", "Scale", "SimConfig", "scale_config", "simulate"]
