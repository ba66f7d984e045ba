"""Typed vulnerability DTOs, severity normalisation and finding identity."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from argus.core.errors import RejectedInputError


class VulnParseError(RejectedInputError):
    """A vulnerability report is malformed or too large; ``source`` names it, ``reason`` says why."""


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.UNKNOWN: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

_NAMES = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.LOW,
    "info": Severity.LOW,
}


def severity_of(value: object) -> Severity:
    """Map a tool's severity word, or a CVSS base score (0–10), to :class:`Severity`.

    CVSS v3 bands: ≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low (FIRST CVSS v3.1 spec §5).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _cvss_band(float(value))
    if not isinstance(value, str):
        return Severity.UNKNOWN
    word = value.strip().lower()
    if word in _NAMES:
        return _NAMES[word]
    try:
        return _cvss_band(float(word))
    except ValueError:
        return Severity.UNKNOWN


def _cvss_band(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.UNKNOWN


def canonical_id(vuln_id: str, aliases: Iterable[str] = ()) -> str:
    """The identifier used for identity: the smallest CVE id among the id and its aliases, else the id.

    Tools name one vulnerability differently (Trivy and Grype: CVE; pip-audit: PYSEC/GHSA with a CVE
    alias; npm audit: GHSA), so the CVE, when known, lets the same vulnerability match across tools.
    """
    cves = sorted(a.strip().upper() for a in (vuln_id, *aliases) if a and a.strip().upper().startswith("CVE-"))
    return cves[0] if cves else vuln_id.strip().upper()


def finding_identity(vuln_id: str, aliases: Iterable[str], package: str) -> str:
    """Stable identity of "this vulnerability in this package" (hex SHA-256, version-independent).

    The installed version is left out on purpose: upgrading to another still-vulnerable version is
    not a new vulnerability.
    """
    key = f"{canonical_id(vuln_id, aliases)}|{package.strip().lower()}"
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Finding:
    """One vulnerability in one package as a scanner reported it."""

    vuln_id: str
    package: str
    severity: Severity
    installed_version: str | None = None
    fixed_version: str | None = None
    aliases: tuple[str, ...] = ()
    title: str | None = None
    target: str | None = None

    @property
    def canonical_id(self) -> str:
        return canonical_id(self.vuln_id, self.aliases)

    @property
    def identity(self) -> str:
        return finding_identity(self.vuln_id, self.aliases, self.package)


@dataclass(frozen=True)
class VulnReportData:
    """A parsed report: the scanner format and its findings, one per identity (highest severity kept)."""

    format: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def counts(self) -> dict[Severity, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in Severity}


def dedupe(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """One finding per identity (a CVE listed for several targets or versions counts once), keeping the
    most severe, ordered by severity then id."""
    best: dict[str, Finding] = {}
    for f in findings:
        cur = best.get(f.identity)
        if cur is None or f.severity.rank > cur.severity.rank:
            best[f.identity] = f
    return tuple(sorted(best.values(), key=lambda f: (-f.severity.rank, f.canonical_id, f.package)))
