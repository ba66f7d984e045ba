from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.settings import load_settings, mask_url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("ARGUS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_use_sqlite_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path / "h"))
    s = load_settings()
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'h' / 'argus.db'}"
    assert s.flaky.quarantine_threshold == 0.7


def test_env_nested_and_precedence_over_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "argus.toml").write_text('default_project = "from-argus-toml"\n[flaky]\nmin_runs = 9\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.argus]\ndefault_project = "from-pyproject"\ndefault_branch = "trunk"\n'
    )
    s = load_settings()
    assert s.default_project == "from-argus-toml"  # argus.toml beats pyproject
    assert s.default_branch == "trunk"  # pyproject still applies where argus.toml is silent
    assert s.flaky.min_runs == 9
    monkeypatch.setenv("ARGUS_FLAKY__MIN_RUNS", "11")
    monkeypatch.setenv("ARGUS_DEFAULT_PROJECT", "from-env")
    s = load_settings()
    assert s.flaky.min_runs == 11 and s.default_project == "from-env"


def test_config_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('default_org = "acme"\n')
    monkeypatch.setenv("ARGUS_CONFIG", str(cfg))
    assert load_settings().default_org == "acme"


def test_malformed_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_FLAKY__MIN_RUNS", "lots")
    with pytest.raises(ConfigError, match=r"flaky\.min_runs"):
        load_settings()


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "argus.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="configuration"):
        load_settings()


def test_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_DATABASE_URL", "postgresql+psycopg://u:hunter2@db:5432/argus")
    monkeypatch.setenv("ARGUS_GITHUB_TOKEN", "ghp_secret")
    data = load_settings().masked()
    assert "hunter2" not in str(data) and "ghp_secret" not in str(data)
    assert data["github_token"] == "********"
    assert mask_url("::nonsense") == "<unparsable>"
