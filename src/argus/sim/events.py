"""Planted events of the timeline: regressions and their fixes, latent bugs, test renames and
removals, dependency additions and security bumps. Functions take the running Simulation."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argus.sim.config import SimConfig
from argus.sim.manifests import bump_version, ci_workflow, pom_xml, readme, requirements_txt
from argus.sim.model import (
    Author,
    Commit,
    CommitKind,
    Dialect,
    LatentBug,
    Regression,
    TestSpec,
    Vulnerability,
)
from argus.sim.names import (
    JAVA_DEPENDENCIES,
    OBJECTS,
    PY_DEPENDENCIES,
    SEVERITIES,
    VERBS,
    VULN_TITLES,
    base_verb,
    camel,
)
from argus.sim.outcomes import regression_detail
from argus.sim.plan import Plan
from argus.sim.rng import poisson
from argus.sim.world import World, test_file_content

if TYPE_CHECKING:
    from argus.sim.history import Simulation

DEPENDABOT = Author("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", "dependabot",
                    0, 12.0, 1.0, 1.0, 0.0, 0.0, 0.0)
MANIFEST = {"pip": "requirements.txt", "maven": "java/pom.xml"}
_FEATURE = ("Add {obj} handling to {mod}", "Refactor {mod}: extract {verb} helper", "Improve {mod} error messages",
            "Support {obj} in {mod}", "Tidy up {mod} logging", "Speed up {mod} lookups", "Handle {obj} in {mod}",
            "Make {mod} {verb} configurable", "Validate {obj} in {mod}", "Document {mod} edge cases")
_FIX_PHRASES = ("returns wrong {field}", "crashes on missing {field}", "mishandles {field}", "drops {field} on retry")


def feature_message(rng: random.Random, module: str) -> str:
    return rng.choice(_FEATURE).format(obj=rng.choice(OBJECTS).replace("_", " "), mod=module,
                                       verb=base_verb(rng.choice(VERBS)))


def _author(sim: Simulation) -> Author:
    return sim.rng.choices(sim.world.authors, [a.weight for a in sim.world.authors])[0]


def initial_commit(sim: Simulation) -> None:
    w, m = sim.world, sim.main
    m.files["requirements.txt"] = requirements_txt(m.deps["pip"])
    m.files["java/pom.xml"] = pom_xml(w.profile, m.deps["maven"])
    m.files["README.md"] = readme(w.profile)
    m.files[".github/workflows/ci.yml"] = ci_workflow()
    changes: dict[str, str | None] = {p: "\n".join(v) for p, v in sorted(m.files.items())}
    t = sim.plan.start - timedelta(days=1) + timedelta(hours=9)
    added = sum(len(v) for v in m.files.values())
    sim.commit(CommitKind.INITIAL, w.authors[0], t, f"Initial import of {w.name}", changes, added=added)


def _wait_for_lock(sim: Simulation, t: datetime, path: str, kind: str, payload: object) -> bool:
    """If ``path`` is locked by an open branch, requeue the event after its merge; True when deferred."""
    br = sim.locks.get(path)
    if br is None:
        return False
    merge = br.plan.merge_at
    if merge is not None and merge + timedelta(minutes=45) < sim.plan.end:
        sim.push(max(merge, t) + timedelta(minutes=sim.rng.uniform(10, 40)), kind, payload)
    return True


def plant_regression(sim: Simulation, c: Commit, src: str, lines: tuple[str, ...] = ()) -> None:
    """Make ``c`` break 1–4 tests covering ``src`` (on main) and schedule the fix after a few runs."""
    rng, main = sim.rng, sim.main
    broken = {u for r in main.regressions for u in sim.h.regressions[r].test_uids}
    cands = [t for t in main.tests if src in t.modules and t.skip_reason is None and t.uid not in broken
             and t.uid not in sim.world.flaky]
    if not cands:
        return
    chosen = sorted(rng.sample(cands, min(len(cands), 1 + poisson(rng, 1.2))), key=lambda t: t.uid)
    rid = f"REG-{len(sim.h.regressions) + 1:03d}"
    module = sim.world.module_of[src].module
    reg = Regression(rid, src, tuple(t.uid for t in chosen), c.mark, sim.next_issue(), f"regression-{rid}",
                     regression_detail(rng, chosen[0], module), introduced_at=c.time,
                     test_ids=tuple(t.test_id for t in chosen), lines=lines)
    sim.h.regressions[rid] = reg
    main.regressions = (*main.regressions, rid)
    sim.force_main = True
    fix_t = sim.fix_time(c.time)
    if fix_t is not None:
        sim.push(fix_t, "fix", reg)


def on_fix(sim: Simulation, t: datetime, reg: Regression) -> None:
    if _wait_for_lock(sim, t, reg.source, "fix", reg):
        return
    m = sim.main
    module = sim.world.module_of[reg.source].module
    if sim.real is not None:
        changes, a, d, kind = sim.real.fix_edit(sim, reg.source, reg.lines, sim.real.rng.random() < 0.5)
        assert reg.introduced_at is not None
        reported = min(reg.introduced_at + timedelta(hours=sim.real.rng.uniform(0.5, 3)), t - timedelta(minutes=5))
        msg = sim.real.fix_message(sim, module, t, reported)
        reg.issue = sim.real.tracker[-1]["number"] if msg_names_issue(sim, msg) else 0
    else:
        changes, a, d = sim.edit_files([reg.source], sim.rng.randint(2, 12), m.files, m.covered, m.extras, m.tests,
                                       sim.rng.random() < 0.5, small_fix=True)
        phrase = sim.rng.choice(_FIX_PHRASES).format(field=reg.detail["field"])
        msg = f"Fix #{reg.issue}: {module} {phrase}\n\nRegression caught by CI ({len(reg.test_uids)} failing tests)."
    c = sim.commit(CommitKind.FIX, _author(sim), t, msg, changes, added=a, deleted=d)
    reg.fix_mark, reg.fixed_at = c.mark, t
    if sim.real is not None:
        sim.real.fix_kinds[c.mark] = kind
    m.regressions = tuple(r for r in m.regressions if r != reg.id)


def msg_names_issue(sim: Simulation, msg: str) -> bool:
    """Realistic mode: whether the fix message just written names the bug issue recorded last."""
    assert sim.real is not None
    last = sim.real.tracker[-1] if sim.real.tracker else None
    return last is not None and last["type"] in ("Bug", "Improvement") and last["truth_bug"] \
        and last["key"] in msg


def plant_latent(sim: Simulation, commit: Commit, src: str, on_main_at: datetime,
                 lines: tuple[str, ...] = ()) -> None:
    """Record ``commit`` as bug-inducing (no test notices); a fix referencing an issue follows days later."""
    bug = LatentBug(commit.mark, src, 0, lines=lines)
    sim.h.latent.append(bug)
    fix_t = max(on_main_at, commit.time) + timedelta(days=sim.rng.uniform(1.5, 7.0))
    if fix_t < sim.plan.end:
        sim.push(fix_t, "latent_fix", bug)


def on_latent_fix(sim: Simulation, t: datetime, bug: LatentBug) -> None:
    if _wait_for_lock(sim, t, bug.source, "latent_fix", bug):
        return
    m = sim.main
    if sim.real is not None:
        changes, a, d, kind = sim.real.fix_edit(sim, bug.source, bug.lines, sim.real.rng.random() < 0.6)
        induced = sim.h.commits[bug.inducing_mark - 1].time
        reported = max(induced + timedelta(minutes=30), t - timedelta(days=sim.real.rng.uniform(0.1, 3)))
        msg = sim.real.fix_message(sim, sim.world.module_of[bug.source].module, t, min(reported, t))
        bug.issue = sim.real.tracker[-1]["number"] if msg_names_issue(sim, msg) else 0
        c = sim.commit(CommitKind.FIX, _author(sim), t, msg, changes, added=a, deleted=d)
        bug.fix_mark = c.mark
        sim.real.fix_kinds[c.mark] = kind
        return
    changes, a, d = sim.edit_files([bug.source], sim.rng.randint(2, 20), m.files, m.covered, m.extras, m.tests,
                                   sim.rng.random() < 0.6, small_fix=True)
    bug.issue = sim.next_issue()
    module = sim.world.module_of[bug.source].module
    phrase = sim.rng.choice(_FIX_PHRASES).format(field=sim.rng.choice(("total", "status", "owner", "timestamp")))
    style = sim.rng.random()
    if style < 0.7:
        msg = f"Fix #{bug.issue}: {module} {phrase}"
    elif style < 0.85:
        msg = f"{module}: stop it when it {phrase} (fixes #{bug.issue})"
    else:
        msg = f"Resolve #{bug.issue} - {module} {phrase}"
    c = sim.commit(CommitKind.FIX, _author(sim), t, msg + "\n\nReported from production.", changes, added=a, deleted=d)
    bug.fix_mark = c.mark


def schedule_test_changes(sim: Simulation) -> None:
    span = (sim.plan.end - sim.plan.start).total_seconds()
    for kind, n in (("rename", sim.cfg.renames), ("remove", sim.cfg.removals)):
        for _ in range(n):
            sim.push(sim.plan.start + timedelta(seconds=span * sim.rng.uniform(0.2, 0.85)), kind, None)


def _stable_candidates(sim: Simulation) -> list[TestSpec]:
    m = sim.main
    broken = {u for r in m.regressions for u in sim.h.regressions[r].test_uids}
    changed = {o.uid for o, *_ in sim.h.renames}
    return [t for t in m.tests if not sim.world.test_params.get(t.uid) and t.uid not in sim.world.flaky
            and t.uid not in broken and t.uid not in changed and t.skip_reason is None and t.file not in sim.locks]


def _rewrite_test_file(sim: Simulation, file: str) -> dict[str, str | None]:
    m = sim.main
    remaining = [t for t in m.tests if t.file == file]
    if not remaining:
        m.files.pop(file, None)
        return {file: None}
    m.files[file] = test_file_content(sim.world, remaining, m.extras.get(file, ()))
    return {file: "\n".join(m.files[file])}


def on_rename(sim: Simulation, t: datetime, _: object) -> None:
    cands = _stable_candidates(sim)
    if not cands:
        return
    old = sim.rng.choice(cands)
    taken = {x.function for x in sim.main.tests if x.file == old.file}
    while True:
        base = f"{sim.rng.choice(VERBS)}_{sim.rng.choice(OBJECTS)}"
        fn = f"test_{base}" if old.dialect is Dialect.PYTEST else camel(base)
        if fn not in taken:
            break
    test_id = f"{old.file}::{fn}" if old.dialect is Dialect.PYTEST else f"{old.classname}.{fn}"
    new = replace(old, test_id=test_id, name=fn, function=fn)
    sim.main.tests = tuple(new if x.uid == old.uid else x for x in sim.main.tests)
    changes = _rewrite_test_file(sim, old.file)
    msg = f"Rename {old.function} to {fn}\n\nThe old name no longer described what the test checks."
    c = sim.commit(CommitKind.TEST_RENAME, _author(sim), t, msg, changes, added=1, deleted=1)
    sim.h.renames.append((old, new, c.mark, t))


def on_remove(sim: Simulation, t: datetime, _: object) -> None:
    cands = _stable_candidates(sim)
    if not cands:
        return
    old = sim.rng.choice(cands)
    sim.main.tests = tuple(x for x in sim.main.tests if x.uid != old.uid)
    changes = _rewrite_test_file(sim, old.file)
    msg = f"Remove obsolete test {old.function}\n\nThe behaviour it checked was removed."
    c = sim.commit(CommitKind.TEST_REMOVE, _author(sim), t, msg, changes, deleted=5)
    sim.h.removals.append((old, c.mark, t))


def plan_vulnerabilities(cfg: SimConfig, world: World, plan: Plan, rng: random.Random) -> list[Vulnerability]:
    """Advisories: a few known before the window, others disclosed during it, some via new dependencies."""
    span = plan.end - plan.start
    count = max(1, poisson(rng, cfg.vulns_per_week * cfg.days / 7))
    pre = 1 + (count > 3)
    deps = {"pip": dict(world.py_deps), "maven": dict(world.java_deps)}
    spare = {"pip": [p for p in PY_DEPENDENCIES if p[0] not in deps["pip"]],
             "maven": [p for p in JAVA_DEPENDENCIES if p[0] not in deps["maven"]]}
    used: set[str] = set()
    ids: set[str] = set()
    out: list[Vulnerability] = []
    for i in range(pre + count):
        eco = "pip" if rng.random() < 0.6 else "maven"
        new_dep = i >= pre and rng.random() < 0.25 and any(p[0] not in used for p in spare[eco])
        pool = [p for p in spare[eco] if p[0] not in used] if new_dep else \
            [p for p in sorted(deps[eco].items()) if p[0] not in used]
        if not pool:
            continue
        pkg, version = rng.choice(pool)
        used.add(pkg)
        while (vid := f"CVE-2099-{rng.randint(10000, 99999)}") in ids:
            pass
        ids.add(vid)
        added_at = plan.start + span * rng.uniform(0.1, 0.8) if new_dep else None
        if i < pre:
            disclosed = plan.start - timedelta(days=rng.uniform(5, 60))
        elif added_at is not None:
            disclosed = added_at - timedelta(days=rng.uniform(5, 200))
        else:
            disclosed = plan.start + span * rng.uniform(0.05, 0.95)
        severity = rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]
        v = Vulnerability(vid, eco, pkg, version, bump_version(version, rng), severity, rng.choice(VULN_TITLES),
                          disclosed, via_new_dependency=new_dep, added_at=added_at)
        if rng.random() < cfg.vuln_fix_share:
            fix_at = max(disclosed, added_at or plan.start) + timedelta(days=rng.uniform(1, 12))
            v.planned_fix_at = fix_at if fix_at < plan.end else None
        out.append(v)
    return out


def schedule_vulnerability_commits(sim: Simulation) -> None:
    for v in sim.vulns:
        if v.added_at is not None:
            sim.push(v.added_at, "adddep", v)
        if v.planned_fix_at is not None:
            sim.push(v.planned_fix_at, "bump", v)


def _manifest_change(sim: Simulation, eco: str) -> dict[str, str | None]:
    m = sim.main
    lines = requirements_txt(m.deps["pip"]) if eco == "pip" else pom_xml(sim.world.profile, m.deps["maven"])
    m.files[MANIFEST[eco]] = lines
    return {MANIFEST[eco]: "\n".join(lines)}


def on_add_dependency(sim: Simulation, t: datetime, v: Vulnerability) -> None:
    sim.main.deps[v.ecosystem][v.package] = v.installed
    purpose = sim.rng.choice(("report exports", "the partner API client", "config parsing", "image thumbnails"))
    sim.commit(CommitKind.ADD_DEPENDENCY, _author(sim), t, f"Add {v.package} {v.installed} for {purpose}",
               _manifest_change(sim, v.ecosystem), added=1)


def on_bump(sim: Simulation, t: datetime, v: Vulnerability) -> None:
    deps = sim.main.deps[v.ecosystem]
    if deps.get(v.package) != v.installed:
        return
    deps[v.package] = v.fixed
    msg = f"Bump {v.package} from {v.installed} to {v.fixed}\n\nBumps {v.package} from {v.installed} to {v.fixed}."
    c = sim.commit(CommitKind.BUMP, DEPENDABOT, t, msg, _manifest_change(sim, v.ecosystem), added=1, deleted=1)
    v.fix_mark, v.fixed_at = c.mark, t
