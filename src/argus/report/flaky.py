"""Machine-readable forms of the flaky analysis (``argus flaky analyze --json``); the quarantine
forms for CI are in :mod:`argus.report.quarantine`."""

from __future__ import annotations

from typing import Any

from argus.analysis.flaky.readmodels import FlakyAnalysis


def analysis_json(a: FlakyAnalysis) -> dict[str, Any]:
    """``argus flaky analyze --json``: counts, the state changes, every flaky and broken test's data."""
    return {
        "project": a.project,
        "runs": a.runs,
        "tests_examined": a.tests_examined,
        "outage_runs": a.outage_runs,
        "flaky": a.flaky,
        "broken": a.broken,
        "insights_stored": a.insights_stored,
        "wasted_s": a.wasted_s,
        "state_changes": [c.__dict__ for c in a.state_changes],
        "tests": [{"test": t.identity, **t.data} for t in a.tests],
    }
