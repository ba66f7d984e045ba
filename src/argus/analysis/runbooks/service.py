"""Index runbooks, search and recommend them, take feedback, propose and decide actions (the caller
owns the transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents.service import load_graph
from argus.analysis.runbooks import algo
from argus.analysis.runbooks.insights import action_insight, action_tier
from argus.analysis.runbooks.queries import feedback_counts, find_runbook, runbook_view
from argus.analysis.runbooks.readmodels import (
    ActionDecision,
    FeedbackDone,
    IndexOutcome,
    ProposedAction,
    Recommendation,
    Recommendations,
    SearchHit,
    SkippedFile,
    similar_postmortems,
)
from argus.analysis.runbooks.schemas import ACTION_RISK, ActionKind, ActionStatus, Candidate, Risk, parse_risk
from argus.core.clock import utcnow
from argus.core.errors import InputError, NotFoundError
from argus.core.hashing import sha256_bytes
from argus.core.settings import RunbookSettings
from argus.store.models import Alert, Incident, Runbook, RunbookAction, RunbookFeedback
from argus.store.session import current_project_id

SUFFIXES = (".md", ".markdown")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _read(path: Path, key: str, cfg: RunbookSettings) -> bytes | SkippedFile:
    size = path.stat().st_size
    if size > cfg.max_file_bytes:
        return SkippedFile(key, f"{size} bytes, larger than max_file_bytes {cfg.max_file_bytes}")
    data = path.read_bytes()
    if b"\0" in data:
        return SkippedFile(key, "binary file (NUL bytes), not Markdown")
    return data


def index_folder(session: Session, cfg: RunbookSettings, folder: Path) -> IndexOutcome:
    """Index every Markdown file of ``folder`` (recursively; hidden folders skipped); see :func:`index_files`."""
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    items = [(p.relative_to(folder).as_posix()[:500], p) for p in _files(folder)]
    return index_files(session, cfg, str(folder.resolve()), items)


def index_files(session: Session, cfg: RunbookSettings, source: str, items: Sequence[tuple[str, Path]],
                skipped: Sequence[SkippedFile] = ()) -> IndexOutcome:
    """Index ``items`` (key, file) as the runbooks of ``source`` (a folder, or a services.yaml).
    Idempotent: an unchanged file is left alone, a changed one updated, a runbook of ``source`` no longer
    among the items marked absent (its feedback kept); a bad file is skipped with the reason and its
    previous version kept."""
    default_risk = parse_risk(cfg.default_risk, "[runbooks] default_risk")
    pid = current_project_id(session)
    stored = {r.key: r for r in session.scalars(select(Runbook))}
    seen: set[str] = set()
    skips: list[SkippedFile] = list(skipped)
    added = updated = unchanged = 0
    for key, path in items:
        seen.add(key)
        data = _read(path, key, cfg)
        if isinstance(data, SkippedFile):
            skips.append(data)
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            skips.append(SkippedFile(key, f"not UTF-8 text (byte {exc.start})"))
            continue
        digest = sha256_bytes(data + f"\0{default_risk.value}".encode())
        row = stored.get(key)
        if row is not None and row.content_hash == digest and row.present and row.source == source:
            unchanged += 1
            continue
        try:
            doc = algo.parse_runbook(text, key, default_risk)
        except InputError as exc:
            skips.append(SkippedFile(key, str(exc)))
            continue
        fields = dict(title=doc.title, source=source, url=doc.url, services=list(doc.services), tags=list(doc.tags),
                      risk=doc.risk.value, impact=doc.impact, body=doc.body, tokens=algo.document_tokens(doc),
                      actions=[{"kind": a.kind.value, "description": a.description, "target": a.target,
                                "risk": a.risk.value if a.risk else None, "declared": a.declared} for a in doc.actions],
                      content_hash=digest, warnings=list(doc.warnings), indexed_at=utcnow(), present=True)
        if row is None:
            session.add(Runbook(project_id=pid, key=key, **fields))
            added += 1
        else:
            for k, v in fields.items():
                setattr(row, k, v)
            updated += 1
    removed = 0
    for key, row in stored.items():
        if key not in seen and row.present and row.source == source:
            row.present = False
            removed += 1
    session.flush()
    return IndexOutcome(source, added, updated, unchanged, removed, tuple(skips))


def _linked(links: Sequence[str], rows: Sequence[Runbook]) -> tuple[set[int], list[str]]:
    """Runbooks named by service-graph links (by key, URL or file name), and the links naming none."""
    ids: set[int] = set()
    missing = []
    for link in links:
        hit = [r.id for r in rows if link == r.key or (r.url and link == r.url) or link.endswith("/" + r.key)
               or link.rsplit("/", 1)[-1] in (r.key.rsplit("/", 1)[-1], r.key.rsplit("/", 1)[-1].rsplit(".", 1)[0])]
        ids.update(hit)
        if not hit:
            missing.append(link)
    return ids, missing


def _candidates(session: Session, services: Sequence[str]) -> tuple[list[Runbook], list[Candidate], list[str]]:
    rows = list(session.scalars(select(Runbook).where(Runbook.present.is_(True)).order_by(Runbook.id)))
    graph = load_graph(session)
    links = list(dict.fromkeys(link for s in services for link in (graph[s].runbooks if s in graph else ())))
    linked, missing = _linked(links, rows)
    counts = feedback_counts(session)
    cands = [Candidate(r.id, tuple(r.tokens), frozenset(r.services), r.id in linked, *counts.get(r.id, (0, 0)))
             for r in rows]
    return rows, cands, missing


def _rank(cfg: RunbookSettings, cands: list[Candidate], text: str, services: Sequence[str]) -> list[algo.Ranked]:
    return algo.rank(cands, algo.tokenize(text), services, k1=cfg.bm25_k1, b=cfg.bm25_b,
                     prior_helped=cfg.prior_helped, prior_not_helped=cfg.prior_not_helped,
                     service_boost=cfg.service_boost, other_service_penalty=cfg.other_service_penalty)


def search(session: Session, cfg: RunbookSettings, text: str, service: str | None = None,
           limit: int = 10) -> list[SearchHit]:
    """Runbooks ranked for free text (and a service), best first."""
    if not algo.tokenize(text):
        raise InputError("query: no searchable words (stop words and punctuation only)")
    services = [service] if service else []
    rows, cands, _ = _candidates(session, services)
    by_id = {r.id: r for r in rows}
    counts = feedback_counts(session)
    return [SearchHit(runbook_view(by_id[x.id], counts.get(x.id, (0, 0)), cfg), x.score, x.bm25, x.service_factor,
                      x.match, x.matched_terms) for x in _rank(cfg, cands, text, services)[:limit]]


def incident_text(inc: Incident, alerts: Sequence[Alert]) -> str:
    """The query of an incident: its title, services, alert names, summaries and label values."""
    parts = [inc.title, *inc.services]
    for a in alerts:
        parts += [a.name, a.service or "", a.summary or ""]
        parts += [str(v) for k, v in sorted((a.labels or {}).items()) if isinstance(v, (str, int, float))
                  and k not in ("fingerprint", "instance", "pod", "job_id")]
    return " ".join(p for p in parts if p)


def recommend_for_text(session: Session, cfg: RunbookSettings, incident_id: int, text: str,
                       services: Sequence[str], alerts: Sequence[Alert] = (), top: int | None = None) -> list[Recommendation]:
    """Runbooks for ``text`` (an incident's text, and later its hypotheses' text) and ``services``, each
    with risk, expected impact and its actions' review tiers (stored proposals shown with their status)."""
    rows, cands, _ = _candidates(session, services)
    by_id = {r.id: r for r in rows}
    counts = feedback_counts(session)
    stored = {(a.runbook_id, a.position): a for a in session.scalars(
        select(RunbookAction).where(RunbookAction.incident_id == incident_id))}
    wanted = set(services)
    linked = {c.id: c.linked for c in cands}
    out = []
    for n, x in enumerate(_rank(cfg, cands, text, services)[: top or cfg.top], start=1):
        r = by_id[x.id]
        for_service = x.service_factor > 1.0 or bool(wanted & set(r.services))
        actions = []
        for pos, spec in enumerate(r.actions):
            kind = ActionKind(spec["kind"])
            risk = Risk(spec["risk"]) if spec.get("risk") else _action_risk(kind, Risk(r.risk))
            ins = action_insight(incident_id, r.title, spec["description"], x.confidence, x.match, for_service,
                                 x.matched_terms, alerts)
            tier = action_tier(ins, risk)
            done = stored.get((r.id, pos))
            actions.append(ProposedAction(kind.value, spec["description"], spec.get("target") or (services[0] if services else None),
                                          risk.value, x.confidence, tier.value,
                                          done.status if done else "suggested", done.id if done else None,
                                          done.decided_by if done else None, done.decided_at if done else None))
        out.append(Recommendation(n, runbook_view(r, counts.get(r.id, (0, 0)), cfg), x.score, x.bm25, x.service_factor,
                                  x.match, x.confidence, r.risk, r.impact or "not stated in the runbook",
                                  x.matched_terms, linked[x.id], tuple(actions)))
    return out


