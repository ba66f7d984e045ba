"""Error analysis of SZZ bug-inducing labels on simulator seeds: every false positive with the fix that
blamed it, every false negative with what happened to its fix (missed, no link, linked elsewhere).

    .venv/bin/python bench/szz_errors_seeds.py --seeds 1 2 3 4 5 [--env ARGUS_GIT__SZZ_PICK=all ...] [--message]

Worlds are simulated once into ``--work`` (default ``$TMPDIR/argus-szz-errors``) and reused; each run
ingests them through the real CLI (tracker export first, unless ``--message``), prints precision and
recall per project and pooled, and writes the error records as JSON (``--out``). Used to choose the
fourth round of SZZ rules (issue 23) on seeds 1-5 only (``bench/szz_errors.py``: one project, by cause).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval_szz as ev


def worlds(work: Path, seed: int, days: int = 60, projects: int = 2) -> list[Path]:
    out = work / f"seed{seed}"
    if not (out / "done").exists():
        from argus.sim import scale_config, simulate

        cfg = scale_config("default", seed=seed, days=days, projects=projects).replace(realistic_bugs=True)
        list(simulate(cfg, out, scale="default"))
        (out / "done").write_text("1")
    return sorted(p for p in out.iterdir() if p.is_dir())


def ingest(pdir: Path, tracker: bool, env: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list]:
    """Ingest one world; its truth, the stored commits by sha and the links (fix, inducing, path, lines, method)."""
    truth = json.loads((pdir / "ground_truth.json").read_text())
    export = ev.tracker_export(truth, pdir)
    with tempfile.TemporaryDirectory(prefix="argus-szz-errors-") as tmp:
        cli = ev.Cli(Path(tmp), None, env)
        if tracker:
            cli("ingest", "issues", str(export), "-p", "eval", "--json")
        cli("ingest", "git", "--repo", str(pdir / "repo"), "-p", "eval", "--json")
        db = sqlite3.connect(f"{tmp}/eval.db")
        by_id = {r[0]: {"sha": r[1], "fix": bool(r[2]), "src": r[3], "merge": bool(r[4]), "msg": r[5]}
                 for r in db.execute("select id, sha, is_fix, fix_source, is_merge, message from 'commit'")}
        links = [(by_id[f]["sha"], by_id[i]["sha"], p, json.loads(lines), m) for f, i, p, lines, m in db.execute(
            "select fix_commit_id, inducing_commit_id, path, lines, method from bug_link")]
        db.close()
    return truth, {c["sha"]: c for c in by_id.values()}, links


def errors(key: str, truth: dict[str, Any], commits: dict[str, dict[str, Any]], links: list) -> tuple[list, int, int, int]:
    kinds = {c["sha"]: c["kind"] for c in truth["commits"]}
    fixed = [b for b in truth["bug_inducing_commits"] if b.get("fix_commit")]
    bugs = {b["commit"] for b in fixed}
    universe = {s for s, c in commits.items() if not c["merge"]}
    pred = {link[1] for link in links} & universe
    tp, fp, fn = pred & bugs, pred - bugs, bugs - pred

    def of_fix(fix: str) -> list:
        return [(x[1][:8], x[2], x[3], x[4]) for x in links if x[0] == fix]

    out: list[dict[str, Any]] = []
    for s in sorted(fp):
        out.append({"key": key, "type": "FP", "sha": s, "kind": kinds.get(s), "msg": commits[s]["msg"][:80], "links": [
            {"fix": x[0], "fix_kind": kinds.get(x[0]), "fix_msg": commits[x[0]]["msg"][:80],
             "fix_src": commits[x[0]]["src"], "path": x[2], "lines": x[3], "method": x[4],
             "true_inducing_of_fix": [b["commit"] for b in fixed if b["fix_commit"] == x[0]],
             "fix_links": of_fix(x[0])} for x in links if x[1] == s]})
    for s in sorted(fn):
        for b in (b for b in fixed if b["commit"] == s):
            f = commits.get(b["fix_commit"], {})
            cause = "fix missed" if not f.get("fix") else ("no link" if not of_fix(b["fix_commit"]) else "linked elsewhere")
            out.append({"key": key, "type": "FN", "sha": s, "cause": cause, "bug_kind": b["kind"],
                        "fix_kind": b.get("fix_kind"), "source": b["source"], "bug_lines": b.get("bug_lines"),
                        "fix": b["fix_commit"], "fix_src": f.get("src"), "fix_msg": f.get("msg", "")[:80],
                        "fix_links": of_fix(b["fix_commit"])})
    return out, len(tp), len(fp), len(fn)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3, 4, 5])
    ap.add_argument("--env", action="append", default=[], help="ARGUS_...=VALUE settings of the ingest.")
    ap.add_argument("--message", action="store_true", help="No tracker: messages alone decide the fixes.")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "argus-szz-errors")
    ap.add_argument("--out", type=Path, default=ev.RESULTS / "szz_errors_seeds.json")
    a = ap.parse_args(argv)
    env = dict(e.split("=", 1) for e in a.env)
    records: list[dict[str, Any]] = []
    total = [0, 0, 0]
    for seed in a.seeds:
        for pdir in worlds(a.work, seed):
            key = f"{pdir.name}@{seed}"
            truth, commits, links = ingest(pdir, not a.message, env)
            recs, tp, fp, fn = errors(key, truth, commits, links)
            records += recs
            total = [total[0] + tp, total[1] + fp, total[2] + fn]
            print(f"{key}: P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f} tp {tp} fp {fp} fn {fn} "
                  f"style {truth.get('message_style')}", flush=True)
    tp, fp, fn = total
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    print(f"POOLED P {p:.3f} R {r:.3f} F1 {2 * p * r / max(1e-9, p + r):.3f} tp {tp} fp {fp} fn {fn}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
