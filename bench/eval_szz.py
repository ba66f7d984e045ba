"""Evaluate fix detection and SZZ bug-inducing labels, with and without an issue tracker.

Two sources of truth:

1. **The simulator's planted bugs** (``argus.sim``): every project's ground truth names the fix
   commits, the bug-inducing commits and the issue number each fix references. The tracker export
   is built from that truth as ``gh issue list --json`` prints it (bug issues labelled ``bug``; a
   regression's issue created when CI first failed on it, a latent bug's one hour before its fix), plus as many non-bug issues (label ``enhancement``) whose
   numbers feature commits mention ("Support X in Y (#N)" is not in the simulator's vocabulary, so
   they only exercise the importer). Each project is ingested through the real CLI three ways:
   ``keywords`` (Argus before issue 23, from ``--before-src`` when given), ``message`` (no tracker)
   and ``tracker`` (``argus ingest issues`` first). Figures per project and pooled, on the older and
   the newer half of each history (time-ordered split: nothing is fitted on either, the halves show
   whether the rules hold on later history), against the size-only rule "lines added above the
   median" fitted on the older half and applied to the newer half.
2. **The ISSTA'21 JIT dataset** (``../shared/datasets/jit``, path ``--jit-dir`` or ``ARGUS_DATASETS``):
   commit ids, dates, Kamei features, ``fix`` and ``bug`` labels — but no messages and no
   repositories. Argus's labels can be compared only with a local clone (``--jit-repo qt=PATH``);
   without one the comparison is skipped with a message, and only the size-only baselines are
   measured (time-ordered 50/50 split), which is the bar the issue sets for message-only labels.

    .venv/bin/python bench/eval_szz.py [--seeds 1 2 3] [--days 150] [--before-src /tmp/argus-main/src]

Prints a table; writes bench/results/eval_szz.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def prf(predicted: set[str], truth: set[str], universe: Iterable[str]) -> dict[str, float]:
    """Precision, recall and F1 of ``predicted`` against ``truth`` within ``universe``."""
    u = set(universe)
    p, t = predicted & u, truth & u
    tp = len(p & t)
    precision = tp / len(p) if p else 0.0
    recall = tp / len(t) if t else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "tp": tp,
            "predicted": len(p), "truth": len(t), "n": len(u)}


def datasets_dir(arg: str | None) -> Path | None:
    for cand in [arg, os.environ.get("ARGUS_DATASETS"), ROOT.parent / "shared" / "datasets",
                 ROOT.parents[1] / "shared" / "datasets"]:
        if cand and Path(cand).is_dir():
            return Path(cand)
    return None


class Cli:
    """The real ``argus`` CLI on a fresh SQLite database (optionally another Argus source tree)."""

    def __init__(self, tmp: Path, src: Path | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, "ARGUS_DATABASE_URL": f"sqlite:///{tmp}/eval.db", "ARGUS_HOME": str(tmp)}
        self.env = {k: v for k, v in self.env.items() if not k.startswith(("ARGUS_GIT__", "ARGUS_ISSUES__"))}
        self.env.update(extra_env or {})
        if src is not None:
            self.env["PYTHONPATH"] = str(src)
        self.tmp = tmp
        self("db", "upgrade")

    def __call__(self, *args: str) -> Any:
        code = "import sys; from argus.cli.app import main; sys.exit(main(sys.argv[1:]))"
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=self.tmp,
                             env=self.env)
        if out.returncode != 0:
            raise RuntimeError(f"argus {' '.join(args)}: {out.stderr.strip()}")
        return json.loads(out.stdout) if "--json" in args else None


def gh_issues(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The tracker as ``gh issue list --json number,title,labels,state,createdAt,closedAt`` prints it."""
    times = {c["sha"]: c["time"] for c in truth["commits"]}
    from datetime import datetime, timedelta

    run_started = {r["key"]: r["started_at"] for r in truth["runs"]}
    first_failure = {r["issue"]: min((run_started[k] for k in r["failing_runs"] if k in run_started), default=None)
                     for r in truth["regressions"]}
    out = []
    for bug in truth["bug_inducing_commits"]:
        if bug.get("issue") is None or not bug.get("fix_commit"):
            continue
        fixed = datetime.fromisoformat(times[bug["fix_commit"]])
        # a regression is reported when CI first fails on it; a latent bug an hour before its fix
        created = first_failure.get(bug["issue"]) or (fixed - timedelta(hours=1)).isoformat()
        out.append({"number": bug["issue"], "title": f"{bug['kind']} in {bug['source']}",
                    "labels": [{"name": "bug"}], "state": "CLOSED", "createdAt": created,
                    "closedAt": fixed.isoformat()})
    used = {i["number"] for i in out}
    extra = [n for n in range(1, 100) if n not in used][: len(out)]
    out += [{"number": n, "title": "feature request", "labels": [{"name": "enhancement"}], "state": "OPEN",
             "createdAt": truth["commits"][0]["time"], "closedAt": None} for n in extra]
    return out