def _action_risk(kind: ActionKind, runbook_risk: Risk) -> Risk:
    """The more severe of the runbook's risk and the kind's default risk."""
    order = list(Risk)
    return max(runbook_risk, ACTION_RISK[kind], key=order.index)


def get_incident(session: Session, incident_id: int) -> Incident:
    inc = session.get(Incident, incident_id)
    if inc is None or inc.project_id != current_project_id(session):
        raise NotFoundError(f"incident {incident_id} not found")
    return inc


def recommend(session: Session, cfg: RunbookSettings, incident_id: int, extra_text: str | None = None,
              top: int | None = None) -> Recommendations:
    """Recommendations for one incident (its text, plus ``extra_text`` such as hypotheses), with the
    service graph's unindexed links and similar past postmortems."""
    inc = get_incident(session, incident_id)
    alerts = list(session.scalars(select(Alert).where(Alert.incident_id == inc.id).order_by(Alert.starts_at, Alert.id)))
    text = incident_text(inc, alerts) + (f" {extra_text}" if extra_text else "")
    services = list(inc.services) or ([inc.service] if inc.service else [])
    items = recommend_for_text(session, cfg, inc.id, text, services, alerts, top)
    _, _, missing = _candidates(session, services)
    prec = similar_postmortems(session, None, inc.service, text, min_similarity=cfg.precedent_min_similarity,
                               exclude_incident=inc.id)
    return Recommendations(inc.id, text[:2000], tuple(services), tuple(items), tuple(missing), tuple(prec))


