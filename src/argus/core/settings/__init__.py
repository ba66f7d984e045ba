"""Settings: environment (prefix ``ARGUS_``), config file, documented defaults; one module per capability.

Precedence, highest first: explicit arguments, environment variables (``ARGUS_...``, nested with
``__``, e.g. ``ARGUS_FLAKY__QUARANTINE_THRESHOLD``), ``argus.toml`` (path from ``ARGUS_CONFIG`` or the
working directory), ``[tool.argus]`` in the working directory's ``pyproject.toml``, defaults.
Settings are built by :func:`load_settings` and passed down; nothing reads ``os.environ`` deeper in.

Layout: ``root`` (the :class:`Settings` object, loading, URL masking), one module per capability
(``ingest``, ``flaky``, ``clusters``, ``gate``, ``git``, ``server``) holding its settings model, and ``derive``
(Params built from a settings model, :func:`derive`). Import the names from this package.
"""

from argus.core.settings.anomaly import AnomalySettings
from argus.core.settings.clusters import ClusterSettings
from argus.core.settings.delivery import DeliverySettings
from argus.core.settings.derive import derive, not_params
from argus.core.settings.flaky import FlakySettings
from argus.core.settings.gate import GateSettings
from argus.core.settings.git import SZZ_EXCLUDE_GLOBS, SZZ_SOURCE_GLOBS, SZZ_TEST_GLOBS, GitSettings
from argus.core.settings.incidents import ChannelKind, ChannelSettings, IncidentSettings
from argus.core.settings.ingest import IngestSettings
from argus.core.settings.investigation import InvestigationSettings
from argus.core.settings.issues import IssueSettings
from argus.core.settings.query import QuerySettings
from argus.core.settings.risk import RiskLabel, RiskSettings
from argus.core.settings.root import Settings, default_home, load_settings, mask_url
from argus.core.settings.runbooks import RunbookSettings
from argus.core.settings.selection import SelectionSettings
from argus.core.settings.server import ServerSettings

__all__ = [
    "SZZ_EXCLUDE_GLOBS",
    "SZZ_SOURCE_GLOBS",
    "SZZ_TEST_GLOBS",
    "AnomalySettings",
    "ChannelKind",
    "ChannelSettings",
    "ClusterSettings",
    "DeliverySettings",
    "FlakySettings",
    "GateSettings",
    "GitSettings",
    "IncidentSettings",
    "IngestSettings",
    "InvestigationSettings",
    "IssueSettings",
    "QuerySettings",
    "RiskLabel",
    "RiskSettings",
    "RunbookSettings",
    "SelectionSettings",
    "ServerSettings",
    "Settings",
    "default_home",
    "derive",
    "load_settings",
    "mask_url",
    "not_params",
]
