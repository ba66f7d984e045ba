"""Subject and evidence types are registries (argus.core.enums), not free strings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from argus.core.enums import EvidenceType, SubjectType, Support
from argus.reasoning import Evidence, Subject

SRC = Path(__file__).resolve().parents[2] / "src" / "argus"


def test_registry_values_are_the_stored_strings() -> None:
    # stored rows (insight.subject_type, evidence.ref_type) and JSON carry these strings: never rename them
    assert {t.value for t in SubjectType} == {"test", "build", "failure_cluster", "metric_series", "change",
                                              "delivery_period", "incident", "pull_request", "work_item",
                                              "hypothesis"}
    assert {t.value for t in EvidenceType} == {"test_run", "test_result", "commit", "coverage_report", "vuln_report",
                                               "metric_window", "metric_baseline", "metric_forecast", "model_version",
                                               "risk_prediction", "deployment", "pull_request", "incident",
                                               "coverage_map_entry", "alert", "work_item", "incident_snapshot",
                                               "past_incident", "insight"}


def test_strings_of_the_registry_become_members() -> None:
    ev = Evidence("test_run", "7", Support.STRONG, "d")
    assert ev.ref_type is EvidenceType.TEST_RUN and ev.ref_type == "test_run"
    assert Subject("build", "abc").type is SubjectType.BUILD
    assert Evidence(EvidenceType.COMMIT, "abc", Support.WEAK, "d").ref_type is EvidenceType.COMMIT


@pytest.mark.parametrize("bad", ["run", "test_runs", "Test_Run", ""])
def test_unknown_evidence_type_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown evidence type"):
        Evidence(bad, "7", Support.STRONG, "d")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["tests", "commit", "cluster", ""])
def test_unknown_subject_type_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown subject type"):
        Subject(bad, "x")  # type: ignore[arg-type]


def test_src_builds_references_from_the_enums_not_string_literals() -> None:
    """Every ``Evidence(...)``/``Subject(...)`` in src/ names its type through the enum."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ("Evidence", "Subject"):
                continue
            key = "ref_type" if node.func.id == "Evidence" else "type"
            args = [node.args[0]] if node.args else [k.value for k in node.keywords if k.arg == key]
            if any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_reasoning_modules_import_no_cycle() -> None:
    """reasoning.model imports reasoning.policy and never the reverse (also not inside functions)."""
    pkg = SRC / "reasoning"
    graph: dict[str, set[str]] = {}
    for path in pkg.glob("*.py"):
        mod = f"argus.reasoning.{path.stem}" if path.stem != "__init__" else "argus.reasoning"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("argus.reasoning."):
                deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("argus.reasoning."))
        graph[mod] = deps
    assert "argus.reasoning.policy" in graph["argus.reasoning.model"]

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for dep in graph.get(start, ()):
            if dep == target or (dep not in seen and reaches(dep, target, seen | {dep})):
                return True
        return False

    cycles = [m for m in graph if m != "argus.reasoning" and reaches(m, m, {m})]
    assert cycles == []