def run_mode(mode: str, repo: Path, issues: Path | None, before_src: Path | None,
             extra_env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Ingest ``repo`` one way; per sha: fix flag, fix source, bug-inducing flag, lines added, time.

    ``mode`` is ``keywords``, ``message`` or ``tracker``, optionally ``+VARIANT`` (settings in ``extra_env``).
    """
    mode = mode.split("+", 1)[0]
    with tempfile.TemporaryDirectory(prefix="argus-eval-szz-") as tmp:
        cli = Cli(Path(tmp), before_src if mode == "keywords" else None, extra_env)
        if mode == "tracker" and issues is not None:
            cli("ingest", "issues", str(issues), "-p", "eval", "--json")
        result = cli("ingest", "git", "--repo", str(repo), "-p", "eval", "--json")
        rows = cli("changes", "list", "-p", "eval", "--all", "--limit", "100000", "--json")
    out = {r["sha"]: {"fix": r["is_fix"], "source": r.get("fix_source"), "inducing": r["fixed_later"] > 0,
                      "la": r["lines_added"], "merge": r["is_merge"], "time": r["committer_time"]} for r in rows}
    out["__seconds__"] = {"total": result["seconds"]["total"]}
    return out


def size_rule(train: list[dict[str, Any]], test: list[dict[str, Any]], q: float = 0.5) -> set[str]:
    """Commits of ``test`` whose lines added exceed the ``q`` quantile of ``train`` (0.5: the median)."""
    if not train:
        return {r["sha"] for r in test}
    values = sorted(r["la"] for r in train)
    cut = values[min(len(values) - 1, int(q * len(values)))] if q != 0.5 else statistics.median(values)
    return {r["sha"] for r in test if r["la"] > cut}


SIZE_QUANTILES = (0.5, 0.6, 0.7, 0.8, 0.9)


def tracker_export(truth: dict[str, Any], pdir: Path) -> Path:
    """The tracker recorded by ``realistic_bugs`` as its project would export it: a Jira CSV for
    Apache-style keys, ``gh issue list --json`` otherwise; the old truth gets :func:`gh_issues`."""
    if "tracker" not in truth:
        path = pdir / "issues.json"
        path.write_text(json.dumps(gh_issues(truth)))
        return path
    if truth["message_style"] == "apache":
        path = pdir / "issues.csv"
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["Summary", "Issue key", "Issue Type", "Status", "Created", "Resolved", "Priority"])
            for i in truth["tracker"]:
                w.writerow([i["summary"], i["key"], i["type"], "Resolved", i["created"][:16].replace("T", " "),
                            (i["resolved"] or "")[:16].replace("T", " "), "Major"])
        return path
    path = pdir / "issues.json"
    path.write_text(json.dumps([{"number": i["number"], "title": i["summary"],
                                 "labels": [{"name": "bug" if i["type"] == "Bug" else "enhancement"}],
                                 "state": "CLOSED", "createdAt": i["created"], "closedAt": i["resolved"]}
                                for i in truth["tracker"]]))
    return path


def _add(bucket: dict[str, set[str]], key: str, pred: set[str], truth: set[str], shas: Iterable[str]) -> None:
    shas = set(shas)
    bucket.setdefault("pred", set()).update(f"{key}:{s}" for s in pred & shas)
    bucket.setdefault("truth", set()).update(f"{key}:{s}" for s in truth & shas)
    bucket.setdefault("u", set()).update(f"{key}:{s}" for s in shas)


def evaluate_sim(args: argparse.Namespace) -> dict[str, Any]:
    from argus.sim import scale_config, simulate

    modes = ["message", "tracker"] + (["keywords"] if args.before_src else [])
    variants: dict[str, dict[str, str]] = {}
    for spec in args.variant:  # NAME:ENV=VALUE,ENV=VALUE
        name, _, envs = spec.partition(":")
        variants[name] = dict(e.split("=", 1) for e in envs.split(",") if e)
    modes += [f"{m}+{v}" for v in variants for m in ("message", "tracker")]
    projects: dict[str, Any] = {}
    data: dict[str, Any] = {}  # key → seed, rows per mode, truths
    with tempfile.TemporaryDirectory(prefix="argus-eval-sim-") as tmp:
        for seed in args.seeds:
            out = Path(tmp) / f"seed{seed}"
            cfg = scale_config("default", seed=seed, days=args.days, projects=args.projects)
            cfg = cfg.replace(realistic_bugs=not args.toy_bugs)
            for summary in simulate(cfg, out, scale="default"):
                pdir = out / summary.name
                truth = json.loads((pdir / "ground_truth.json").read_text())
                export = tracker_export(truth, pdir)
                key = f"{summary.name}@{seed}"
                main = [c for c in truth["commits"] if c["kind"] != "merge"]
                fix_truth = {c["sha"] for c in main if c["kind"] == "fix"}
                fixed = [b for b in truth["bug_inducing_commits"] if b.get("fix_commit")]
                fixed_bugs = {b["commit"] for b in fixed}
                per: dict[str, Any] = {"style": truth.get("message_style", "toy"),
                                       "fix_kinds": _count(b.get("fix_kind") for b in fixed)}
                data[key] = {"seed": seed, "fix_truth": fix_truth, "bugs": fixed_bugs, "modes": {}}
                for mode in modes:
                    got = run_mode(mode, pdir / "repo", export, args.before_src,
                                   variants.get(mode.partition("+")[2]))
                    seconds = got.pop("__seconds__")
                    rows = sorted(({"sha": s, **v} for s, v in got.items() if not v["merge"]), key=lambda r: r["time"])
                    universe = [r["sha"] for r in rows]
                    fixes = {r["sha"] for r in rows if r["fix"]}
                    inducing = {r["sha"] for r in rows if r["inducing"]}
                    data[key]["modes"][mode] = {"rows": rows, "fixes": fixes, "inducing": inducing}
                    per[mode] = {"seconds": seconds["total"], "fix": prf(fixes, fix_truth, universe),
                                 "inducing": prf(inducing, fixed_bugs, universe),
                                 "fix_sources": _count(r["source"] for r in rows if r["fix"])}
                projects[key] = per
                print(f"{key} ({per['style']}): " + "; ".join(
                    f"{m} fix F1 {per[m]['fix']['f1']:.3f} inducing F1 {per[m]['inducing']['f1']:.3f}" for m in modes),
                    flush=True)
    # the size rule's quantile is chosen on the tuning seed (newer half, thresholds from the older half)
    def size_pred(key: str, q: float) -> tuple[set[str], list[str]]:
        rows = data[key]["modes"]["message"]["rows"]
        half = len(rows) // 2
        return size_rule(rows[:half], rows[half:], q), [r["sha"] for r in rows[half:]]

    tune = [k for k, d in data.items() if d["seed"] in args.tune_seed]
    best_q, best_f1 = 0.5, -1.0
    for q in SIZE_QUANTILES:
        b: dict[str, set[str]] = {}
        for k in tune:
            pred, shas = size_pred(k, q)
            _add(b, k, pred, data[k]["bugs"], shas)
        f1 = prf(b["pred"], b["truth"], b["u"])["f1"] if b else 0.0
        if f1 > best_f1:
            best_q, best_f1 = q, f1
    pooled: dict[str, dict[str, dict[str, dict[str, set[str]]]]] = {}
    for key, d in data.items():
        group = "in-sample" if d["seed"] in args.tune_seed else "held-out"
        for mode, m in d["modes"].items():
            rows = m["rows"]
            half = len(rows) // 2
            for part, sub in (("all", rows), ("older", rows[:half]), ("newer", rows[half:])):
                shas = [r["sha"] for r in sub]
                g = pooled.setdefault(group, {}).setdefault(mode, {})
                _add(g.setdefault(f"fix_{part}", {}), key, m["fixes"], d["fix_truth"], shas)
                _add(g.setdefault(f"inducing_{part}", {}), key, m["inducing"], d["bugs"], shas)
        for q in (0.5, best_q):
            pred, shas = size_pred(key, q)
            g = pooled.setdefault(group, {}).setdefault(f"size-q{q}", {})
            _add(g.setdefault("inducing_newer", {}), key, pred, d["bugs"], shas)
    pooled_summary = {group: {mode: {name: prf(b["pred"], b["truth"], b["u"]) for name, b in parts.items()}
                       for mode, parts in modes_.items()} for group, modes_ in pooled.items()}
    return {"projects": projects, "pooled": pooled_summary, "seeds": args.seeds, "tune_seed": args.tune_seed,
            "size_quantile_chosen": best_q, "days": args.days, "realistic_bugs": not args.toy_bugs}


def _count(values: Iterable[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


def evaluate_jit(args: argparse.Namespace) -> dict[str, Any]:
    base = datasets_dir(args.jit_dir)
    jit = base / "jit" if base is not None and (base / "jit").is_dir() else None
    if jit is None:
        print("JIT dataset: skipped (no ../shared/datasets/jit; give --jit-dir or ARGUS_DATASETS)")
        return {"skipped": "dataset absent"}
    repos = dict(r.split("=", 1) for r in args.jit_repo)
    out: dict[str, Any] = {}
    for path in sorted(jit.glob("*_k_feature.csv")):
        name = path.name.split("_")[0]
        with path.open(newline="") as f:
            rows = sorted(({"sha": r["_id"], "time": int(r["date"]), "la": float(r["la"]), "bug": r["bug"] == "1",
                            "fix": r["fix"] == "1"} for r in csv.DictReader(f)), key=lambda r: r["time"])
        half = len(rows) // 2
        older, newer = rows[:half], rows[half:]
        bugs = {r["sha"] for r in rows if r["bug"]}
        res: dict[str, Any] = {
            "commits": len(rows), "bug_rate": round(len(bugs) / len(rows), 3),
            "fix_rate": round(sum(r["fix"] for r in rows) / len(rows), 3),
            "size_rule_newer": prf(size_rule(older, newer), bugs, [r["sha"] for r in newer]),
            "size_rule_in_sample_newer": prf(size_rule(newer, newer), bugs, [r["sha"] for r in newer]),
            "dataset_fix_flag_as_inducing_newer": prf({r["sha"] for r in newer if r["fix"]}, bugs,
                                                      [r["sha"] for r in newer]),
        }
        if name in repos:
            got = run_mode("message", Path(repos[name]), None, None)
            got.pop("__seconds__")
            universe = [r["sha"] for r in rows if r["sha"] in got]
            res["argus_message"] = {
                "matched_commits": len(universe),
                "fix_vs_dataset_fix": prf({s for s in universe if got[s]["fix"]}, {r["sha"] for r in rows if r["fix"]},
                                          universe),
                "inducing": prf({s for s in universe if got[s]["inducing"]}, bugs, universe),
                "inducing_newer": prf({s for s in universe if got[s]["inducing"]}, bugs,
                                      [r["sha"] for r in newer if r["sha"] in got]),
            }
        else:
            res["argus"] = (f"skipped: the dataset has no commit messages; clone the {name} repository and pass "
                            f"--jit-repo {name}=PATH to compare Argus's labels")
        print(f"JIT {name}: {len(rows)} commits, bug rate {res['bug_rate']}, size rule (older median → newer) F1 "
              f"{res['size_rule_newer']['f1']:.3f}; " + (str(res.get("argus")) if "argus" in res else
              f"Argus inducing F1 {res['argus_message']['inducing']['f1']:.3f}"), flush=True)
        out[name] = res
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--days", type=int, default=150)
    ap.add_argument("--projects", type=int, default=2)
    ap.add_argument("--before-src", type=Path, default=None,
                    help="src/ of Argus before issue 23 (e.g. `git archive` of main) for the keyword baseline.")
    ap.add_argument("--jit-dir", default=None, help="Folder holding jit/ (default ../shared/datasets).")
    ap.add_argument("--jit-repo", action="append", default=[], help="NAME=PATH of a local clone (qt, openstack).")
    ap.add_argument("--no-sim", action="store_true")
    ap.add_argument("--tune-seed", type=int, nargs="+", default=[1],
                    help="The seeds on which anything is chosen (the size rule's quantile; Argus's settings were "
                         "tuned on seeds 1-5); the others are reported as held out.")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME:ARGUS_GIT__X=V,... — also run message and tracker with these settings "
                         "(modes message+NAME, tracker+NAME), e.g. ctx2:ARGUS_GIT__SZZ_ADD_ONLY_CONTEXT=2.")
    ap.add_argument("--toy-bugs", action="store_true",
                    help="The simulator's old bug truth (random fix lines, every fix says 'Fix #N').")
    ap.add_argument("--out", type=Path, default=RESULTS / "eval_szz.json", help="Where the JSON results go.")
    args = ap.parse_args(argv)
    results: dict[str, Any] = {"jit": evaluate_jit(args)}
    if not args.no_sim:
        results["sim"] = evaluate_sim(args)
        print(f"size rule quantile chosen on seeds {args.tune_seed}: {results['sim']['size_quantile_chosen']}")
        for group, modes_ in results["sim"]["pooled"].items():
            for mode, parts in modes_.items():
                for name, m in sorted(parts.items()):
                    print(f"{group:9s} {mode:10s} {name:15s} P {m['precision']:.3f} R {m['recall']:.3f} "
                          f"F1 {m['f1']:.3f} (truth {m['truth']}, n {m['n']})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
