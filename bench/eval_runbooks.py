"""Runbook recommendation quality on a small labelled set: the example runbooks
(docs/examples/runbooks/, 12 files, 2 of them distractors) against incidents built from the
simulator's alert names (argus.sim.alerts.NAMES) and the planted-cause kinds of issue 19 (deploy
regression, upstream outage, capacity exhaustion, config change, flaky dependency) plus four symptom
kinds (crash loop, queue backlog, connection pool, disk full). Each incident's label is the one runbook
written for its kind.

IN-SAMPLE, said plainly: the runbooks and both incident halves were written by the same person in the
same session. Half A ("in-sample") phrasings were written with the runbooks in view and looked at while
the tokenizer was written; half B ("held-out") phrasings are paraphrases written afterwards, avoiding
the runbooks' own words where natural, and run without any change to the ranking afterwards. Neither
half is independent data: treat the figures as a sanity check of the method, not as field accuracy.

Run through the real use cases on a fresh SQLite database (index the folder, ingest each incident as
generic alerts, `recommend`): top-1, top-3 and MRR per half; a baseline in the same run ("alert-name
lookup": runbooks ranked by how many tokens of the alert names their title and tags contain); and the
effect of feedback: recorded on half A (the top-1 runbook helped when right, did not help when wrong,
the right one helped), then half B ranked again.

Usage: .venv/bin/python bench/eval_runbooks.py   (writes bench/results/eval_runbooks.json)
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argus.analysis.runbooks import algo
from argus.app import incidents as inc_uc
from argus.app import runbooks as uc
from argus.app.runtime import Runtime
from argus.core.enums import AlertSource
from argus.core.settings import Settings
from argus.testing.databases import upgrade_database

FOLDER = Path(__file__).parents[1] / "docs" / "examples" / "runbooks"
RESULTS = Path(__file__).parent / "results" / "eval_runbooks.json"

#: kind → (label runbook, alert names from the simulator's NAMES, service prefix,
#:          half-A phrasings (in-sample), half-B phrasings (held-out paraphrases))
KINDS: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...], tuple[str, ...]]] = {
    "deploy_regression": ("rollback-bad-deploy.md", ("HighErrorRate", "HighLatency"), "backend", (
        "error rate jumped right after the deployment", "5xx errors since release 2.4 rolled out",
        "regression after deploy of the new version", "exceptions spiking since this morning's release"), (
        "failures started minutes after v3.1 shipped", "new build went out and requests began failing",
        "rollout at 10:02, errors from 10:05", "broke after we pushed the latest image")),
    "upstream_outage": ("upstream-dependency-outage.md", ("ProbeFailed", "HighErrorRate"), "front", (
        "upstream dependency outage: backend unreachable", "probe failed on the backend this service depends on",
        "cascade from a failing dependency", "all callers of the datastore alerting"), (
        "connection refused talking to the service below us", "downstream calls to backend all fail, it is down",
        "health check of the shared backend red, everyone calling it errors", "the database we call is down")),
    "capacity_exhaustion": ("scale-out-capacity.md", ("SaturationHigh", "HighLatency"), "backend", (
        "cpu saturation 95% as traffic grows", "capacity exhausted under load", "memory saturation high with more traffic",
        "load above what the replicas can take"), (
        "requests per second doubled, nodes pegged", "busy threads maxed out, marketing campaign started",
        "all instances at full utilisation", "throttled: not enough pods for the peak")),
    "config_change": ("revert-config-change.md", ("HighErrorRate",), "backend", (
        "errors after a configuration change", "feature flag switched on, errors followed", "config change broke settings",
        "bad configuration pushed"), (
        "someone edited the yaml and it started failing", "toggle enabled for all users, then failures",
        "env var changed in the manifest, now erroring", "parameter tweak in the settings service preceded this")),
    "flaky_dependency": ("flaky-dependency-timeouts.md", ("HighLatency",), "front", (
        "intermittent timeouts calling a dependency", "flaky network: latency spikes come and go",
        "timeouts and retries to the payments API", "intermittent latency on calls to the backend"), (
        "calls hang now and then, then recover", "sporadic slow responses, p99 jumps every few minutes",
        "occasional deadline exceeded from the client library", "it flaps: fine, then slow, then fine")),
    "crash_loop": ("crashloop-oom.md", ("PodRestarts",), "backend", (
        "pods OOMKilled and restarting", "CrashLoopBackOff on the deployment", "container restarts, memory limit hit",
        "pod restart loop"), (
        "process killed for exceeding its memory, keeps coming back", "the app exits on start and kubernetes retries",
        "instances die every few minutes", "heap grows until the container is killed")),
    "queue_backlog": ("queue-consumer-stuck.md", ("QueueBacklog",), "backend", (
        "consumer lag growing on the queue", "queue backlog, consumers stuck", "kafka lag increasing",
        "workers not draining the queue"), (
        "messages piling up, nothing processed for 20 minutes", "the topic offset is not moving",
        "jobs waiting hours to be picked up", "processing fell behind the incoming events")),
    "connection_pool": ("db-connection-pool.md", ("HighErrorRate", "SaturationHigh"), "store", (
        "database connection pool exhausted", "too many connections to postgres", "pool timeout on the datastore",
        "connections maxed on the database"), (
        "FATAL: sorry, too many clients already", "cannot get a handle to the db, all slots taken",
        "clients wait for a free session on the store", "idle in transaction sessions hog the server")),
    "disk_full": ("disk-full.md", ("SaturationHigh",), "store", (
        "disk full on the volume", "no space left on device", "volume 95% used", "filesystem full, writes failing"), (
        "writes fail: ENOSPC", "the data partition ran out of room", "storage almost exhausted on the node",
        "logs filled the mount")),
}


@dataclass(frozen=True)
class Case:
    kind: str
    label: str
    names: tuple[str, ...]
    service: str
    summary: str
    half: str


def cases() -> list[Case]:
    out = []
    for kind, (label, names, prefix, a, b) in KINDS.items():
        for half, phrasings in (("A", a), ("B", b)):
            for i, text in enumerate(phrasings):
                out.append(Case(kind, label, names, f"{prefix}-{i}", text, half))
    return out


def baseline(keys_tokens: dict[str, set[str]], names: Sequence[str]) -> list[str]:
    """Alert-name lookup: runbooks by how many alert-name tokens their title and tags hold."""
    q = set(algo.tokenize(" ".join(names)))
    scored = sorted(((len(q & toks), k) for k, toks in keys_tokens.items()), key=lambda x: (-x[0], x[1]))
    return [k for s, k in scored if s > 0]


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {"n": n, "top1": round(sum(1 for r in ranks if r == 1) / n, 3),
            "top3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 3),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 3)}


def rank_of(label: str, keys: Sequence[str]) -> int | None:
    return keys.index(label) + 1 if label in keys else None


def main() -> int:
    all_cases = cases()
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        url = f"sqlite:///{base / 'argus.db'}"
        upgrade_database(url)
        rt = Runtime(Settings(home=base, database_url=url))  # type: ignore[arg-type]
        try:
            uc.index(rt, FOLDER, "eval")
            meta = {r.key: set(algo.tokenize(" ".join([r.title, *r.tags]))) for r in uc.list_runbooks(rt, "eval")}
            ids: list[int] = []
            for i, c in enumerate(all_cases):
                at = t0 + timedelta(hours=3 * i)
                body = {"alerts": [{"name": n, "service": c.service, "severity": "high", "summary": c.summary,
                                    "fingerprint": f"{i}/{n}", "at": at.isoformat(), "starts_at": at.isoformat()}
                                   for n in c.names]}
                out = inc_uc.ingest(rt, inc_uc.IngestRequest(AlertSource.GENERIC, json.dumps(body).encode(), "eval",
                                                             "eval", received_at=at))
                ids.append(out.incident_ids[0])

            def ranked() -> list[list[str]]:
                return [[r.runbook.key for r in uc.recommend(rt, uc.RecommendRequest(iid, "eval", top=12)).items]
                        for iid in ids]

            first = ranked()
            rows: dict[str, Any] = {}
            for half in ("A", "B"):
                sel = [i for i, c in enumerate(all_cases) if c.half == half]
                rows[half] = {
                    "bm25": metrics([rank_of(all_cases[i].label, first[i]) for i in sel]),
                    "baseline_alert_name_lookup": metrics(
                        [rank_of(all_cases[i].label, baseline(meta, all_cases[i].names)) for i in sel]),
                }
            # feedback on half A, then half B again
            for i, c in enumerate(all_cases):
                if c.half != "A":
                    continue
                top = first[i][0] if first[i] else None
                if top is not None and top != c.label:
                    uc.feedback(rt, ids[i], top, False, "eval", project="eval")
                uc.feedback(rt, ids[i], c.label, True, "eval", project="eval")
            after = ranked()
            sel_b = [i for i, c in enumerate(all_cases) if c.half == "B"]
            rows["B"]["bm25_after_feedback_on_A"] = metrics([rank_of(all_cases[i].label, after[i]) for i in sel_b])
            misses = [{"kind": all_cases[i].kind, "summary": all_cases[i].summary, "got": first[i][:3]}
                      for i in sel_b if rank_of(all_cases[i].label, first[i]) != 1]
        finally:
            rt.close()
    result = {"runbooks": len(meta), "cases": len(all_cases), "kinds": len(KINDS),
              "in_sample_A": rows["A"], "held_out_B": rows["B"], "held_out_misses": misses}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{len(all_cases)} incidents ({len(KINDS)} kinds), {len(meta)} runbooks")
    print(f"{'half':<14}{'ranker':<34}{'top-1':>7}{'top-3':>7}{'MRR':>7}")
    for name, half in (("A in-sample", rows["A"]), ("B held-out", rows["B"])):
        for ranker, m in half.items():
            print(f"{name:<14}{ranker:<34}{m['top1']:>7.3f}{m['top3']:>7.3f}{m['mrr']:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
