"""Settings of the adaptive quality gate (``[gate]``, ``ARGUS_GATE__*`` and the seed's bare names).

``GateParams`` (argus.analysis.gates.schemas) is derived from them with
:func:`argus.core.settings.derive`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _seed(name: str, default: Any, description: str) -> Any:
    """A gate field readable as ``name`` (``ARGUS_GATE__NAME``, ``[gate]`` in argus.toml) or by its seed
    env name ``NAME.upper()`` (e.g. ``DELTA_COVERAGE``)."""
    return Field(default, validation_alias=AliasChoices(name, name.upper()), description=description)


class GateSettings(BaseSettings):
    """Adaptive quality gate (see docs/analysis/gate.md).

    Also read from the seed's bare env names (``DELTA_COVERAGE``, ``DELTA_VULN_HIGH``,
    ``DELTA_VULN_CRITICAL``, ``VULN_GATING``, ``MAX_HIGH``, ``MAX_CRITICAL``); ``ARGUS_GATE__*`` and
    the ``[gate]`` config table take precedence over them. Rule modes: ``block`` (fails the gate),
    ``warn`` (warns only), ``off``.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    baseline_runs: int = Field(10, ge=1, description="Baseline = the last N green builds on the default branch.")
    aggregate: str = Field("median", pattern="^(median|mean|last|min|max)$", description="How baseline builds combine.")
    default_coverage: float | None = Field(
        None,
        description="Baseline coverage (%) when no baseline build measured coverage; unset: with no history "
        "there is no regression, so the coverage-drop rule is skipped.",
    )
    default_high: int = Field(0, description="Baseline HIGH count when there is no baseline yet.")
    default_critical: int = Field(0, description="Baseline CRITICAL count when there is no baseline yet.")
    delta_coverage: float = _seed("delta_coverage", 5.0, "Fail when coverage drops by more than this many points.")
    delta_vuln_high: int = _seed("delta_vuln_high", 3, "Fail when more than this many new HIGH vulnerabilities.")
    delta_vuln_critical: int = _seed("delta_vuln_critical", 1, "Fail when more than this many new CRITICAL.")
    vuln_gating: bool = _seed("vuln_gating", False, "Also apply the absolute limits max_high / max_critical.")
    max_high: int = _seed("max_high", 10, "Absolute HIGH limit (only with vuln_gating).")
    max_critical: int = _seed("max_critical", 2, "Absolute CRITICAL limit (only with vuln_gating).")
    min_coverage: float | None = Field(
        None,
        description="Absolute coverage floor (%) of rule min_coverage (the original pipeline used 90); unset: "
        "off, only the relative rules judge coverage. Opt in per project in its argus.toml.",
    )
    changed_lines_min_pct: float = Field(80.0, description="Changed-line coverage below this (%) triggers its rule.")
    small_change_lines: int = Field(20, description="Diffs with fewer changed lines skip coverage rules.")
    duration_regression_pct: float = Field(25.0, description="Warn when total test time exceeds baseline by more (%).")
    duration_min_s: float = Field(10.0, description="Ignore duration regressions when the baseline is shorter (s).")
    rules: dict[str, str] = Field(
        default_factory=lambda: {
            "coverage_drop": "block",
            "new_high": "block",
            "new_critical": "block",
            "max_high": "block",
            "max_critical": "block",
            "min_coverage": "warn",
            "new_failures": "block",
            "already_failing": "warn",
            "newly_flaky": "warn",
            "duration": "warn",
            "changed_lines": "warn",
        },
        description="Mode per rule: block | warn | off (merged over the defaults).",
    )

    #: Fields that are no same-named parameter of ``GateParams``: field -> where it goes instead.
    not_params: ClassVar[Mapping[str, str]] = {
        "rules": "GateParams.modes (as RuleMode values; argus.analysis.gates.service.params_from_settings)",
    }

    @field_validator("rules", mode="before")
    @classmethod
    def _merge_rules(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged = dict(cls.model_fields["rules"].get_default(call_default_factory=True))
        for rule, mode in value.items():
            if rule not in merged:
                raise ValueError(f"unknown gate rule {rule!r}; known: {', '.join(sorted(merged))}")
            if str(mode).lower() not in ("block", "warn", "off"):
                raise ValueError(f"rule {rule}: mode must be block, warn or off, got {mode!r}")
            merged[rule] = str(mode).lower()
        return merged
