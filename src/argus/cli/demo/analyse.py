"""Run the analyses through their commands; the use cases of :mod:`argus.app.demo` read back what they stored."""

from __future__ import annotations

import json
from typing import Any

from argus.app.demo import ProjectFindings, stored_findings, with_gates
from argus.cli.context import CliState
from argus.cli.demo.steps import CommandLog, run_command

__all__ = ["ProjectFindings", "analyse_project"]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def analyse_project(state: CliState, project: str, log: CommandLog) -> ProjectFindings:
    """`argus flaky analyze`, `argus failures analyze`, then `argus gate` on (at most) two builds."""
    run_command(state, ["flaky", "analyze", "-p", project, "--json"], log)
    run_command(state, ["failures", "analyze", "-p", project, "--json"], log)
    found = stored_findings(state.runtime, project)
    gates: list[dict[str, Any]] = []
    gate_log = CommandLog()
    for commit in found.gate_builds:
        data = _json(run_command(state, ["gate", "-p", project, "--commit", commit, "--json", "--no-github"], gate_log))
        if isinstance(data, dict):
            gates.append(data)
    # a FAIL verdict exits 1 by design; anything else is a real failure
    log.ran += gate_log.ran
    log.failed += [f for f in gate_log.failed if f[1] != 1]
    return with_gates(state.runtime, found, gates)
