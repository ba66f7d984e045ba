"""Vulnerability parsers on files written from each scanner's documented JSON output, identities across tools,
and malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.ingest.vulns import Severity, VulnFormat, VulnParseError, parse_vulns
from argus.ingest.vulns.parse import detect_format
from argus.ingest.vulns.schemas import canonical_id, severity_of

DATA = Path(__file__).parent / "data"


def load(name: str):
    return parse_vulns((DATA / name).read_bytes(), name)


def test_trivy_counts_and_dedup_per_identity() -> None:
    r = load("trivy.json")
    assert r.format == "trivy"
    c = r.counts()
    # CVE-2023-5363 in libssl3 and openssl are two identities; the empty 'requirements.txt' result adds none
    assert (c[Severity.CRITICAL], c[Severity.HIGH], c[Severity.MEDIUM], c[Severity.LOW]) == (1, 3, 1, 1)
    zlib = next(f for f in r.findings if f.package == "zlib1g")
    assert zlib.fixed_version is None and zlib.target and "debian" in zlib.target


def test_grype_uses_related_cve_and_maps_negligible_to_low() -> None:
    r = load("grype.json")
    by_pkg = {f.package: f for f in r.findings}
    assert by_pkg["flask"].canonical_id == "CVE-2023-30861"
    assert by_pkg["flask"].vuln_id == "GHSA-m2qf-hxjv-5gpq"
    assert by_pkg["flask"].fixed_version == "2.2.5"
    assert by_pkg["libkrb5-3"].severity is Severity.LOW
    assert by_pkg["zlib1g"].severity is Severity.CRITICAL


def test_pip_audit_has_no_severity_and_skips_unauditable() -> None:
    r = load("pip-audit.json")
    assert [f.package for f in r.findings] == ["flask", "jinja2"]
    assert all(f.severity is Severity.UNKNOWN for f in r.findings)
    assert r.findings[0].fixed_version == "2.2.5, 2.3.2"


def test_npm_audit_v2_counts_advisories_not_transitive_entries() -> None:
    r = load("npm-audit.json")
    assert sorted(f.package for f in r.findings) == ["lodash", "minimist", "semver"]  # not mkdirp
    c = r.counts()
    assert (c[Severity.CRITICAL], c[Severity.HIGH], c[Severity.MEDIUM]) == (1, 1, 1)
    assert next(f for f in r.findings if f.package == "minimist").vuln_id == "GHSA-xvch-5gv4-984h"


def test_npm_audit_v1_advisories() -> None:
    doc = b"""{"advisories": {"1179": {"id": 1179, "module_name": "minimist", "severity": "low",
      "title": "Prototype Pollution", "cves": ["CVE-2020-7598"], "patched_versions": ">=1.2.3",
      "github_advisory_id": "GHSA-vh95-rmgr-6w4m", "findings": [{"version": "0.0.8", "paths": ["a>minimist"]}]}},
      "metadata": {"vulnerabilities": {"low": 1}}}"""
    (f,) = parse_vulns(doc, "npm6.json").findings
    assert (f.package, f.severity, f.canonical_id, f.installed_version) == ("minimist", Severity.LOW, "CVE-2020-7598", "0.0.8")


def test_osv_groups_aliases_and_cvss_scores() -> None:
    r = load("osv-scanner.json")
    by_id = {f.canonical_id: f for f in r.findings}
    assert set(by_id) == {"CVE-2021-23337", "CVE-2020-28500", "CVE-2024-34064"}  # PYSEC+GHSA grouped
    assert by_id["CVE-2021-23337"].severity is Severity.HIGH  # max_severity 7.2
    assert by_id["CVE-2024-34064"].severity is Severity.MEDIUM
    assert by_id["CVE-2024-34064"].fixed_version == "3.1.4"


def test_identity_matches_across_scanners() -> None:
    trivy = {f.canonical_id: f.identity for f in load("trivy.json").findings if f.package.lower() == "flask"}
    grype = {f.canonical_id: f.identity for f in load("grype.json").findings if f.package == "flask"}
    pip = {f.canonical_id: f.identity for f in load("pip-audit.json").findings if f.package == "flask"}
    assert trivy["CVE-2023-30861"] == grype["CVE-2023-30861"] == pip["CVE-2023-30861"]


def test_detection() -> None:
    import json

    expected = {"trivy.json": VulnFormat.TRIVY, "grype.json": VulnFormat.GRYPE, "pip-audit.json": VulnFormat.PIP_AUDIT,
                "npm-audit.json": VulnFormat.NPM_AUDIT, "osv-scanner.json": VulnFormat.OSV}
    for name, fmt in expected.items():
        assert detect_format(json.loads((DATA / name).read_text()), name) is fmt
    assert detect_format([], "old-pip-audit.json") is VulnFormat.PIP_AUDIT


def test_severity_words_and_scores() -> None:
    assert severity_of("Moderate") is Severity.MEDIUM
    assert severity_of(9.0) is Severity.CRITICAL and severity_of("8.9") is Severity.HIGH
    assert severity_of(0) is Severity.UNKNOWN and severity_of(None) is Severity.UNKNOWN
    assert canonical_id("GHSA-x", ["CVE-2024-2", "CVE-2023-9"]) == "CVE-2023-9"


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b'{"foo": 1}', "unknown vulnerability report"),
    (b'{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "x"}]}]}', "VulnerabilityID"),
    (b'{"matches": [{"vulnerability": {"id": "CVE-1"}}]}', "artifact"),
    (b'{"SchemaVersion": 2, "Results": {"a": 1}}', "Results: expected a list"),
])
def test_rejects_malformed(data: bytes, fragment: str) -> None:
    with pytest.raises(VulnParseError) as exc:
        parse_vulns(data, "scan.json")
    assert fragment in str(exc.value)


def test_clean_scan_is_valid() -> None:
    r = parse_vulns(b'{"SchemaVersion": 2, "ArtifactName": ".", "Results": []}', "clean.json")
    assert r.findings == () and sum(r.counts().values()) == 0
