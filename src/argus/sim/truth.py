"""Assemble a project's ground truth (what was planted) as JSON-ready dicts.

Schema ``argus-sim-truth/1``; :mod:`argus.evaluation.truth` loads it into typed dataclasses and
docs/simulator.md documents every field. Test ids are the ids reports show (pytest node id, or
``package.Class.method`` for Surefire). Times are ISO-8601 UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from argus.sim.history import History, Simulation
from argus.sim.messages import flaky_template, outage_template, regression_template, template_text
from argus.sim.model import Dialect, LatentBug, OutageKind, Regression
from argus.sim.outcomes import TestFailure

SCHEMA = "argus-sim-truth/1"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def failure_label(test_id: str, f: TestFailure) -> dict[str, Any]:
    outcome = "passed_on_rerun" if f.passed_on_rerun else ("error" if f.attempts[0].error else "failed")
    return {"test": test_id, "cause": f.cause.value, "group": f.group, "outcome": outcome, "attempts": len(f.attempts)}


def _fill_fixed(template: str, fixed: dict[str, str]) -> str:
    """Substitute the placeholders that stay fixed for one regression (function, field ...)."""
    return re.sub(r"\{(\w+)\}", lambda m: fixed.get(m[1], m[0]), template)


def _groups(sim: Simulation, h: History, counts: dict[str, int]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for group in sorted(counts):
        if group.startswith("flaky-"):
            _, cat, dialect, variant = group.split("-")
            spec = next(s for s in sim.world.flaky.values() if s.group == group)
            exc, tpl = flaky_template(spec.category, Dialect(dialect), int(variant))
            cause = "flaky"
            del cat
        elif group.startswith("outage-"):
            kind, dialect = group.removeprefix("outage-").rsplit("-", 1)
            exc, tpl = outage_template(OutageKind(kind), Dialect(dialect))
            cause = "outage"
        else:
            reg = h.regressions[group.removeprefix("regression-")]
            dialect_r = next(t.dialect for t in sim.world.tests if t.uid == reg.test_uids[0])
            exc, tpl = regression_template(dialect_r, int(reg.detail["template"]))
            tpl = _fill_fixed(tpl, {k: v for k, v in reg.detail.items() if k != "template"})
            cause = "regression"
        out.append({"id": group, "cause": cause, "exception": exc, "template": template_text(tpl),
                    "occurrences": counts[group]})
    return out


def build_truth(sim: Simulation, h: History, shas: dict[int, str], run_dirs: dict[str, str]) -> dict[str, Any]:
    """The ground-truth document of one project (``run_dirs``: run key → path relative to the project)."""
    world, cfg = sim.world, sim.cfg
    sha = shas.__getitem__
    counts: dict[str, int] = {}
    reg_runs: dict[str, list[str]] = {r: [] for r in h.regressions}
    vuln_runs: dict[str, list[str]] = {v.id: [] for v in sim.vulns}
    for run in h.runs:
        for f in h.failures[run.key].values():
            counts[f.group] = counts.get(f.group, 0) + 1
            if f.group.startswith("regression-"):
                rid = f.group.removeprefix("regression-")
                if not reg_runs[rid] or reg_runs[rid][-1] != run.key:
                    reg_runs[rid].append(run.key)
        if run.attempt == 1:
            for vid in run.vulns:
                vuln_runs[vid].append(run.key)
    by_uid = {t.uid: t for t in world.tests}
    regressions = [{
        "id": r.id, "source": r.source, "tests": list(r.test_ids), "inducing_commit": sha(r.inducing_mark),
        "fix_commit": sha(r.fix_mark) if r.fix_mark else None, "issue": r.issue, "group": r.group,
        "introduced_at": _iso(r.introduced_at), "fixed_at": _iso(r.fixed_at), "failing_runs": reg_runs[r.id],
    } for r in h.regressions.values()]
    bugs: list[dict[str, Any]] = [{"commit": sha(r.inducing_mark), "kind": "regression", "source": r.source, "issue": r.issue,
             "fix_commit": sha(r.fix_mark) if r.fix_mark else None} for r in h.regressions.values()]
    bugs += [{"commit": sha(b.inducing_mark), "kind": "latent", "source": b.source, "issue": b.issue or None,
              "fix_commit": sha(b.fix_mark) if b.fix_mark else None} for b in h.latent]
    if sim.real is not None:  # realistic_bugs: the lines carrying each bug, how its fix changed them
        planted: list[Regression | LatentBug] = [*h.regressions.values(), *h.latent]
        for b, src in zip(bugs, planted, strict=True):
            fix = src.fix_mark
            b["bug_lines"] = list(src.lines)
            b["fix_kind"] = sim.real.fix_kinds.get(fix) if fix else None
            if not b["issue"]:
                b["issue"] = None
    bug_shas = {b["commit"] for b in bugs}
    out = {
        "schema": SCHEMA,
        "project": world.name,
        "seed": cfg.seed,
        "window": {"start": _iso(sim.plan.start), "end": _iso(sim.plan.end)},
        "repo": "repo",
        "default_branch": "main",
        "tests": [{"id": t.test_id, "dialect": t.dialect.value, "classname": t.classname, "name": t.name,
                   "file": t.file, "modules": list(t.modules), "skipped": t.skip_reason} for t in world.tests],
        "flaky_tests": [{"test": by_uid[s.uid].test_id, "category": s.category.value, "rate": s.rate,
                         "environment": dict([s.environment]) if s.environment else None, "group": s.group}
                        for s in world.flaky.values()],
        "regressions": regressions,
        "bug_inducing_commits": sorted(bugs, key=lambda b: b["commit"]),
        "outages": [{"run": r.key, "kind": r.outage.kind.value, "share": round(r.outage.share, 3),
                     "groups": [f"{r.outage.group}-{d.value}" for d in Dialect], "host": r.outage.host} for r in h.runs if r.outage is not None],
        "renamed_tests": [{"old": o.test_id, "new": n.test_id, "commit": sha(m), "at": _iso(t)}
                          for o, n, m, t in h.renames],
        "removed_tests": [{"test": o.test_id, "commit": sha(m), "at": _iso(t)} for o, m, t in h.removals],
        "failure_groups": _groups(sim, h, counts),
        "vulnerabilities": [{
            "id": v.id, "ecosystem": v.ecosystem, "package": v.package, "installed": v.installed, "fixed": v.fixed,
            "severity": v.severity, "disclosed_at": _iso(v.disclosed_at), "via_new_dependency": v.via_new_dependency,
            "fix_commit": sha(v.fix_mark) if v.fix_mark else None, "fixed_at": _iso(v.fixed_at),
            "reported_in_runs": len(vuln_runs[v.id]),
            "first_run": vuln_runs[v.id][0] if vuln_runs[v.id] else None,
            "last_run": vuln_runs[v.id][-1] if vuln_runs[v.id] else None,
        } for v in sim.vulns],
        "commits": [{"sha": sha(c.mark), "kind": c.kind.value, "branch": c.branch, "author": c.author.email,
                     "time": _iso(c.time), "lines_added": c.lines_added, "lines_deleted": c.lines_deleted,
                     "bug_inducing": sha(c.mark) in bug_shas} for c in h.commits],
        "open_branches": h.open_branches,
        "runs": [{"key": r.key, "path": run_dirs[r.key], "run_id": r.run_id, "attempt": r.attempt,
                  "commit": sha(r.commit_mark), "branch": r.branch, "environment": r.environment,
                  "started_at": _iso(r.started_at), "outage": r.outage is not None,
                  "regressions": list(r.regressions),
                  "failed_tests": sum(f.final_failed for f in h.failures[r.key].values())} for r in h.runs],
    }
    if sim.real is not None:
        out["message_style"] = sim.real.style
        out["tracker"] = sim.real.tracker
    return out
