"""Wiring checks for GitHub workflows / composite actions and GitLab CI files (used by test_workflows.py).

Each check returns a list of problems (strings); an empty list means the file is wired correctly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_STEPS_REF = re.compile(r"\bsteps\.([A-Za-z_][\w-]*)\.")
_ENV_REF = re.compile(r"\benv\.([A-Za-z_]\w*)")
_INPUTS_REF = re.compile(r"\binputs\.([A-Za-z_][\w-]*)")
_PINNED = re.compile(r"^(v?\d+(\.\d+){0,2}|[0-9a-f]{40})$")
_GL_INPUT = re.compile(r"\$\[\[\s*inputs\.(\w+)")


def _on(doc: dict[Any, Any]) -> Any:
    return doc.get("on", doc.get(True))  # PyYAML reads the key `on` as the boolean True


def is_github_workflow(doc: Any) -> bool:
    return isinstance(doc, dict) and "jobs" in doc and _on(doc) is not None


def _if_text(step: dict[str, Any]) -> str:
    cond = step.get("if")
    if cond is None:
        return ""
    text = str(cond)
    found = _EXPR.findall(text)
    return " ".join(found) if found else text


def check_steps(steps: list[dict[str, Any]], visible_env: set[str], inputs: set[str] | None) -> list[str]:
    """Problems in one job's (or one composite action's) steps."""
    problems: list[str] = []
    seen_ids: set[str] = set()
    for i, step in enumerate(steps):
        label = step.get("name") or step.get("id") or step.get("uses") or f"step {i + 1}"
        cond = _if_text(step)
        for ref in _ENV_REF.findall(cond):
            if ref not in visible_env:
                own = ref in (step.get("env") or {})
                problems.append(f"{label}: `if:` reads env.{ref}, which is not visible there"
                                + (" (a step's own env: is not visible in its if:)" if own else ""))
        texts = [cond, *(_EXPR.findall(str(v)) for v in (step.get("env") or {}).values()),
                 *(_EXPR.findall(str(v)) for v in (step.get("with") or {}).values()), _EXPR.findall(str(step.get("run", "")))]
        flat = " ".join(t if isinstance(t, str) else " ".join(t) for t in texts)
        for ref in _STEPS_REF.findall(flat):
            if ref not in seen_ids:
                problems.append(f"{label}: reads steps.{ref}, which is no earlier step id")
        if inputs is not None:
            for ref in _INPUTS_REF.findall(flat):
                if ref not in inputs:
                    problems.append(f"{label}: reads inputs.{ref}, which is no input")
        uses = step.get("uses")
        if uses and not str(uses).startswith(("./", "docker://")):
            ref = str(uses).rpartition("@")[2] if "@" in str(uses) else ""
            if not _PINNED.match(ref):
                problems.append(f"{label}: `uses: {uses}` is not pinned to a version tag or commit SHA")
        if step.get("id"):
            if step["id"] in seen_ids:
                problems.append(f"{label}: duplicate step id {step['id']}")
            seen_ids.add(str(step["id"]))
    problems += check_order([str(s.get("run", "")) for s in steps], where="steps")
    return problems


def check_order(commands: list[str], *, where: str) -> list[str]:
    """`argus flaky analyze` must run after the ingestion and before `argus gate`."""
    def first(pattern: str) -> int | None:
        return next((i for i, c in enumerate(commands) if re.search(pattern, c)), None)

    gate, flaky, ingest = first(r"\bargus gate\b"), first(r"\bargus flaky analyze\b"), first(r"\bargus ingest tests\b")
    if gate is None:
        return []
    problems = []
    if flaky is None or flaky > gate:
        problems.append(f"{where}: `argus flaky analyze` does not run before `argus gate` (known-flaky failures block)")
    if ingest is not None and flaky is not None and flaky < ingest:
        problems.append(f"{where}: `argus flaky analyze` runs before the reports are ingested")
    return problems


def check_github_workflow(doc: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    top_env = set((doc.get("env") or {}).keys())
    for name, job in (doc.get("jobs") or {}).items():
        env = top_env | set((job.get("env") or {}).keys())
        problems += [f"job {name}: {p}" for p in check_steps(job.get("steps") or [], env, None)]
    return problems


def check_composite_action(doc: dict[str, Any]) -> list[str]:
    runs = doc.get("runs") or {}
    if runs.get("using") != "composite":
        return ["runs.using is not composite"]
    inputs = set((doc.get("inputs") or {}).keys())
    problems = check_steps(runs.get("steps") or [], set(), inputs)
    for step in runs.get("steps") or []:
        if "run" in step and "shell" not in step:
            problems.append(f"{step.get('name')}: a composite `run` step needs `shell:`")
    for name, out in (doc.get("outputs") or {}).items():
        for ref in _STEPS_REF.findall(str(out.get("value", ""))):
            if ref not in {s.get("id") for s in runs.get("steps") or []}:
                problems.append(f"output {name}: reads steps.{ref}, which is no step id")
    return problems


def _gitlab_jobs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in doc.items():
        if isinstance(job, dict) and "script" in job and not str(name).startswith("."):
            yield str(name), job


def is_gitlab_ci(doc: Any) -> bool:
    return isinstance(doc, dict) and any(True for _ in _gitlab_jobs(doc))


def check_gitlab(doc: dict[str, Any], spec_inputs: set[str] | None = None) -> list[str]:
    problems: list[str] = []
    for name, job in _gitlab_jobs(doc):
        lines = [str(x) for x in job.get("script") or []]
        problems += check_order(lines, where=f"job {name}")
        image = job.get("image")
        image = image.get("name") if isinstance(image, dict) else image
        if image and "$[[" not in str(image):
            tag = str(image).rpartition(":")[2] if ":" in str(image) else ""
            if not tag or tag == "latest":
                problems.append(f"job {name}: image {image} is not pinned to a version")
        if spec_inputs is not None:
            for ref in _GL_INPUT.findall(str(job)):
                if ref not in spec_inputs:
                    problems.append(f"job {name}: reads inputs.{ref}, which is no spec input")
    return problems
