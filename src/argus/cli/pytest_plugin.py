"""pytest plugin: ``pytest --argus-select=SPEC`` runs only the tests a change needs (deselects the rest).

``SPEC`` is either a file written by ``argus select`` (``--format ids``, ``pytest`` or ``json``), or
comma-separated ``key=value`` settings of a selection made in-process against the configured
database: ``base=REV``, ``head=REV``, ``diff=FILE``, ``budget=25%``, ``max-tests=N``,
``max-time=10m``, ``confidence=0.99``, ``project=P`` (e.g. ``--argus-select=base=origin/main,budget=25%``).
Collected tests the selection does not know (neither selected nor skipped: new since the map and the
history) run. Registered through the ``pytest11`` entry point; it does nothing unless the option is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_OPTION = "--argus-select"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("argus", "Argus test selection")
    group.addoption(_OPTION, dest="argus_select", default=None, metavar="SPEC",
                    help="Run only the tests a change needs: a file from `argus select`, or "
                         "base=REV[,head=REV|diff=FILE][,budget=25%|max-tests=N|max-time=10m|confidence=0.99]"
                         "[,project=P].")


def _from_file(path: Path) -> tuple[set[str], set[str] | None]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        doc = json.loads(text)
        keep = set()
        for t in doc.get("selected", []):
            keep.add(t["test"])
            if t.get("node_id"):
                keep.add(t["node_id"])
        return keep, None
    return {ln.strip() for ln in text.splitlines() if ln.strip()}, None


def _in_process(spec: str, rootdir: Path) -> tuple[set[str], set[str] | None]:
    from argus.app import selection as uc
    from argus.app.runtime import Runtime
    from argus.core.errors import InputError

    opts: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise InputError(f"{_OPTION}: {part!r} is no key=value setting nor a file")
        opts[key.strip()] = value.strip()
    known = {"base", "head", "diff", "budget", "max-tests", "max-time", "confidence", "project"}
    if set(opts) - known:
        raise InputError(f"{_OPTION}: unknown setting(s) {', '.join(sorted(set(opts) - known))}")
    budget = uc.parse_budget(opts.get("budget"), int(opts["max-tests"]) if "max-tests" in opts else None,
                             opts.get("max-time"), float(opts["confidence"]) if "confidence" in opts else None)
    diff = Path(opts["diff"]).read_text(encoding="utf-8") if "diff" in opts else None
    runtime = Runtime()
    try:
        view = uc.select_tests(runtime, uc.SelectRequest(diff, opts.get("base"), opts.get("head"),
                                                         opts.get("project"), budget, rootdir))
    finally:
        runtime.close()
    keep = {t.test for t in view.selected} | {t.node_id for t in view.selected if t.node_id}
    skip = {t.test for t in view.skipped_tests} | {t.node_id for t in view.skipped_tests if t.node_id}
    return keep, skip


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    spec = config.getoption("argus_select", None)
    if not spec:
        return
    from argus.analysis.selection.contexts import base_identity, identity_of_node

    rootdir = Path(str(config.rootpath))
    path = Path(spec)
    keep, skip = _from_file(path) if path.is_file() else _in_process(spec, rootdir)
    keep_base = {base_identity(k) for k in keep}
    selected, deselected = [], []
    for item in items:
        ident = identity_of_node(item.nodeid)
        names = {item.nodeid, ident}
        if names & keep or base_identity(ident) in keep_base:
            selected.append(item)
        elif skip is not None and not names & skip:
            selected.append(item)  # unknown to the selection: run it
        else:
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"argus: selected {len(selected)} of {len(selected) + len(deselected)} tests")
