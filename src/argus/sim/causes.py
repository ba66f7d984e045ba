"""Incidents with planted causes, for measuring investigation (docs/simulator.md "Incidents with causes").

World: the service graph of :mod:`argus.sim.alerts` (datastores, backends, frontends, standalone).
A timeline of incidents, one every ``mean_gap_min`` on average; each has a symptom service S and a
planted cause:

- ``deploy``: a deployment of S 2–25 min before its alerts (error rate, a deviation of 2–5 sigma);
- ``config``: a configuration change of S (deployment ``kind: config``) 2–25 min before;
- ``upstream``: a dependency U of S fails 1–8 min before S alerts (U's alerts 3–6 sigma);
- ``flaky``: a dependency U of S flaps: 3–5 short episodes over the 3 h before, one just before S alerts;
- ``capacity``: a saturation metric of S rises over 2 h (three alerts with increasing values), then S alerts;
- ``unobservable``: S alerts with nothing in the data that explains it.

Distractors in every case: a deployment of S 3–20 h earlier (half the incidents), a deployment of
another service 1–60 min before (half; sometimes a dependency of S that sends no alert), and
isolated noise alerts. The cause is what a person would record: ``deploy:S``, ``config:S``,
``upstream:U`` (outage and flaky dependency), ``capacity:S``, or none (unobservable).

Output of :func:`generate`: services (name → depends_on), payloads (generic ``{"alerts", "deployments"}``
bodies in time order with the time each is received) and the truth (incident key → cause, symptom
alert fingerprint, planted kind). Every alert carries the label ``sim_incident``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argus.sim.alerts import StormConfig, build_world

KINDS = ("deploy", "config", "upstream", "flaky", "capacity", "unobservable")
SHARES = (0.25, 0.15, 0.15, 0.10, 0.15, 0.20)


@dataclass(frozen=True)
class CauseConfig:
    incidents: int = 160
    seed: int = 21
    start: datetime = datetime(2026, 3, 2, tzinfo=UTC)
    mean_gap_min: float = 240.0
    #: the first ``history`` incidents get their cause recorded (what on-call did): precedents and learning
    history: int = 60
    sigma_share: float = 0.7  # alerts that carry a deviation label
    noise: int = 40


def generate(cfg: CauseConfig) -> dict[str, Any]:
    rng = random.Random(cfg.seed)
    w = build_world(StormConfig(seed=cfg.seed), rng)
    services = sorted(w.deps)
    with_deps = [s for s in services if w.deps[s]]
    items: list[tuple[datetime, str, dict[str, Any]]] = []  # (time, "alert"|"deployment", body)
    truth: list[dict[str, Any]] = []
    t = cfg.start
    seq = 0

    def labels(k: int, lo: float, hi: float) -> dict[str, str]:
        out = {"sim_incident": str(k)}
        if rng.random() < cfg.sigma_share:
            out["sigma"] = f"{rng.uniform(lo, hi):.2f}"
        return out

    def fire(k: int, svc: str, name: str, at: datetime, minutes: float, lab: dict[str, str],
             sev: str = "critical") -> str:
        nonlocal seq
        seq += 1
        fp = f"sim/{k}/{svc}/{name}/{seq}"
        body = {"name": name, "service": svc, "environment": "prod", "severity": sev, "fingerprint": fp,
                "labels": lab, "status": "firing", "at": at.isoformat(), "id": f"a{seq}"}
        items.append((at, "alert", body))
        end = at + timedelta(minutes=minutes)
        items.append((end, "alert", {**body, "status": "resolved", "starts_at": at.isoformat(),
                                     "ends_at": end.isoformat(), "at": end.isoformat(), "id": f"r{seq}"}))
        return fp

    def deploy(svc: str, at: datetime, kind: str = "deploy") -> None:
        nonlocal seq
        seq += 1
        items.append((at, "deployment", {"id": f"dep{seq}", "service": svc, "environment": "prod", "kind": kind,
                                         "status": "success", "commit": f"{rng.getrandbits(160):040x}",
                                         "started_at": at.isoformat()}))

    for k in range(cfg.incidents):
        t += timedelta(minutes=rng.uniform(0.5, 1.5) * cfg.mean_gap_min)
        kind = rng.choices(KINDS, SHARES)[0]
        svc = rng.choice(with_deps if kind in ("upstream", "flaky") else services)
        cause: str | None = None
        if kind in ("deploy", "config"):
            deploy(svc, t - timedelta(minutes=rng.uniform(2, 25)), kind)
            cause = f"{kind}:{svc}"
            sym = fire(k, svc, "HighErrorRate", t, rng.uniform(10, 40), labels(k, 2.0, 5.0))
        elif kind == "upstream":
            up = rng.choice(w.deps[svc])
            fire(k, up, rng.choice(("ProbeFailed", "HighErrorRate", "HighLatency")),
                 t - timedelta(minutes=rng.uniform(1, 8)), rng.uniform(15, 50), labels(k, 3.0, 6.0))
            sym = fire(k, svc, rng.choice(("HighLatency", "HighErrorRate")), t, rng.uniform(10, 40), labels(k, 1.0, 4.0))
            cause = f"upstream:{up}"
        elif kind == "flaky":
            up = rng.choice(w.deps[svc])
            for e in range(rng.randint(3, 5)):
                fire(k, up, "ProbeFailed", t - timedelta(minutes=rng.uniform(20, 180)), rng.uniform(2, 5),
                     labels(k, 1.0, 3.0), "warning")
                del e
            fire(k, up, "ProbeFailed", t - timedelta(minutes=rng.uniform(1, 6)), rng.uniform(2, 5), labels(k, 1.0, 3.0),
                 "warning")
            sym = fire(k, svc, "HighErrorRate", t, rng.uniform(10, 30), labels(k, 1.0, 4.0))
            cause = f"upstream:{up}"
        elif kind == "capacity":
            metric = rng.choice(("cpu", "memory", "connections", "disk"))
            v = rng.uniform(60, 72)
            for m in (rng.uniform(100, 130), rng.uniform(60, 90), rng.uniform(15, 40)):
                lab = labels(k, 1.0, 3.0) | {"metric": metric, "value": f"{v:.1f}"}
                fire(k, svc, "SaturationHigh", t - timedelta(minutes=m), rng.uniform(5, 12), lab, "warning")
                v += rng.uniform(6, 12)
            sym = fire(k, svc, "HighLatency", t, rng.uniform(10, 30), labels(k, 1.5, 4.0))
            cause = f"capacity:{svc}"
        else:
            sym = fire(k, svc, rng.choice(("HighErrorRate", "HighLatency", "PodRestarts")), t, rng.uniform(10, 40),
                       labels(k, 1.0, 4.5))
        # distractors
        if rng.random() < 0.5:
            deploy(svc, t - timedelta(hours=rng.uniform(3, 20)))
        if rng.random() < 0.5:
            other = rng.choice(w.deps[svc] if (w.deps[svc] and rng.random() < 0.3) else services)
            if other != svc:
                deploy(other, t - timedelta(minutes=rng.uniform(1, 60)))
        truth.append({"key": k, "kind": kind, "service": svc, "cause": cause, "symptom": sym, "at": t.isoformat(),
                      "history": k < cfg.history})
    span = (t - cfg.start).total_seconds()
    for j in range(cfg.noise):
        at = cfg.start + timedelta(seconds=rng.uniform(0, span))
        fire(-1 - j, rng.choice(services), rng.choice(("PodRestarts", "DiskWarning", "CertExpiry")), at,
             rng.uniform(1, 8), {"sim_incident": "noise"}, "warning")
    items.sort(key=lambda x: (x[0], x[1] != "deployment"))
    payloads = [{"at": at.isoformat(), "body": {"alerts": [b]} if what == "alert" else {"deployments": [b]}}
                for at, what, b in items]
    return {"services": {s: {"depends_on": w.deps[s]} for s in services}, "payloads": payloads, "truth": truth,
            "seed": cfg.seed}


def write(out: Path, cfg: CauseConfig) -> dict[str, Any]:
    """``out/causes/``: services.yaml, payloads.jsonl (``{"at", "body"}`` per line), truth.json."""
    data = generate(cfg)
    folder = out / "causes"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "services.yaml").write_text("".join(f"{s}:\n  depends_on: [{', '.join(b['depends_on'])}]\n"
                                                  for s, b in data["services"].items()))
    with (folder / "payloads.jsonl").open("w") as fh:
        for p in data["payloads"]:
            fh.write(json.dumps(p) + "\n")
    (folder / "truth.json").write_text(json.dumps({"seed": cfg.seed, "incidents": data["truth"]}, indent=1))
    kinds: dict[str, int] = {}
    for x in data["truth"]:
        kinds[x["kind"]] = kinds.get(x["kind"], 0) + 1
    return {"folder": str(folder), "incidents": len(data["truth"]), "payloads": len(data["payloads"]), "kinds": kinds}
