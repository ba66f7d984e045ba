"""Simulation parameters: sizes, rates, and the named scales (small / default / large).

Every rate is a documented parameter; docs/simulator.md describes the generative model they drive.
Rates are *per run* or *per commit* as named; probabilities are in [0, 1].
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

DEFAULT_BASE_DATE = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # a Monday; fixed so output never depends on "now"


class Scale(StrEnum):
    SMALL = "small"
    DEFAULT = "default"
    LARGE = "large"


@dataclass(frozen=True)
class SimConfig:
    """What to generate. Same config (including ``seed``) → byte-identical artifacts."""

    projects: int = 2
    tests: int = 300  # per project, both dialects together
    days: int = 30
    runs_per_day: int = 4
    seed: int = 42
    base_date: datetime = DEFAULT_BASE_DATE
    # --- history ---
    commits_per_day: float = 9.0  # mean on a weekday; weekends get 15% of it
    branch_share: float = 0.55  # share of work items done on a feature branch merged by a PR
    authors: int = 8
    # --- tests ---
    flaky_share: float = 0.05  # share of tests that are flaky
    flaky_rate_min: float = 0.04  # per-run failure probability of a flaky test, drawn log-uniform in [min, max]
    flaky_rate_max: float = 0.35
    flaky_env_specific_share: float = 0.3  # flaky tests that only misbehave on one environment value
    surefire_reruns: int = 2  # rerunFailingTestsCount of the Maven project
    skipped_share: float = 0.01  # tests permanently skipped
    # --- planted events (expected counts are per project over the whole window) ---
    regressions_per_week: float = 1.4  # commits that break tests (found by CI), each later fixed
    latent_bugs_per_week: float = 2.5  # bug-inducing commits found later (fix commit "Fix #N"), no test fails
    outage_rate: float = 0.03  # per run: infrastructure failure making most tests fail at once
    rerun_rate: float = 0.45  # per failed first attempt: someone clicks "re-run failed jobs"
    renames: int = 2  # tests renamed (per project)
    removals: int = 2  # tests deleted (per project)
    vulns_per_week: float = 1.5  # new advisories affecting a dependency in use
    vuln_fix_share: float = 0.6  # share of advisories fixed by a dependency bump within the window
    # --- artifacts ---
    coverage_lines: bool = True  # write <line> elements (per-line hits) in Cobertura; off at large scale
    surefire_merged: bool = False  # one junit-surefire.xml (<testsuites>) per run instead of TEST-<class>.xml files
    environments: tuple[tuple[tuple[str, str], ...], ...] = field(
        default=(
            (("os", "linux"), ("python", "3.11"), ("java", "17")),
            (("os", "linux"), ("python", "3.12"), ("java", "21")),
            (("os", "windows"), ("python", "3.12"), ("java", "17")),
            (("os", "macos"), ("python", "3.11"), ("java", "21")),
        )
    )
    environment_weights: tuple[float, ...] = (0.45, 0.25, 0.18, 0.12)
    # --- realistic bug truth (issue 23; off = the historical output, byte for byte) ---
    # bug-inducing commits record the lines that carry the bug, fixes change mostly those lines,
    # projects write Apache/GitHub/conventional messages with confusers, and a tracker is recorded
    realistic_bugs: bool = False

    def __post_init__(self) -> None:
        if self.projects < 1 or self.tests < 10 or self.days < 1 or self.runs_per_day < 1:
            raise ValueError("projects ≥ 1, tests ≥ 10, days ≥ 1 and runs_per_day ≥ 1 are required")
        if len(self.environments) != len(self.environment_weights):
            raise ValueError("one weight per environment is required")

    def replace(self, **changes: Any) -> SimConfig:
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (recorded in the manifest)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "realistic_bugs" and not v:
                continue  # not recorded when off: the default manifest stays as it was
            if isinstance(v, datetime):
                v = v.isoformat()
            elif f.name == "environments":
                v = [dict(e) for e in v]
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


SCALES: dict[Scale, SimConfig] = {
    Scale.SMALL: SimConfig(projects=1, tests=60, days=5, runs_per_day=5, authors=5, commits_per_day=8.0,
                           regressions_per_week=3.0, latent_bugs_per_week=3.0, outage_rate=0.05,
                           flaky_share=0.1, vulns_per_week=3.0, renames=1, removals=1),
    Scale.DEFAULT: SimConfig(),
    Scale.LARGE: SimConfig(projects=3, tests=1500, days=60, runs_per_day=6, authors=14, commits_per_day=14.0,
                           coverage_lines=False),
}


def scale_config(scale: Scale | str, **overrides: Any) -> SimConfig:
    """The preset for ``scale`` with the non-None ``overrides`` applied."""
    base = SCALES[Scale(scale)]
    changes = {k: v for k, v in overrides.items() if v is not None}
    return base.replace(**changes) if changes else base
