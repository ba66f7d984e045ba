"""Gate settings: seed env names as aliases, ARGUS_GATE__* precedence, config-file table, rule modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.analysis.gates.schemas import Rule, RuleMode
from argus.analysis.gates.service import params_from_settings
from argus.core.errors import ConfigError
from argus.core.settings import load_settings

SEED = ("DELTA_COVERAGE", "DELTA_VULN_HIGH", "DELTA_VULN_CRITICAL", "VULN_GATING", "MAX_HIGH", "MAX_CRITICAL")


@pytest.fixture(autouse=True)
def clean_env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SEED:
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_seeds() -> None:
    g = load_settings().gate
    assert (g.delta_coverage, g.delta_vuln_high, g.delta_vuln_critical) == (5.0, 3, 1)
    assert (g.vuln_gating, g.max_high, g.max_critical, g.baseline_runs, g.aggregate) == (False, 10, 2, 10, "median")
    assert (g.default_coverage, g.default_high, g.default_critical, g.min_coverage) == (None, 0, 0, None)
    assert g.rules["already_failing"] == "warn" and g.rules["new_failures"] == "block"


def test_seed_env_names_are_honoured_below_argus_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {"DELTA_COVERAGE": "2.5", "DELTA_VULN_HIGH": "0", "VULN_GATING": "1", "MAX_CRITICAL": "0"}.items():
        monkeypatch.setenv(k, v)
    g = load_settings().gate
    assert (g.delta_coverage, g.delta_vuln_high, g.vuln_gating, g.max_critical) == (2.5, 0, True, 0)
    monkeypatch.setenv("ARGUS_GATE__DELTA_COVERAGE", "4")
    assert load_settings().gate.delta_coverage == 4.0


def test_config_file_table_and_rule_modes(tmp_path: Path) -> None:
    (tmp_path / "argus.toml").write_text('[gate]\ndelta_vuln_high = 5\n[gate.rules]\nchanged_lines = "block"\n')
    g = load_settings().gate
    assert g.delta_vuln_high == 5
    p = params_from_settings(g)
    assert p.mode(Rule.CHANGED_LINES) is RuleMode.BLOCK
    assert p.mode(Rule.COVERAGE_DROP) is RuleMode.BLOCK and p.mode(Rule.DURATION) is RuleMode.WARN
    (tmp_path / "argus.toml").write_text('[gate.rules]\ncoverage_drop = "maybe"\n')
    with pytest.raises(ConfigError, match="block, warn or off"):
        load_settings()
    (tmp_path / "argus.toml").write_text('[gate.rules]\nspeed = "warn"\n')
    with pytest.raises(ConfigError, match="unknown gate rule"):
        load_settings()
