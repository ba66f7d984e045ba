"""CI metrics as JSON (schema ``argus.ci-metrics/v1``) and in Prometheus text format, pushed to a Pushgateway.

The JSON keeps seed 004's shape (S4-22) — ``{timestamp, workflow_run_id, metrics: {coverage_pct,
ai_fix_confidence, has_flaky_tests, rerun_count, …}, job_statuses: {…}}`` — with more metrics added.
Pushgateway protocol: ``PUT /metrics/job/<job>{/<label>/<value>}`` with the text exposition format
replaces the group's metrics; label values containing ``/`` use the ``@base64`` (URL-safe) form.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import httpx

from argus.analysis.gates.readmodels import CiMetrics
from argus.core.errors import ArgusError

SCHEMA = "argus.ci-metrics/v1"


class PushError(ArgusError):
    """The Pushgateway could not be reached or refused the metrics."""

    exit_code = 7


def to_json(m: CiMetrics) -> dict[str, Any]:
    vulns = m.vulnerabilities or {}
    return {
        "schema": SCHEMA,
        "timestamp": m.timestamp.isoformat(),
        "workflow_run_id": m.workflow_run_id,
        "project": m.project,
        "build": m.build,
        "commit": m.commit,
        "branch": m.branch,
        "metrics": {
            "coverage_pct": m.coverage_pct,
            "ai_fix_confidence": m.ai_fix_confidence,
            "has_flaky_tests": m.has_flaky_tests,
            "rerun_count": m.rerun_count,
            "tests": m.tests,
            "failed_tests": m.failed_tests,
            "flaky_tests": m.flaky_tests,
            "vulnerabilities_critical": vulns.get("critical") if m.vulnerabilities is not None else None,
            "vulnerabilities_high": vulns.get("high") if m.vulnerabilities is not None else None,
            "vulnerabilities_medium": vulns.get("medium") if m.vulnerabilities is not None else None,
            "vulnerabilities_low": vulns.get("low") if m.vulnerabilities is not None else None,
            "test_duration_s": m.test_duration_s,
            "build_duration_s": m.build_duration_s,
            "queue_time_s": m.queue_time_s,
        },
        "job_statuses": dict(m.job_statuses),
    }


def to_prometheus(m: CiMetrics, prefix: str = "argus_ci_") -> str:
    """Gauges in the Prometheus text exposition format (metrics with no value are left out)."""
    doc = to_json(m)["metrics"]
    help_text = {
        "coverage_pct": "Line coverage of the build in percent.",
        "rerun_count": "Test retries plus CI job re-runs in the build.",
        "has_flaky_tests": "1 when a test failed then passed on retry in the build.",
    }
    lines: list[str] = []
    for name, value in doc.items():
        if value is None:
            continue
        metric = prefix + name
        if name in help_text:
            lines.append(f"# HELP {metric} {help_text[name]}")
        lines.append(f"# TYPE {metric} gauge")
        lines.append(f"{metric} {float(value):g}")
    if m.job_statuses:
        lines.append(f"# HELP {prefix}job_success 1 when the job's status is success or pass.")
        lines.append(f"# TYPE {prefix}job_success gauge")
    for job, status in sorted(m.job_statuses.items()):
        esc = status.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{prefix}job_success{{job_name="{job}",status="{esc}"}} {1 if status in ("success", "pass") else 0}')
    return "\n".join(lines) + "\n"


def _segment(name: str, value: str) -> str:
    if "/" in value or not value:
        enc = base64.urlsafe_b64encode(value.encode()).decode() or "="
        return f"{name}@base64/{enc}"
    return f"{quote(name, safe='')}/{quote(value, safe='')}"


def push_to_gateway(url: str, m: CiMetrics, *, job: str = "argus_ci", timeout_s: float = 10.0,
                    transport: httpx.BaseTransport | None = None) -> str:
    """PUT the metrics to a Pushgateway, grouped by job, project and branch; returns the URL used."""
    path = "/metrics/" + "/".join([_segment("job", job), _segment("project", m.project),
                                   _segment("branch", m.branch or "unknown")])
    target = url.rstrip("/") + path
    try:
        with httpx.Client(timeout=timeout_s, transport=transport) as http:
            resp = http.put(target, content=to_prometheus(m).encode(),
                            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
    except httpx.HTTPError as exc:
        raise PushError(f"Pushgateway {target}: {exc}") from None
    if resp.status_code >= 300:
        raise PushError(f"Pushgateway {target}: HTTP {resp.status_code} {resp.text.strip()[:200]}")
    return target
