"""Realistic bug truth for SZZ and fix-detection evaluations (``SimConfig.realistic_bugs``).

Off by default: the simulator's historical output stays byte-identical. When on, every choice made
here draws from its own stream (``stream(seed, "bugs", project)``), and:

- a bug-inducing commit records the 1–3 lines it wrote that carry the bug (none when its edit only
  deleted lines: an omission, which only an added line can fix); 15 % of them are large
  (3× the planned size + 40–150 lines), half of those worded as refactorings;
- its fix rewrites (80 %) or deletes (20 %) those lines when they are still in the file, plus with
  40 % one or two nearby lines written by other commits, with 35 % one to three added lines (guards),
  with 50 % a test file, with 15 % an unrelated tidy-up of another source file; 12 % of the fixes
  (and every fix whose lines are gone) only add lines, which SZZ cannot blame (a real limit);
- each project writes one message style: ``apache`` (``PROJ-123. Summary``, rarely "fix"),
  ``github`` (``Fix #12``, ``(#12)``, no reference at all) or ``conventional``
  (``fix(scope): …``, ``feat(scope): …``); 10 % of other commits are confusers that say "fix" but
  are not bug fixes (typos, warnings, flaky tests, CVE bumps, reverts, formatting);
- a tracker is recorded (``truth["tracker"]``): bug issues (type ``Bug``; 8 % mistyped
  ``Improvement``, as Herzig et al. 2013 found in real trackers) and the issues feature and confuser
  commits name (``Improvement``/``New Feature``/``Task``; 3 % mistyped ``Bug``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argus.sim.code import _is_body, body_line, edit, helper_lines
from argus.sim.names import OBJECTS
from argus.sim.rng import stream
from argus.sim.world import test_file_content

if TYPE_CHECKING:
    from argus.sim.history import Simulation

STYLES = ("apache", "github", "conventional")
_FIELDS = ("total", "status", "owner", "timestamp", "currency", "quantity", "discount", "due date")
_BUGGY = ("returns wrong {f}", "crashes on missing {f}", "mishandles {f}", "drops {f} on retry")
_PLAIN = ("{f} not persisted after retry", "ignores {f} when empty", "double counts {f}",
          "should reject a negative {f}", "{f} off by one at month end", "NPE when {f} is null",
          "loses {f} on concurrent update", "{f} shown in the wrong time zone")
_CONFUSERS = (("docs", "Fix typo in {mod} docstring"), ("chore", "Fix compiler warnings in {mod}"),
              ("test", "Fix flaky test in {mod} tests"), ("style", "Fix checkstyle violations in {mod}"),
              ("chore(deps)", "Bump {dep} to 2.{n}.1 for CVE-2024-{cve}"), ("revert", 'Revert "{prev}"'),
              ("style", "Fix up {mod} formatting"), ("build", "Fix {mod} build on Windows"),
              ("chore", "Fixes for review comments in {mod}"), ("docs", "Fix the {mod} docs link"))
_DEPS = ("jackson-databind", "requests", "log4j-core", "urllib3", "netty-handler", "pyyaml")


def _iso(t: datetime) -> str:
    return t.isoformat()


class Realism:
    """Per-project state of the realistic bug truth (its own random stream, style and tracker)."""

    def __init__(self, sim: Simulation) -> None:
        cfg, name = sim.cfg, sim.world.name
        self.rng = stream(cfg.seed, "bugs", name)
        self.style = STYLES[(cfg.seed + sim.index) % len(STYLES)]
        self.prefix = "".join(ch for ch in name.split("-")[-1].upper() if ch.isalpha())[:4] or "PROJ"
        self.tracker: list[dict[str, Any]] = []
        self.last_feature = "Add handling"
        self.fix_kinds: dict[int, str] = {}  # fix mark → "change" | "add-only"

    # ------------------------------------------------------------- issues
    def key(self, n: int) -> str:
        return f"{self.prefix}-{n}" if self.style == "apache" else f"#{n}"

    def _issue(self, sim: Simulation, kind: str, created: datetime, resolved: datetime | None, title: str) -> int:
        n = sim.next_issue()
        if kind == "Bug":
            itype = "Improvement" if self.rng.random() < 0.08 else "Bug"
        else:
            itype = "Bug" if self.rng.random() < 0.03 else kind
        self.tracker.append({"key": self.key(n), "number": n, "type": itype, "created": _iso(created),
                             "resolved": _iso(resolved) if resolved else None, "summary": title,
                             "truth_bug": kind == "Bug"})
        return n

    # ------------------------------------------------------------- inducing commits
    def inducing_size(self, size: int) -> tuple[int, bool]:
        if self.rng.random() < 0.15:
            return size * 3 + self.rng.randint(40, 150), True
        return size, False

    def bug_lines(self, old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
        added = list((Counter(new) - Counter(old)).elements())
        cands = sorted({ln for ln in added if "=" in ln and ln.startswith("    ")})
        if not cands:
            return ()
        k = 1 + (self.rng.random() < 0.4) + (self.rng.random() < 0.15)
        return tuple(self.rng.sample(cands, min(k, len(cands))))

    # ------------------------------------------------------------- messages
    def feature_message(self, sim: Simulation, msg: str, module: str, t: datetime, planted: bool,
                        large: bool = False) -> str:
        rng = self.rng
        if large and rng.random() < 0.5:
            msg = f"Refactor {module}: extract {rng.choice(OBJECTS).replace('_', ' ')} handling"
        ctype = None
        if not planted and rng.random() < 0.10:
            ctype, tpl = rng.choice(_CONFUSERS)
            msg = tpl.format(mod=module, dep=rng.choice(_DEPS), n=rng.randint(1, 17), cve=rng.randint(1000, 49999),
                             prev=self.last_feature)
        else:
            self.last_feature = msg
        if self.style == "apache":
            if rng.random() < 0.85:
                kind = "Task" if ctype else rng.choice(("Improvement", "New Feature", "Task"))
                return f"{self.key(self._issue(sim, kind, t - timedelta(days=rng.uniform(0.5, 20)), t, msg))}. {msg}"
            return msg
        if self.style == "github":
            if rng.random() < 0.2:
                return f"{msg} (#{self._issue(sim, 'Improvement', t - timedelta(days=rng.uniform(0.5, 20)), t, msg)})"
            return msg
        if rng.random() < 0.1:
            return msg
        if ctype is None:
            first = msg.split()[0]
            ctype = {"Refactor": "refactor", "Document": "docs", "Tidy": "chore", "Speed": "perf"}.get(first, "feat")
            ctype += f"({module})"
        return f"{ctype}: {msg[0].lower()}{msg[1:]}"

    def fix_message(self, sim: Simulation, module: str, t: datetime, reported: datetime) -> str:
        rng = self.rng
        f = rng.choice(_FIELDS)
        buggy, plain = rng.choice(_BUGGY).format(f=f), rng.choice(_PLAIN).format(f=f)
        title = f"{module} {plain}"
        r = rng.random()
        if self.style == "apache":
            if r < 0.9:
                key = self.key(self._issue(sim, "Bug", reported, t, title))
                if r < 0.55:
                    return f"{key}. {module[0].upper()}{module[1:]} {plain}"
                if r < 0.8:
                    return f"{key}. Fix {f} handling in {module}"
                return f"{key}: {module} {buggy}"
            return f"Fix {module} that {buggy}" if r < 0.95 else f"{module}: {plain}"
        if self.style == "github":
            if r < 0.75:
                n = self._issue(sim, "Bug", reported, t, title)
                if r < 0.45:
                    return f"Fix #{n}: {module} {buggy}"
                if r < 0.6:
                    return f"{module}: handle empty {f} (#{n})"
                return f"Closes #{n}: {module} {plain}"
            return f"Fix {module} that {buggy}" if r < 0.9 else f"{module}: {plain}"
        n = self._issue(sim, "Bug", reported, t, title)
        if r < 0.6:
            return f"fix({module}): {buggy} (#{n})"
        if r < 0.75:
            return f"fix: {module} {buggy}"
        if r < 0.85:
            return f"refactor({module}): simplify {f} handling (#{n})"
        return f"{module}: {plain} (#{n})"

    # ------------------------------------------------------------- fixes
    def fix_edit(self, sim: Simulation, src: str, lines: tuple[str, ...],
                 touch_tests: bool) -> tuple[dict[str, str | None], int, int, str]:
        """Rewrite/delete the bug's lines (plus nearby lines, guards, a test, a tidy-up)."""
        rng, m = self.rng, sim.main
        info = sim.world.module_of[src]
        work = list(m.files[src])
        wanted = set(lines)
        present = [i for i, ln in enumerate(work) if ln in wanted]
        body = [i for i, ln in enumerate(work) if _is_body(ln, info.lang)]
        kind = "add-only" if not present or rng.random() < 0.12 else "change"
        anchor = present[0] if present else (rng.choice(body) if body else max(0, len(work) - 2))
        rewrite: set[int] = set()
        delete: set[int] = set()
        if kind == "change":
            for i in present:
                (rewrite if rng.random() < 0.8 else delete).add(i)
            if rng.random() < 0.4:
                near = [i for i in body if 0 < abs(i - anchor) <= 6 and i not in present]
                rewrite.update(rng.sample(near, min(len(near), rng.randint(1, 2))))
        inserts = [body_line(rng, info.lang) for _ in range(rng.randint(1, 3))] \
            if kind == "add-only" or rng.random() < 0.35 else []
        out: list[str] = []
        added = deleted = 0
        for i, ln in enumerate(work):
            if i in delete:
                deleted += 1
            elif i in rewrite:
                out.append(body_line(rng, info.lang))
                added += 1
                deleted += 1
            else:
                out.append(ln)
            if i == anchor and inserts:
                out.extend(inserts)
                added += len(inserts)
        m.files[src] = tuple(out)
        changes: dict[str, str | None] = {src: "\n".join(out)}
        tf = sim.test_file_of.get(src)
        if touch_tests and tf is not None and tf not in sim.locks:
            extra = helper_lines(rng, info.lang, info.module)
            m.extras[tf] = m.extras.get(tf, ()) + extra
            m.files[tf] = test_file_content(sim.world, [t for t in m.tests if t.file == tf], m.extras[tf])
            changes[tf] = "\n".join(m.files[tf])
            added += len(extra)
        if rng.random() < 0.15:
            free = [s.path for s in sim.world.sources if s.path != src and s.path not in sim.locks]
            if free:
                other = rng.choice(free)
                o = sim.world.module_of[other]
                new, a, d = edit(rng, m.files[other], o.lang, o.module, rng.randint(1, 3), small_fix=True)
                m.files[other] = new
                changes[other] = "\n".join(new)
                added, deleted = added + a, deleted + d
        return changes, added, deleted, kind
