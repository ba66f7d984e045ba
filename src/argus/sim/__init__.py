"""CI-history simulator: a seeded world whose artifacts (git repo, JUnit, Cobertura, Trivy) carry known truth.

Only :mod:`argus.core`, the standard library and numpy may be imported here; the ground truth it
writes is read by :mod:`argus.evaluation` for scoring and never by the analyses.
"""

from argus.sim.config import SCALES, Scale, SimConfig, scale_config
from argus.sim.layout import Manifest, ProjectEntry, RunArtifacts, read_manifest, read_run
from argus.sim.runner import ProjectSummary, simulate

__all__ = [
    "SCALES", "Manifest", "ProjectEntry", "ProjectSummary", "RunArtifacts", "Scale", "SimConfig", "read_manifest",
    "read_run", "scale_config", "simulate",
]
