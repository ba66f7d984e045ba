"""One parser per scanner JSON format → :class:`VulnReportData`.

References: Trivy ``--format json`` (SchemaVersion 2: ``Results[].Vulnerabilities[]``); Grype ``-o
json`` (``matches[].vulnerability/artifact/relatedVulnerabilities``); pip-audit ``-f json``
(``dependencies[].vulns[]``; pip-audit reports no severity, so its findings are UNKNOWN); npm audit
``--json`` v2 (npm ≥ 7: ``vulnerabilities.<pkg>.via[]``) and v1 (npm 6: ``advisories``); OSV-Scanner
``--format json`` (``results[].packages[].vulnerabilities/groups``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from argus.ingest.vulns.schemas import Finding, Severity, VulnParseError, severity_of

E = VulnParseError
_GHSA = re.compile(r"GHSA(-[23456789cfghjmpqrvwx]{4}){3}")


def _obj(value: Any, source: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise E(source, f"{what}: expected an object")
    return value


def _list(value: Any, source: str, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise E(source, f"{what}: expected a list")
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _req(entry: dict[str, Any], key: str, source: str, what: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise E(source, f"{what}.{key}: expected a non-empty string")
    return value


def parse_trivy(doc: Any, source: str) -> Iterator[Finding]:
    for i, result in enumerate(_list(_obj(doc, source, "report").get("Results"), source, "Results")):
        result = _obj(result, source, f"Results[{i}]")
        target = _str(result.get("Target"))
        for j, v in enumerate(_list(result.get("Vulnerabilities"), source, f"Results[{i}].Vulnerabilities")):
            where = f"Results[{i}].Vulnerabilities[{j}]"
            v = _obj(v, source, where)
            yield Finding(
                vuln_id=_req(v, "VulnerabilityID", source, where),
                package=_req(v, "PkgName", source, where),
                severity=severity_of(v.get("Severity")),
                installed_version=_str(v.get("InstalledVersion")),
                fixed_version=_str(v.get("FixedVersion")),
                title=_str(v.get("Title")),
                target=target,
            )


def parse_grype(doc: Any, source: str) -> Iterator[Finding]:
    for i, m in enumerate(_list(_obj(doc, source, "report").get("matches"), source, "matches")):
        where = f"matches[{i}]"
        m = _obj(m, source, where)
        vuln = _obj(m.get("vulnerability"), source, f"{where}.vulnerability")
        art = _obj(m.get("artifact"), source, f"{where}.artifact")
        related = [r.get("id") for r in _list(m.get("relatedVulnerabilities"), source, where) if isinstance(r, dict)]
        fix: dict[str, Any] = vuln["fix"] if isinstance(vuln.get("fix"), dict) else {}
        versions = [v for v in _list(fix.get("versions"), source, f"{where}.vulnerability.fix") if isinstance(v, str)]
        locations = [loc.get("path") for loc in _list(art.get("locations"), source, where) if isinstance(loc, dict)]
        yield Finding(
            vuln_id=_req(vuln, "id", source, f"{where}.vulnerability"),
            package=_req(art, "name", source, f"{where}.artifact"),
            severity=severity_of(vuln.get("severity")),
            installed_version=_str(art.get("version")),
            fixed_version=", ".join(versions) or None,
            aliases=tuple(r for r in related if isinstance(r, str)),
            title=_str(vuln.get("description")),
            target=_str(locations[0]) if locations else None,
        )


def parse_pip_audit(doc: Any, source: str) -> Iterator[Finding]:
    deps = doc if isinstance(doc, list) else _obj(doc, source, "report").get("dependencies")
    for i, dep in enumerate(_list(deps, source, "dependencies")):
        where = f"dependencies[{i}]"
        dep = _obj(dep, source, where)
        name = _req(dep, "name", source, where)
        for j, v in enumerate(_list(dep.get("vulns"), source, f"{where}.vulns")):
            v = _obj(v, source, f"{where}.vulns[{j}]")
            fixes = [f for f in _list(v.get("fix_versions"), source, where) if isinstance(f, str)]
            yield Finding(
                vuln_id=_req(v, "id", source, f"{where}.vulns[{j}]"),
                package=name,
                severity=Severity.UNKNOWN,
                installed_version=_str(dep.get("version")),
                fixed_version=", ".join(fixes) or None,
                aliases=tuple(a for a in _list(v.get("aliases"), source, where) if isinstance(a, str)),
                title=_str(v.get("description")),
            )


def parse_npm_audit(doc: Any, source: str) -> Iterator[Finding]:
    doc = _obj(doc, source, "report")
    if isinstance(doc.get("advisories"), dict):  # npm 6 (auditReportVersion 1)
        for key, adv in doc["advisories"].items():
            adv = _obj(adv, source, f"advisories[{key}]")
            ghsa = _str(adv.get("github_advisory_id"))
            versions = sorted(
                {str(f["version"]) for f in _list(adv.get("findings"), source, key) if isinstance(f, dict) and f.get("version")}
            )
            yield Finding(
                vuln_id=ghsa or f"NPM-{adv.get('id', key)}",
                package=_req(adv, "module_name", source, f"advisories[{key}]"),
                severity=severity_of(adv.get("severity")),
                installed_version=", ".join(str(v) for v in versions) or None,
                fixed_version=_str(adv.get("patched_versions")),
                aliases=tuple(c for c in _list(adv.get("cves"), source, key) if isinstance(c, str)),
                title=_str(adv.get("title")),
            )
        return
    vulns = _obj(doc.get("vulnerabilities", {}), source, "vulnerabilities")
    for pkg, entry in vulns.items():
        entry = _obj(entry, source, f"vulnerabilities[{pkg!r}]")
        for via in _list(entry.get("via"), source, f"vulnerabilities[{pkg!r}].via"):
            if not isinstance(via, dict):  # a string names the dependency the advisory comes through
                continue
            url = _str(via.get("url")) or ""
            m = _GHSA.search(url)
            yield Finding(
                vuln_id=m.group(0) if m else f"NPM-{via.get('source', pkg)}",
                package=_str(via.get("name")) or pkg,
                severity=severity_of(via.get("severity") or entry.get("severity")),
                installed_version=_str(via.get("range")),
                title=_str(via.get("title")),
                target=", ".join(n for n in _list(entry.get("nodes"), source, pkg) if isinstance(n, str)) or None,
            )


def _osv_fixed(vuln: dict[str, Any]) -> str | None:
    fixed: list[str] = []
    for aff in vuln.get("affected") or []:
        for rng in (aff.get("ranges") or []) if isinstance(aff, dict) else []:
            for ev in (rng.get("events") or []) if isinstance(rng, dict) else []:
                if isinstance(ev, dict) and isinstance(ev.get("fixed"), str):
                    fixed.append(ev["fixed"])
    return ", ".join(dict.fromkeys(fixed)) or None


def _osv_severity(vuln: dict[str, Any], group_score: Any) -> Severity:
    sev = severity_of(group_score) if group_score not in (None, "") else Severity.UNKNOWN
    if sev is Severity.UNKNOWN and isinstance(vuln.get("database_specific"), dict):
        sev = severity_of(vuln["database_specific"].get("severity"))
    return sev


def parse_osv(doc: Any, source: str) -> Iterator[Finding]:
    """One finding per alias group (OSV lists GHSA and PYSEC records of one vulnerability separately)."""
    for i, res in enumerate(_list(_obj(doc, source, "report").get("results"), source, "results")):
        res = _obj(res, source, f"results[{i}]")
        src: dict[str, Any] = res["source"] if isinstance(res.get("source"), dict) else {}
        target = _str(src.get("path"))
        for j, p in enumerate(_list(res.get("packages"), source, f"results[{i}].packages")):
            where = f"results[{i}].packages[{j}]"
            p = _obj(p, source, where)
            pkg = _obj(p.get("package"), source, f"{where}.package")
            by_id = {
                v["id"]: v
                for v in _list(p.get("vulnerabilities"), source, where)
                if isinstance(v, dict) and isinstance(v.get("id"), str)
            }
            groups = [g for g in _list(p.get("groups"), source, where) if isinstance(g, dict)]
            if not groups:
                groups = [{"ids": [vid]} for vid in by_id]
            for g in groups:
                ids = [x for x in g.get("ids") or [] if isinstance(x, str)]
                if not ids:
                    continue
                members = [by_id[x] for x in ids if x in by_id]
                vuln = members[0] if members else {}
                aliases = {*ids[1:], *(a for m in members for a in m.get("aliases") or [] if isinstance(a, str))}
                fixed = [f for m in members if (f := _osv_fixed(m))]
                yield Finding(
                    vuln_id=ids[0],
                    package=_req(pkg, "name", source, f"{where}.package"),
                    severity=_osv_severity(vuln, g.get("max_severity")),
                    installed_version=_str(pkg.get("version")),
                    fixed_version=", ".join(dict.fromkeys(fixed)) or None,
                    aliases=tuple(sorted(aliases - {ids[0]})),
                    title=_str(vuln.get("summary")),
                    target=target,
                )
