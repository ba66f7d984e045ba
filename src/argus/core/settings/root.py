"""The one Settings object (one field per capability's settings model) and how it is loaded.

Precedence, highest first: explicit arguments, environment variables (``ARGUS_...``, nested with
``__``, e.g. ``ARGUS_FLAKY__QUARANTINE_THRESHOLD``), ``argus.toml`` (path from ``ARGUS_CONFIG`` or the
working directory), ``[tool.argus]`` in the working directory's ``pyproject.toml``, defaults.
Settings are built by :func:`load_settings` and passed down; nothing reads ``os.environ`` deeper in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from argus.core.errors import ConfigError
from argus.core.settings.anomaly import AnomalySettings
from argus.core.settings.clusters import ClusterSettings
from argus.core.settings.delivery import DeliverySettings
from argus.core.settings.flaky import FlakySettings
from argus.core.settings.gate import GateSettings
from argus.core.settings.git import GitSettings
from argus.core.settings.incidents import IncidentSettings
from argus.core.settings.ingest import IngestSettings
from argus.core.settings.investigation import InvestigationSettings
from argus.core.settings.issues import IssueSettings
from argus.core.settings.jobs import JobSettings
from argus.core.settings.query import QuerySettings
from argus.core.settings.risk import RiskSettings
from argus.core.settings.runbooks import RunbookSettings
from argus.core.settings.selection import SelectionSettings
from argus.core.settings.server import ServerSettings


def default_home() -> Path:
    """``$XDG_DATA_HOME/argus`` (``~/.local/share/argus`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "argus"


class Settings(BaseSettings):
    """Effective configuration of one Argus process."""

    model_config = SettingsConfigDict(
        env_prefix="ARGUS_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = Field(default_factory=default_home, description="Directory for the embedded database and artefacts.")
    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL; unset means SQLite at <home>/argus.db. PostgreSQL: postgresql+psycopg://..."
    )
    default_project: str = Field("default", description="Project used when a command is given none.")
    default_org: str = Field("default", description="Organisation owning projects created from the CLI.")
    default_branch: str = Field("main", description="Branch whose history forms baselines.")
    github_token: SecretStr | None = Field(None, description="Token for GitHub PR comments.")
    github_api_url: str = Field("https://api.github.com", description="GitHub REST base URL.")
    run_url: str | None = Field(
        None, description="Link shown for a CI run that stored none: a template with {ci_run_id} and {commit}, "
        "e.g. https://ci.example.com/builds/{ci_run_id}.",
    )
    ingest: IngestSettings = IngestSettings()
    flaky: FlakySettings = FlakySettings()
    clusters: ClusterSettings = ClusterSettings()
    gate: GateSettings = Field(default_factory=GateSettings)
    git: GitSettings = GitSettings()
    issues: IssueSettings = IssueSettings()
    query: QuerySettings = QuerySettings()
    server: ServerSettings = ServerSettings()
    jobs: JobSettings = JobSettings()
    anomaly: AnomalySettings = Field(default_factory=AnomalySettings)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    runbooks: RunbookSettings = Field(default_factory=RunbookSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    selection: SelectionSettings = Field(default_factory=SelectionSettings)
    investigation: InvestigationSettings = Field(default_factory=InvestigationSettings)

    @field_validator("default_project", "default_org")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse a URL SQLAlchemy cannot parse (e.g. a non-numeric port), without echoing it (secret)."""
        if value is None:
            return None
        from sqlalchemy.engine import make_url

        try:
            make_url(value.get_secret_value())
        except Exception as exc:
            hint = "the port must be a number" if isinstance(exc, ValueError) else "expected e.g. " \
                "postgresql+psycopg://user:password@host:5432/db or sqlite:////path/argus.db"
            raise ValueError(f"not a valid database URL ({hint}; escape @ : / in the password as %40 %3A %2F)") from None
        return value

    @model_validator(mode="after")
    def _scan_cache_in_home(self) -> Settings:
        """The scan cache defaults to ``<home>/scan-cache``."""
        if self.selection.scan_cache_dir is None:
            self.selection.scan_cache_dir = self.home / "scan-cache"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("ARGUS_CONFIG", "argus.toml"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        table = _pyproject_table(Path("pyproject.toml"))
        if table:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=table))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'argus.db'}"

    def masked(self) -> dict[str, Any]:
        """The settings as plain data with secrets and URL passwords masked (for ``argus config show``)."""
        data = self.model_dump(mode="json")
        data["database_url"] = mask_url(self.effective_database_url)
        data["github_token"] = "********" if self.github_token else None
        return data


def _pyproject_table(path: Path) -> dict[str, Any]:
    """The ``[tool.argus]`` table of ``path`` (empty when the file or table is absent)."""
    import tomllib

    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    table = data.get("tool", {}).get("argus", {})
    return table if isinstance(table, dict) else {}


def mask_url(url: str) -> str:
    """Hide the password of a database URL, also when the URL is malformed.

    Parsed with SQLAlchemy's ``make_url`` when that gives a plausible host; otherwise (unparsable, a
    non-numeric port, or an unescaped ``@`` in the password, which makes the parsed host contain
    ``@``) everything between ``user:`` and the last ``@`` before the path is masked.
    """
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        if "@" not in (parsed.host or "") and "@" not in (parsed.username or ""):
            return parsed.render_as_string(hide_password=True)
    except Exception:
        pass
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<unparsable>"
    at = rest.rfind("@")  # a password may contain "@", "/" or "?": mask up to the last "@"
    if at < 0:
        return url
    user = rest[:at].split(":", 1)[0]
    return f"{scheme}://{user}:***@{rest[at + 1:]}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; a malformed value raises :class:`ConfigError` naming the field."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise ConfigError(f"invalid setting {field}: {first.get('msg')}") from None
    except Exception as exc:  # a broken TOML file
        raise ConfigError(f"cannot read configuration: {exc}") from None
