"""Benchmark ``argus ingest git`` against ``git log --numstat`` (the limit) and PyDriller (the peer).

For each repository: the bare ``git log --numstat`` over the branch (reference), Argus's full
ingest with Kamei features into a fresh SQLite database (and PostgreSQL with ``--pg URL``), SZZ
labelling timed separately, PyDriller iterating commits and their modified files (with line
counts) over a prefix of the history (``--pydriller-commits``; Argus is timed on the same prefix,
and per-commit rates are compared), and Argus's peak memory on growing prefixes of the history.
Each Argus run is a fresh child process (peak RSS per run). Times are the median of ``--repeat``.

    .venv/bin/python bench/git_ingest.py                       # generated 20k-commit repo + this repo
    .venv/bin/python bench/git_ingest.py --repo PATH --no-generated --pg postgresql+psycopg://...

Prints ``name: value unit (ratio vs reference)`` lines; writes bench/results/git_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GENERATED = Path(tempfile.gettempdir()) / "argus-bench-git-20k"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def time_git_log(repo: Path, rev: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``git log --numstat`` over ``rev``."""
    times, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), _children_cpu()
        subprocess.run(["git", "-C", str(repo), "log", "--numstat", rev], stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
    return statistics.median(times), statistics.median(cpus)


CHILD = """
import json, resource, sys, time, uuid
from pathlib import Path
from argus.core.db import create_db_engine, unit_of_work
from argus.core.settings import GitSettings
from argus.store.migrate import upgrade
from argus.store.session import make_session_factory, scoped_to
from argus.store.projects import get_or_create_project
from argus.store.models import GitIngestState
from argus.ingest.git.service import ingest_git
from sqlalchemy import select, text
repo, url, branch, szz, graph = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5] == "1"
extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
schema = None
if url.startswith("postgresql"):
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_db_engine(url)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
eng = create_db_engine(url)
upgrade(eng)
def cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
t0, c0 = time.perf_counter(), cpu()
with unit_of_work(make_session_factory(eng)) as s:
    scoped_to(s, get_or_create_project(s, "bench"))
    settings = GitSettings(szz=szz, szz_commit_graph=graph) if not extra.get("defaults") else GitSettings(szz=szz)
    settings = settings.model_copy(update=extra.get("git", {}))
    r = ingest_git(s, Path(repo), settings, branch=branch)
    elapsed, cpu_s = time.perf_counter() - t0, cpu() - c0
    state_bytes = len(s.scalars(select(GitIngestState)).one().feature_state)
    labels = {}
    if szz:
        shas = dict(s.execute(text('SELECT id, sha FROM "commit"')).all())
        pairs = {(shas[f], shas[i]) for f, i in s.execute(text("SELECT fix_commit_id, inducing_commit_id FROM bug_link"))}
        plain = s.execute(text('SELECT count(*) FROM "commit" WHERE NOT is_merge')).scalar()
        fixes = s.execute(text('SELECT count(*) FROM "commit" WHERE is_fix')).scalar()
        blamed = {}
        for _, i in pairs:
            blamed[i] = blamed.get(i, 0) + 1
        labels = {"commits_non_merge": plain, "fix_pct": 100.0 * fixes / max(1, plain),
                  "inducing_pct": 100.0 * len(blamed) / max(1, plain), "pairs": len(pairs),
                  "max_fixes_per_inducing": max(blamed.values(), default=0)}
        if extra.get("truth"):
            truth = {tuple(p) for p in json.loads(Path(extra["truth"]).read_text())["pairs"]}
            truth_fixes = {f for f, _ in truth}
            subject = dict(s.execute(text('SELECT sha, message FROM "commit"')).all())
            typed_nonfix = ("docs", "chore", "test", "style", "ci", "build", "refactor", "feat")
            judged = [p for p in pairs if p[0] in truth_fixes or subject[p[0]].split(":")[0].split("(")[0] in typed_nonfix]
            correct = sum(1 for p in judged if p in truth)
            labels.update(truth_pairs=len(truth), judged_pairs=len(judged), correct=correct,
                          precision=correct / max(1, len(judged)), recall=correct / max(1, len(truth)))
    if extra.get("sample"):
        rows = s.execute(text('SELECT f.sha, f.message, i.sha, i.message, b.path, b.lines FROM bug_link b '
                              'JOIN "commit" f ON f.id = b.fix_commit_id JOIN "commit" i ON i.id = b.inducing_commit_id'))
        labels["links"] = [[a, m.splitlines()[0][:70], b, n.splitlines()[0][:70], p, str(ln)] for a, m, b, n, p, ln in rows]
eng.dispose()
if schema:
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
print(json.dumps({"seconds": elapsed, "cpu_s": cpu_s, "commits": r.commits_new, "files": r.files, "features": r.features,
                  "fixes": r.fixes, "links": r.links, "unresolved": r.links_unresolved, "szz_s": r.seconds.get("szz"),
                  "blob_reads": r.blob_reads, "state_bytes": state_bytes,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "labels": labels,
                  "tangled": getattr(r, "fixes_tangled", None), "no_source": getattr(r, "fixes_no_source", None)}))
"""


def run_argus(repo: Path, branch: str, *, url: str | None = None, szz: bool = False, graph: bool = False,
              extra: dict[str, Any] | None = None, src: Path | None = None) -> dict[str, Any]:
    """One ingest in a fresh interpreter and database (Argus from ``src`` if given); returns its figures."""
    env = None
    if src is not None:
        import os

        env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory() as tmp:
        db = url or f"sqlite:///{tmp}/bench.db"
        out = subprocess.run([sys.executable, "-c", CHILD, str(repo), db, branch, "1" if szz else "0",
                              "1" if graph else "0", json.dumps(extra or {})],
                             capture_output=True, text=True, check=True, cwd=tmp if src else ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_first_ingest(label: str, repo: Path, branch: str, ref: float, ref_cpu: float, args: argparse.Namespace
                       ) -> dict[str, Any]:
    """Default first ingest *with* SZZ (the user's first run) against ``git log --numstat``; old code too."""
    truth = repo.with_name(repo.name + ".truth.json")
    extra: dict[str, Any] = {"defaults": True, "sample": True}
    if truth.exists():
        extra["truth"] = str(truth)
    res: dict[str, Any] = {}
    variants: list[tuple[str, Path | None, dict[str, Any]]] = [("after", None, {})]
    if args.add_only_context is not None:
        variants.append((f"after_context{args.add_only_context}", None,
                         {"git": {"szz_add_only_context": args.add_only_context}}))
    if args.before_src:
        variants.append(("before", args.before_src, {}))
    for name, src, more in variants:
        runs = [run_argus(repo, branch, szz=True, extra={**extra, **more}, src=src) for _ in range(args.repeat)]
        secs = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        lab = runs[0]["labels"]
        res[name] = {"seconds": secs, "ratio": secs / ref, "cpu_s": cpu, "cpu_ratio": cpu / ref_cpu, "szz_s": statistics.median(r["szz_s"] or 0 for r in runs),
                     "run": {k: v for k, v in runs[0].items() if k != "labels"},
                     "labels": {k: v for k, v in lab.items() if k != "links"}, "links": lab.get("links", [])}
        note = (f"{secs / ref:.2f}x git log --numstat, goal <= 3x; CPU {cpu:.2f} s = {cpu / ref_cpu:.2f}x; "
                f"SZZ {res[name]['szz_s']:.1f} s; "
                f"fixes {lab['fix_pct']:.1f} %, bug-inducing {lab['inducing_pct']:.1f} %, "
                f"max {lab['max_fixes_per_inducing']} fixes per inducing commit")
        if "precision" in lab:
            note += f"; planted truth: precision {lab['precision']:.3f}, recall {lab['recall']:.3f}"
        line(f"{label}.first_ingest_with_szz_{name}", secs, "s", note)
    return res


def bench_ab_no_szz(label: str, repo: Path, branch: str, args: argparse.Namespace) -> dict[str, Any]:
    """The ingest without SZZ, this code ("after") and ``--before-src`` ("before"), in interleaved pairs."""
    runs: dict[str, list[dict[str, Any]]] = {"after": [], "before": []}
    for _ in range(args.repeat):
        runs["after"].append(run_argus(repo, branch))
        runs["before"].append(run_argus(repo, branch, src=args.before_src))
    res: dict[str, Any] = {}
    for name, rs in runs.items():
        secs, cpu = statistics.median(r["seconds"] for r in rs), statistics.median(r["cpu_s"] for r in rs)
        res[name] = {"seconds": secs, "cpu_s": cpu, "fixes": rs[0]["fixes"]}
        line(f"{label}.ingest_no_szz_{name}", secs, "s", f"CPU {cpu:.2f} s, {rs[0]['fixes']} fixes")
    return res


def time_pydriller(repo: Path, to_commit: str) -> tuple[float, int, int]:
    """PyDriller over the ancestors of ``to_commit``: commits, modified files and their line counts."""
    from pydriller import Repository

    t0 = time.perf_counter()
    commits = files = 0
    for c in Repository(str(repo), to_commit=to_commit).traverse_commits():
        commits += 1
        for m in c.modified_files:
            files += 1
            _ = (m.added_lines, m.deleted_lines, m.change_type, m.new_path, m.old_path)
    return time.perf_counter() - t0, commits, files


def nth_commit(repo: Path, branch: str, n: int) -> str:
    """The ``n``-th commit of ``branch`` oldest first (its ancestors form a prefix of the history)."""
    shas = git(repo, "rev-list", "--reverse", "--date-order", branch).split()
    return shas[min(n, len(shas)) - 1]


def line(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"{name}: {value:.3f} {unit}" + (f" ({note})" if note else ""), flush=True)


def run_two_step(repo: Path, branch: str, batch: int) -> dict[str, Any]:
    """``argus ingest git --no-szz`` then ``argus ingest szz`` through the real CLI on a fresh SQLite file."""
    import os

    argus = Path(sys.executable).with_name("argus")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ARGUS_DATABASE_URL": f"sqlite:///{tmp}/bench.db", "ARGUS_HOME": tmp}

        def cli(*a: str) -> dict[str, Any]:
            out = subprocess.run([str(argus), *a], capture_output=True, text=True, check=True, cwd=tmp, env=env)
            return json.loads(out.stdout) if "--json" in a else {}

        cli("db", "upgrade")
        first = cli("ingest", "git", "--repo", str(repo), "--branch", branch, "-p", "bench", "--no-szz", "--json")
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        follow = cli("ingest", "szz", "-p", "bench", "--batch", str(batch), "--json")
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    szz_cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime  # the CLI and its git processes
    return {"ingest_s": first["seconds"]["total"], "szz_s": follow["seconds"]["total"], "szz_cpu_s": szz_cpu,
            "replay": follow.get("replay", False), "fixes": follow["fixes"],
            "batches": follow["batches"], "links": follow["links"], "remaining": follow["remaining"]}


def bench_two_step(label: str, repo: Path, branch: str, ref: float, args: argparse.Namespace) -> dict[str, Any]:
    """The two-step first ingest: history without SZZ (ratio to the reference), then the resumable SZZ step."""
    runs = [run_two_step(repo, branch, args.szz_batch) for _ in range(args.repeat)]
    ingest_s = statistics.median(r["ingest_s"] for r in runs)
    szz_s = statistics.median(r["szz_s"] for r in runs)
    r0 = runs[0]
    line(f"{label}.two_step_ingest_no_szz", ingest_s, "s", f"{ingest_s / ref:.2f}x git log --numstat (CLI, SQLite)")
    line(f"{label}.two_step_szz_followup", szz_s, "s",
         f"{r0['fixes']} fixes in {r0['batches']} committed batches of {args.szz_batch}, {r0['links']} links, "
         f"replay {r0['replay']}; CPU {statistics.median(r['szz_cpu_s'] for r in runs):.2f} s; "
         f"total {(ingest_s + szz_s) / ref:.2f}x git log --numstat")
    return {"ingest_s": ingest_s, "ingest_ratio": ingest_s / ref, "szz_s": szz_s, "runs": runs}


def bench_repo(label: str, repo: Path, args: argparse.Namespace) -> dict[str, Any]:
    branch = args.branch or git(repo, "symbolic-ref", "--short", "HEAD")
    total = int(git(repo, "rev-list", "--count", branch))
    res: dict[str, Any] = {"repo": str(repo), "branch": branch, "commits": total}
    ref, ref_cpu = time_git_log(repo, branch, args.repeat)
    runs = [run_argus(repo, branch) for _ in range(args.repeat)]
    argus_s = statistics.median(r["seconds"] for r in runs)
    argus_cpu = statistics.median(r["cpu_s"] for r in runs)
    res.update(git_log_numstat_s=ref, git_log_numstat_cpu_s=ref_cpu, argus_sqlite_s=argus_s,
               argus_sqlite_cpu_s=argus_cpu, argus_run=runs[0])
    line(f"{label}.git_log_numstat", ref, "s", f"{total} commits, reference; CPU {ref_cpu:.2f} s")
    line(f"{label}.argus_ingest_sqlite", argus_s, "s", f"{argus_s / ref:.2f}x git log --numstat, goal <= 2x")
    line(f"{label}.argus_ingest_sqlite_cpu", argus_cpu, "s",
         f"Python + git CPU, {argus_cpu / ref_cpu:.2f}x the reference's CPU")
    line(f"{label}.argus_peak_rss", runs[0]["maxrss_mb"], "MB")
    if args.ab_no_szz:
        res["ab_no_szz"] = bench_ab_no_szz(label, repo, branch, args)
        return res
    res["first_ingest"] = bench_first_ingest(label, repo, branch, ref, ref_cpu, args)
    res["two_step"] = bench_two_step(label, repo, branch, ref, args)
    if args.first_ingest_only:
        return res
    if args.pg:
        pg = statistics.median(run_argus(repo, branch, url=args.pg)["seconds"] for _ in range(args.repeat))
        res["argus_postgres_s"] = pg
        line(f"{label}.argus_ingest_postgres", pg, "s", f"{pg / ref:.2f}x git log --numstat")
    if not args.no_szz:
        n = min(args.szz_commits, total)
        cut = nth_commit(repo, branch, n)
        szz = run_argus(repo, cut, szz=True)
        with tempfile.TemporaryDirectory() as tmp:  # commit-graph variant on a copy: the original stays as is
            copy = Path(tmp) / "repo"
            shutil.copytree(repo, copy, symlinks=True)
            szz_cg = run_argus(copy, cut, szz=True, graph=True)
        res.update(szz_prefix=n, szz=szz, szz_commit_graph=szz_cg)
        per_fix = 1000 * (szz["szz_s"] or 0.0) / max(1, szz["fixes"])
        per_fix_cg = 1000 * (szz_cg["szz_s"] or 0.0) / max(1, szz_cg["fixes"])
        line(f"{label}.szz_labelling", szz["szz_s"] or 0.0, "s",
             f"first {n} commits: {szz['fixes']} fixes, {szz['links']} links, {per_fix:.0f} ms/fix; not in the ingest ratio")
        line(f"{label}.szz_labelling_commit_graph", szz_cg["szz_s"] or 0.0, "s",
             f"{per_fix_cg:.0f} ms/fix incl. writing the commit-graph, {per_fix / max(per_fix_cg, 1e-9):.1f}x faster")
    if not args.no_pydriller:
        n = min(args.pydriller_commits, total)
        cut = nth_commit(repo, branch, n)
        pd_s, pd_commits, _ = time_pydriller(repo, cut)
        ours = statistics.median(run_argus(repo, cut)["seconds"] for _ in range(args.repeat))
        speedup = (pd_s / pd_commits) / (ours / n)
        res.update(pydriller_prefix=n, pydriller_s=pd_s, pydriller_commits=pd_commits, argus_prefix_s=ours)
        line(f"{label}.pydriller_prefix", pd_s, "s", f"{pd_commits} commits")
        line(f"{label}.argus_prefix", ours, "s", f"{n} commits; PyDriller is {speedup:.1f}x slower per commit, goal >= 6x")
    if args.memory and total >= 4 * 1000:
        mem = []
        for frac in (0.25, 0.5, 1.0):
            n = int(total * frac)
            r = run_argus(repo, nth_commit(repo, branch, n))
            mem.append({"commits": n, "maxrss_mb": r["maxrss_mb"], "state_bytes": r["state_bytes"]})
            line(f"{label}.peak_rss_{n}_commits", r["maxrss_mb"], "MB", f"feature state {r['state_bytes'] / 1024:.0f} KiB")
        res["memory"] = mem
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, action="append", default=[], help="Extra repository (repeatable).")
    ap.add_argument("--no-generated", action="store_true", help="Skip the generated repository.")
    ap.add_argument("--commits", type=int, default=20_000, help="Size of the generated repository.")
    ap.add_argument("--branch", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pydriller-commits", type=int, default=2000)
    ap.add_argument("--no-pydriller", action="store_true")
    ap.add_argument("--no-szz", action="store_true")
    ap.add_argument("--szz-commits", type=int, default=5000, help="SZZ is timed on this prefix (blame is slow).")
    ap.add_argument("--memory", action="store_true", help="Peak RSS on 25/50/100%% prefixes.")
    ap.add_argument("--pg", default=None, help="Also time PostgreSQL at this URL (a schema per run).")
    ap.add_argument("--before-src", type=Path, default=None,
                    help="Also time the first ingest with the Argus package at this src/ (e.g. an older commit's).")
    ap.add_argument("--add-only-context", type=int, default=None,
                    help="Also time the first ingest with git.szz_add_only_context = N (0: classic SZZ).")
    ap.add_argument("--first-ingest-only", action="store_true",
                    help="Only the reference, the ingest without SZZ and the default first ingest with SZZ.")
    ap.add_argument("--szz-batch", type=int, default=50, help="Batch size of the two-step run's `argus ingest szz`.")
    ap.add_argument("--style", choices=["plain", "conventional"], default="plain",
                    help="Shape of the generated repository (conventional: typed messages, docs, tests, planted bugs).")
    ap.add_argument("--ab-no-szz", action="store_true",
                    help="With --before-src: only time the ingest without SZZ, this code and the old, in interleaved pairs.")
    args = ap.parse_args(argv)
    if args.ab_no_szz and args.before_src is None:
        ap.error("--ab-no-szz needs --before-src")
    results: dict[str, Any] = {}
    if not args.no_generated:
        gen = GENERATED if args.style == "plain" else GENERATED.with_name(f"argus-bench-git-{args.style}-{args.commits}")
        if not gen.exists() or int(git(gen, "rev-list", "--count", "main")) != args.commits:
            subprocess.run([sys.executable, str(ROOT / "bench" / "make_git_repo.py"), str(gen),
                            "--commits", str(args.commits), "--style", args.style], check=True)
        results["generated"] = bench_repo("generated", gen, args)
    for repo in args.repo or [ROOT]:
        results[repo.name or "repo"] = bench_repo(repo.resolve().name, repo, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "git_ingest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
