"""The gate outcome as plain JSON data (schema ``argus.gate/v1``, documented in docs/analysis/gate.md)."""

from __future__ import annotations

from typing import Any

from argus.analysis.gates.schemas import BaseFailure, BuildMetrics, GateResult
from argus.analysis.gates.service import GateOutcome

SCHEMA = "argus.gate/v1"


def _build(b: BuildMetrics) -> dict[str, Any]:
    return {
        "key": b.key,
        "commit": b.commit_sha,
        "branch": b.branch,
        "started_at": b.started_at.isoformat() if b.started_at else None,
        "run_ids": list(b.run_ids),
        "coverage_pct": b.coverage_pct,
        "vulnerabilities": dict(b.vuln_counts) if b.vuln_counts is not None else None,
        "tests": b.tests,
        "failed_tests": b.failed_tests,
        "test_duration_s": b.test_duration_s,
    }


def _base_failure(f: BaseFailure | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"since_commit": f.since_commit, "since_at": f.since_at.isoformat() if f.since_at else None,
            "since_at_least": f.since_first_seen, "builds": f.builds, "last_commit": f.last_commit}


def outcome_to_dict(o: GateOutcome) -> dict[str, Any]:
    r = o.result
    base = r.baseline
    return {
        "schema": SCHEMA,
        "project": o.project,
        "verdict": r.verdict.value,
        "insight_id": o.insight_id,
        "build": _build(o.build),
        "baseline": {
            "default_branch": o.default_branch,
            "aggregate": base.aggregate,
            "builds": [_build(b) for b in o.baseline_builds],
            "coverage_pct": base.coverage_pct,
            "coverage_source": base.coverage_source,
            "high": base.high,
            "critical": base.critical,
            "vulnerability_source": base.vuln_source,
            "test_duration_s": base.test_duration_s,
        },
        "rules": [
            {
                "rule": x.rule.value,
                "mode": x.mode.value,
                "status": x.status.value,
                "message": x.message,
                "current": x.current,
                "baseline": x.baseline,
                "delta": x.delta,
                "threshold": x.threshold,
            }
            for x in r.rules
        ],
        "notes": list(r.notes),
        "small_change": r.small_change,
        "changed_lines": o.changed_lines,
        "changed_line_coverage": None if o.changed_coverage is None else {
            "executable": o.changed_coverage.executable,
            "covered": o.changed_coverage.covered,
            "pct": o.changed_coverage.pct,
        },
        "new_vulnerabilities": [
            {"id": v.vuln_id, "package": v.package, "severity": v.severity, "installed": v.installed_version,
             "fixed": v.fixed_version, "title": v.title}
            for v in r.new_vulns
        ],
        "failures": [
            {"test": f.name, "result_id": f.result_id, "message": f.message, "cluster_id": f.cluster_id,
             "cluster": f.cluster_label, "known_flaky": f.known_flaky,
             "already_failing": _base_failure(f.already_failing)}
            for f in o.failures
        ],
        "quarantined_passed": [
            {"test": q.name, "result_id": q.result_id, "consecutive_passes": q.consecutive_passes,
             "quarantined_at": q.quarantined_at.isoformat() if q.quarantined_at else None}
            for q in o.quarantined_passed
        ],
        "vulnerabilities_in_baseline": o.vulns_in_baseline,
        "flaky_status_known": o.flaky_status_known,
        "newly_flaky": list(o.retried),
        "low_coverage": [
            {"path": lc.path, "ranges": [list(x) for x in lc.ranges], "changed_lines": lc.changed}
            for lc in o.low_coverage
        ],
    }


def baseline_file(project: str, default_branch: str, builds: list[BuildMetrics], result: GateResult) -> dict[str, Any]:
    """The rolling baseline as seed 004's ``ci_metrics/quality_metrics.json`` (S4-08), schema
    ``argus.quality-baseline/v1``: the last N green default-branch builds and their aggregate."""
    base = result.baseline
    return {
        "schema": "argus.quality-baseline/v1",
        "project": project,
        "default_branch": default_branch,
        "aggregate": base.aggregate,
        "baseline": {
            "coverage_pct": base.coverage_pct,
            "coverage_source": base.coverage_source,
            "high": base.high,
            "critical": base.critical,
            "vulnerability_source": base.vuln_source,
            "test_duration_s": base.test_duration_s,
        },
        "runs": [
            {
                "commit": b.commit_sha,
                "timestamp": b.started_at.isoformat() if b.started_at else None,
                "coverage_pct": b.coverage_pct,
                "high": (b.vuln_counts or {}).get("high") if b.vuln_counts is not None else None,
                "critical": (b.vuln_counts or {}).get("critical") if b.vuln_counts is not None else None,
            }
            for b in builds
        ],
        "notes": list(result.notes),
    }
