"""Optional LLM drafts of hypotheses (Anthropic Messages API, or any OpenAI-compatible chat endpoint:
the clients of :mod:`argus.core.llm`, built from the investigation's own settings).

The model sees a compact text of the snapshot and answers JSON: ``[{"kind": deploy|config|upstream|
capacity, "service": NAME, "statement": TEXT}]``. Each draft becomes a hypothesis of kind ``llm``
whose evidence is only what the snapshot holds for that kind and service (a draft about nothing in
the snapshot has no evidence); the same rules score it, and it can never acknowledge an incident.
"""

from __future__ import annotations

import json
import re

from argus.analysis.investigation.schemas import Ev, Hypothesis, HypothesisKind, InvestigationParams, Snapshot
from argus.core.llm import AnthropicClient, Messages, ModelClient

SYSTEM = ("You are assisting an on-call engineer. From the incident context, propose up to 5 root-cause "
          "hypotheses. Answer only a JSON list of objects with keys kind (one of deploy, config, upstream, "
          "capacity), service and statement.")


def draft_client(provider: str, base_url: str, model: str, api_key: str | None,
                 timeout_s: float) -> ModelClient | AnthropicClient:
    """The client of the investigation's settings (``investigation.llm_*``): ``anthropic``, else an
    OpenAI-compatible endpoint. Anthropic's default temperature (none sent), as the drafts always had."""
    if provider == "anthropic":
        return AnthropicClient(base_url, model, api_key, timeout_s, temperature=None)
    return ModelClient(base_url, model, api_key, timeout_s)


def draft_messages(s: Snapshot) -> Messages:
    """The system prompt and the snapshot's text, as chat messages."""
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": context_text(s)}]


def context_text(s: Snapshot) -> str:
    lines = [f"Incident {s.incident_id}: {s.title}; services {', '.join(s.services) or '-'}; opened "
             f"{s.opened_at:%Y-%m-%d %H:%M} UTC.",
             f"Upstream: {', '.join(sorted(s.upstream)) or '-'}. Downstream: {', '.join(sorted(s.downstream)) or '-'}."]
    lines += [f"Change: {c.kind} of {c.service} at {c.at:%H:%M} ({c.relation})" for c in s.changes[:20]]
    lines += [f"Alert: {a.name} on {a.service} at {a.starts_at:%H:%M} ({a.relation}, {a.severity})"
              for a in s.alerts[:30]]
    lines += [f"Similar past incident {p.ref}: {p.title}; cause {p.cause or 'unknown'}" for p in s.precedents[:5]]
    return "\n".join(lines)


def parse_drafts(text: str) -> list[tuple[str, str, str]]:
    """(kind, service, statement) of the model's answer; whatever does not parse is dropped."""
    m = re.search(r"\[.*\]", text, re.S)
    if not m:
        return []
    try:
        items = json.loads(m.group(0))
    except ValueError:
        return []
    out = []
    for it in items if isinstance(items, list) else []:
        if not isinstance(it, dict):
            continue
        kind, svc, st = str(it.get("kind", "")).lower(), str(it.get("service", "")), str(it.get("statement", ""))
        if kind in ("deploy", "config", "upstream", "capacity") and svc:
            out.append((kind, svc[:200], st[:300]))
    return out[:5]


def drafts_to_hypotheses(drafts: list[tuple[str, str, str]], s: Snapshot, p: InvestigationParams,
                         model: str) -> list[Hypothesis]:
    """Ground each draft in the snapshot: evidence is only the snapshot's items of that kind and service."""
    from argus.analysis.investigation.algo import temporal_score

    symptom = min((a.starts_at for a in s.alerts if a.in_incident), default=s.opened_at)
    out = []
    for i, (kind, svc, statement) in enumerate(drafts):
        ev: list[Ev] = []
        temporal = None
        alerts = [a for a in s.alerts if a.service == svc]
        sigma = max((a.sigma for a in alerts if a.sigma is not None), default=None)
        if kind in ("deploy", "config"):
            chs = [c for c in s.changes if c.service == svc and c.at <= symptom and
                   (c.kind == "config") == (kind == "config")]
            if chs:
                c = chs[-1]
                gap = (symptom - c.at).total_seconds() / 60
                temporal = temporal_score(gap, p.temporal_config if kind == "config" else p.temporal_deploy_close, p)
                ev.append(Ev("deployment", c.ref, "moderate", f"{c.kind} of {svc} {gap:.0f} min before", "deployment",
                             c.at))
        elif kind == "capacity":
            alerts = [a for a in alerts if a.saturation]
        ev += [Ev("alert", a.ref, "weak", f"{a.name} on {svc}", "alert", a.starts_at) for a in alerts[:3]]
        out.append(Hypothesis(f"llm:{i + 1}", HypothesisKind.LLM, f"{kind}:{svc}", svc,
                              f"Drafted: {statement or kind + ' on ' + svc}"[:300], tuple(ev), sigma, temporal,
                              drafted_by=model))
    return out