def propose(session: Session, cfg: RunbookSettings, incident_id: int, actor: str,
            top: int | None = None) -> Recommendations:
    """Store the actions of the recommended runbooks that match at least ``propose_min_match`` of the
    query as proposals (status ``proposed``; idempotent)."""
    rec = recommend(session, cfg, incident_id, top=top)
    pid = current_project_id(session)
    made = 0
    for item in rec.items:
        if item.match < cfg.propose_min_match:
            continue
        for pos, a in enumerate(item.actions):
            if a.id is not None:
                continue
            session.add(RunbookAction(project_id=pid, incident_id=incident_id, runbook_id=item.runbook.id, position=pos,
                                      kind=a.kind, description=a.description, target=a.target, risk=a.risk,
                                      confidence=a.confidence, review_tier=a.review_tier,
                                      status=ActionStatus.PROPOSED.value, proposed_by=actor, proposed_at=utcnow()))
            made += 1
    session.flush()
    return replace(recommend(session, cfg, incident_id, top=top), proposed=made)


def decide(session: Session, action_id: int, approve: bool, actor: str, note: str | None = None) -> ActionDecision:
    """Approve or reject a proposed action: records who and when. Nothing is executed."""
    a = session.get(RunbookAction, action_id)
    if a is None or a.project_id != current_project_id(session):
        raise NotFoundError(f"action {action_id} not found (argus runbooks actions)")
    if a.status != ActionStatus.PROPOSED.value:
        raise InputError(f"action {action_id} is already {a.status} by {a.decided_by}")
    a.status = (ActionStatus.APPROVED if approve else ActionStatus.REJECTED).value
    a.decided_by, a.decided_at, a.note = actor, utcnow(), note
    session.flush()
    return ActionDecision(a.id, a.incident_id, a.kind, a.status, a.review_tier, actor, a.decided_at)


def feedback(session: Session, cfg: RunbookSettings, incident_id: int, runbook_ref: str, helped: bool, actor: str,
             note: str | None = None) -> FeedbackDone:
    """Record whether a runbook helped with an incident (one verdict per pair: a new one replaces it)."""
    inc = get_incident(session, incident_id)
    rb = find_runbook(session, runbook_ref)
    row = session.scalar(select(RunbookFeedback).where(RunbookFeedback.incident_id == inc.id,
                                                       RunbookFeedback.runbook_id == rb.id))
    if row is None:
        session.add(RunbookFeedback(project_id=inc.project_id, incident_id=inc.id, runbook_id=rb.id, helped=helped,
                                    actor=actor, note=note, at=utcnow()))
    else:
        row.helped, row.actor, row.note, row.at = helped, actor, note, utcnow()
    session.flush()
    h, n = feedback_counts(session).get(rb.id, (0, 0))
    return FeedbackDone(inc.id, rb.id, helped, actor, h, n,
                        round(algo.success_rate(h, n, cfg.prior_helped, cfg.prior_not_helped), 4))
