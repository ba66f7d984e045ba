"""Alert storms with known root incidents: services with a dependency graph, deployments, and the
alerts a failing service and the services that depend on it send (generic JSON payloads).

World: ``datastores`` at the bottom, ``backends`` depending on one or two datastores, ``frontends``
depending on one to three backends, and standalone services. A storm starts at a root service
(often 5–60 min after a deployment of it); each service depending on the root (up to two hops up) joins
with probability ``spread``; every affected service fires one to three alert names, re-sent every
one to five minutes while it lasts (10–60 min), then resolved. Isolated noise alerts are singleton
incidents. Storms arrive as a Poisson process, so some overlap in time: a grouping that merges
unrelated concurrent storms loses precision.

Output (``<out>/alerts/``): ``services.yaml``, ``deployments.json`` (generic payload),
``storm.jsonl`` (one generic payload per line, in time order), ``truth.json`` (event id → root
incident id; the storms with root service, start and cause deployment).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NAMES = ("HighErrorRate", "HighLatency", "PodRestarts", "SaturationHigh", "QueueBacklog", "ProbeFailed")


@dataclass(frozen=True)
class StormConfig:
    storms: int = 40
    noise: int = 30
    seed: int = 11
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC)
    mean_gap_min: float = 90.0
    spread: float = 0.7
    datastores: int = 4
    backends: int = 12
    frontends: int = 10
    standalone: int = 6


@dataclass
class World:
    deps: dict[str, list[str]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def dependents(self, svc: str) -> list[str]:
        return sorted(s for s, d in self.deps.items() if svc in d)


def build_world(cfg: StormConfig, rng: random.Random) -> World:
    w = World()
    stores = [f"store-{i}" for i in range(cfg.datastores)]
    backs = [f"backend-{i}" for i in range(cfg.backends)]
    fronts = [f"front-{i}" for i in range(cfg.frontends)]
    for s in stores:
        w.deps[s] = []
    for b in backs:
        w.deps[b] = sorted(rng.sample(stores, rng.randint(1, 2)))
    for f in fronts:
        w.deps[f] = sorted(rng.sample(backs, rng.randint(1, 3)))
    for i in range(cfg.standalone):
        w.deps[f"solo-{i}"] = []
    for i, s in enumerate(w.deps):
        w.owners[s] = f"team-{i % 7}"
    return w


def generate(cfg: StormConfig) -> dict[str, Any]:
    """The world, deployments, events and truth (plain data; :func:`write` puts it in files)."""
    rng = random.Random(cfg.seed)
    w = build_world(cfg, rng)
    services = sorted(w.deps)
    events: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    storms: list[dict[str, Any]] = []
    deployments: list[dict[str, Any]] = []
    t = cfg.start
    seq = 0

    def fire(incident: str, svc: str, name: str, begin: datetime, minutes: float) -> None:
        nonlocal seq
        at = begin
        end = begin + timedelta(minutes=minutes)
        fp = f"{svc}/{name}"
        sev = rng.choice(("critical", "high", "warning", "warning"))
        while at <= end:
            seq += 1
            eid = f"e{seq}"
            events.append({"id": eid, "name": name, "service": svc, "environment": "prod", "severity": sev,
                           "fingerprint": fp, "status": "firing", "at": at.isoformat()})
            truth[eid] = incident
            at += timedelta(minutes=rng.uniform(1, 5))
        seq += 1
        eid = f"e{seq}"
        events.append({"id": eid, "name": name, "service": svc, "environment": "prod", "severity": sev,
                       "fingerprint": fp, "status": "resolved", "starts_at": begin.isoformat(),
                       "ends_at": end.isoformat(), "at": end.isoformat()})
        truth[eid] = incident

    non_solo = [s for s in services if not s.startswith("solo-")]
    for k in range(cfg.storms):
        t += timedelta(minutes=rng.expovariate(1.0 / cfg.mean_gap_min))
        root = rng.choice(non_solo)
        inc = f"storm-{k}"
        cause = None
        if rng.random() < 0.6:
            dep_at = t - timedelta(minutes=rng.uniform(5, 60))
            cause = f"dep-{k}"
            deployments.append({"id": cause, "service": root, "environment": "prod", "status": "success",
                                "commit": f"{rng.getrandbits(160):040x}", "started_at": dep_at.isoformat()})
        affected = [root]
        frontier = [root]
        for _hop in range(2):
            nxt = []
            for s in frontier:
                for d in w.dependents(s):
                    if d not in affected and rng.random() < cfg.spread:
                        affected.append(d)
                        nxt.append(d)
            frontier = nxt
        for i, svc in enumerate(affected):
            begin = t + timedelta(minutes=i * rng.uniform(0.5, 3))
            for name in rng.sample(NAMES, rng.randint(1, 3)):
                fire(inc, svc, name, begin + timedelta(seconds=rng.uniform(0, 90)), rng.uniform(10, 60))
        storms.append({"id": inc, "root": root, "start": t.isoformat(), "services": affected, "cause": cause})
    span = t - cfg.start
    for j in range(cfg.noise):
        at = cfg.start + timedelta(seconds=rng.uniform(0, max(span.total_seconds(), 3600)))
        fire(f"noise-{j}", rng.choice(services), rng.choice(NAMES), at, rng.uniform(0, 10))
    for j in range(cfg.storms // 2):  # background deployments that cause nothing
        at = cfg.start + timedelta(seconds=rng.uniform(0, max(span.total_seconds(), 3600)))
        deployments.append({"id": f"bg-{j}", "service": rng.choice(services), "environment": "prod",
                            "status": "success", "started_at": at.isoformat()})
    events.sort(key=lambda e: (e["at"], e["id"]))
    return {"services": {s: {"depends_on": w.deps[s], "owners": [w.owners[s]]} for s in services},
            "deployments": deployments, "events": events, "truth": truth, "storms": storms}


def write(out: Path, cfg: StormConfig, batch: int = 20) -> dict[str, Any]:
    """Write the storm files under ``out/alerts``; returns a summary."""
    data = generate(cfg)
    folder = out / "alerts"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for svc, body in data["services"].items():
        lines.append(f"{svc}:")
        lines.append(f"  depends_on: [{', '.join(body['depends_on'])}]")
        lines.append(f"  owners: [{', '.join(body['owners'])}]")
    (folder / "services.yaml").write_text("\n".join(lines) + "\n")
    (folder / "deployments.json").write_text(json.dumps({"deployments": data["deployments"]}, indent=1))
    ev = data["events"]
    with (folder / "storm.jsonl").open("w") as fh:
        for i in range(0, len(ev), batch):
            fh.write(json.dumps({"alerts": ev[i:i + batch]}) + "\n")
    (folder / "truth.json").write_text(json.dumps({"events": data["truth"], "storms": data["storms"],
                                                   "seed": cfg.seed}, indent=1))
    return {"folder": str(folder), "services": len(data["services"]), "events": len(ev),
            "incidents": len(set(data["truth"].values())), "storms": cfg.storms, "noise": cfg.noise,
            "deployments": len(data["deployments"])}
