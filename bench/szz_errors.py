"""Sort the wrong bug-inducing labels of one simulated project by cause (issue 23 diagnosis).

    .venv/bin/python bench/szz_errors.py SIM_OUT/PROJECT [tracker|message] [ARGUS_GIT__X=V ...]

SIM_OUT/PROJECT is a folder written by ``argus.sim.simulate`` with ``realistic_bugs`` and the tracker
export of ``bench/eval_szz.py`` (``issues.csv`` or ``issues.json``). Ingests it through the real CLI
into a temporary SQLite database, then prints: false bug-inducing commits by cause (blamed by a true
or a false fix, classic or context link) and half of the history, missed ones by reason, and the
false fixes with their size.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

CODE = "import sys; from argus.cli.app import main; sys.exit(main(sys.argv[1:]))"


def main(argv: list[str]) -> int:
    pdir = Path(argv[0])
    mode = argv[1] if len(argv) > 1 else "tracker"
    extra = dict(e.split("=", 1) for e in argv[2:])
    truth = json.loads((pdir / "ground_truth.json").read_text())
    tmp = Path(tempfile.mkdtemp(prefix="szz-errors-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_GIT__", "ARGUS_ISSUES__"))}
    env.update({"ARGUS_DATABASE_URL": f"sqlite:///{tmp}/e.db", "ARGUS_HOME": str(tmp), **extra})

    def cli(*args: str) -> None:
        out = subprocess.run([sys.executable, "-c", CODE, *args], capture_output=True, text=True, cwd=tmp, env=env)
        if out.returncode != 0:
            raise SystemExit(out.stderr)

    cli("db", "upgrade")
    if mode == "tracker":
        export = pdir / ("issues.csv" if (pdir / "issues.csv").exists() else "issues.json")
        cli("ingest", "issues", str(export), "-p", "e", "--json")
    cli("ingest", "git", "--repo", str(pdir / "repo"), "-p", "e", "--json")
    db = sqlite3.connect(tmp / "e.db")
    cols = [r[1] for r in db.execute("pragma table_info('commit')")]
    commits = {r[cols.index("id")]: dict(zip(cols, r, strict=True)) for r in db.execute("select * from 'commit'")}
    for cid, la, ld, nf in db.execute("select commit_id, sum(lines_added), sum(lines_deleted), count(*) "
                                      "from commit_file group by commit_id"):
        commits[cid].update(la=la, ld=ld, nf=nf)
    sha_of = {i: c["sha"] for i, c in commits.items()}
    links = db.execute("select fix_commit_id, inducing_commit_id, path, lines, method from bug_link").fetchall()
    kind = {c["sha"]: c["kind"] for c in truth["commits"]}
    order = [c["sha"] for c in sorted((c for c in commits.values() if not c["is_merge"]),
                                      key=lambda c: c["committer_time"])]
    older = set(order[: len(order) // 2])
    fix_truth = {c["sha"] for c in truth["commits"] if c["kind"] == "fix"}
    bugs = {b["commit"]: b for b in truth["bug_inducing_commits"] if b.get("fix_commit")}
    predicted = {sha_of[link[1]] for link in links}
    print("style", truth["message_style"], "commits", len(order), "truth", len(bugs), "predicted", len(predicted),
          "right", len(predicted & set(bugs)))
    causes: Counter[str] = Counter()
    for sha in predicted - set(bugs):
        by = {("true fix" if sha_of[f] in fix_truth else "false fix") + " / " + m
              for f, i, _, _, m in links if sha_of[i] == sha}
        causes[" + ".join(sorted(by))] += 1
        causes["older half" if sha in older else "newer half"] += 1
        causes[f"kind {kind.get(sha)}"] += 1
    print("false bug-inducing commits:", dict(causes))
    fixes = {c["sha"] for c in commits.values() if c["is_fix"]}
    missed: Counter[tuple[str, str, str]] = Counter()
    for sha, bug in bugs.items():
        if sha in predicted:
            continue
        fix = bug["fix_commit"]
        reason = ("fix not detected" if fix not in fixes else
                  "fix blamed other commits" if any(sha_of[f] == fix for f, *_ in links) else "fix gave no link")
        missed[(reason, str(bug.get("fix_kind")), "older" if sha in older else "newer")] += 1
    print("missed:", sorted(missed.items()))
    for c in commits.values():
        if c["is_fix"] and c["sha"] not in fix_truth:
            n = sum(1 for f, *_ in links if f == c["id"])
            print("false fix", c["sha"][:8], kind.get(c["sha"]), f"+{c.get('la')} -{c.get('ld')} files {c.get('nf')}",
                  repr(c["message"].splitlines()[0][:70]), "links", n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
