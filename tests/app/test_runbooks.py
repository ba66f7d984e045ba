"""Runbooks and postmortems through the use cases on a real database: indexing (idempotent, changed,
removed, bad files skipped), search, recommendations for an incident (service-graph links, feedback in
the ranking, action tiers), proposals and approvals, postmortem drafts and precedents."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from argus.analysis.incidents.schemas import IncidentState
from argus.analysis.runbooks.readmodels import AcceptedCause, similar_postmortems
from argus.app import incidents as inc_uc
from argus.app import postmortem as pm
from argus.app import runbooks as uc
from argus.app.runtime import ProjectScope, Runtime
from argus.core.enums import AlertSource, EvidenceType, FeedbackVerdict, InsightKind, SubjectType, Support
from argus.core.errors import InputError, NotFoundError
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject
from argus.store.models import Runbook

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "runbooks"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def alerts(rt: Runtime, *items: dict[str, Any], project: str = "shop", at: datetime = T0) -> Any:
    body = json.dumps({"alerts": list(items)}).encode()
    return inc_uc.ingest(rt, inc_uc.IngestRequest(AlertSource.GENERIC, body, "test", project, received_at=at))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    dst = tmp_path / "runbooks"
    shutil.copytree(EXAMPLES, dst)
    return dst


def _incident(rt: Runtime, name: str = "HighErrorRate", service: str = "checkout", summary: str = "",
              at: datetime = T0) -> int:
    out = alerts(rt, {"name": name, "service": service, "severity": "critical", "summary": summary,
                      "starts_at": at.isoformat(), "at": at.isoformat()}, at=at)
    return out.incident_ids[0]


def test_index_is_idempotent_and_follows_changes(runtime: Runtime, folder: Path) -> None:
    first = uc.index(runtime, folder, "shop")
    assert (first.added, first.updated, first.unchanged, first.removed, first.skipped) == (12, 0, 0, 0, ())
    again = uc.index(runtime, folder, "shop")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 12)
    (folder / "disk-full.md").write_text("---\ntitle: Disk full v2\nrisk: high\n---\nfree space\n")
    (folder / "release-process.md").unlink()
    (folder / "sub").mkdir()
    (folder / "sub" / "new.md").write_text("# New one\n1. Restart it\n")
    third = uc.index(runtime, folder, "shop")
    assert (third.added, third.updated, third.unchanged, third.removed) == (1, 1, 10, 1)
    rows = {r.key: r for r in uc.list_runbooks(runtime, "shop")}
    assert "release-process.md" not in rows and rows["disk-full.md"].title == "Disk full v2"
    assert rows["disk-full.md"].risk == "high" and rows["sub/new.md"].actions == ("restart",)


def test_bad_files_are_skipped_with_the_reason_and_keep_their_previous_version(runtime: Runtime, folder: Path) -> None:
    runtime.settings.runbooks.max_file_bytes = 5000
    uc.index(runtime, folder, "shop")
    (folder / "disk-full.md").write_text("---\ntitle: [broken\n---\nbody")
    (folder / "binary.md").write_bytes(b"\x89PNG\0\0\0binary")
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "huge.md").write_text("x" * 6000)
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.md").write_text("# hidden")
    (folder / "notes.txt").write_text("not markdown")
    out = uc.index(runtime, folder, "shop")
    reasons = {s.path: s.reason for s in out.skipped}
    assert set(reasons) == {"disk-full.md", "binary.md", "latin1.md", "huge.md"}
    assert "front-matter is not YAML" in reasons["disk-full.md"] and "binary" in reasons["binary.md"]
    assert "UTF-8" in reasons["latin1.md"] and "max_file_bytes" in reasons["huge.md"]
    assert out.removed == 0
    assert uc.show(runtime, "disk-full.md", "shop").runbook.title == "Disk or volume full"


def test_missing_folder_and_no_setting(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        uc.index(runtime, tmp_path / "nope", "shop")
    with pytest.raises(InputError, match="set \\[runbooks\\] folder"):
        uc.index(runtime, None, "shop")
    runtime.settings.runbooks.folder = str(tmp_path)
    assert uc.index(runtime, None, "shop").added == 0


def test_search_and_show(runtime: Runtime, folder: Path) -> None:
    uc.index(runtime, folder, "shop")
    hits = uc.search(runtime, "pods OOMKilled and restarting", project="shop")
    assert hits[0].runbook.key == "crashloop-oom.md" and "oom" in hits[0].matched_terms
    with pytest.raises(InputError, match="no searchable words"):
        uc.search(runtime, "the of", project="shop")
    assert uc.show(runtime, "crashloop-oom", "shop").runbook.key == "crashloop-oom.md"
    with pytest.raises(NotFoundError):
        uc.show(runtime, "nope.md", "shop")


def test_recommendations_for_an_incident_with_links_and_feedback(runtime: Runtime, folder: Path, tmp_path: Path) -> None:
    uc.index(runtime, folder, "shop")
    services = tmp_path / "services.yaml"
    services.write_text("checkout:\n  runbooks: [queue-consumer-stuck.md, https://wiki.example.com/checkout]\n")
    inc_uc.load_services(runtime, services, "shop")
    iid = _incident(runtime, summary="5xx errors after the deploy of release 42")
    rec = uc.recommend(runtime, uc.RecommendRequest(iid, "shop"))
    keys = [r.runbook.key for r in rec.items]
    assert keys[0] == "rollback-bad-deploy.md"
    assert rec.unindexed_links == ("https://wiki.example.com/checkout",)
    top = rec.items[0]
    assert top.risk == "medium" and top.expected_impact.startswith("Error rate back to baseline")
    (action,) = top.actions
    assert action.kind == "rollback" and action.status == "suggested" and action.target == "checkout"
    # medium risk: never less cautious than PRE_APPROVAL, and never AUTONOMOUS
    assert action.review_tier in ("pre_approval", "human_required")
    # hypothesis text can steer the same function
    steered = uc.recommend(runtime, uc.RecommendRequest(iid, "shop", extra_text="consumer lag backlog queue"))
    assert steered.items[0].runbook.key == "queue-consumer-stuck.md" and steered.items[0].linked
    # feedback: the success rate multiplies the score by 0.5 + rate (1.0 unrated)
    second = keys[1]
    before = {r.runbook.key: r.score for r in rec.items}
    for i in range(4):
        other = _incident(runtime, service=f"svc{i}", at=T0 + timedelta(hours=i + 1))
        uc.feedback(runtime, other, keys[0], False, "cli:t", project="shop")
        uc.feedback(runtime, other, second, True, "cli:t", project="shop")
    after = uc.recommend(runtime, uc.RecommendRequest(iid, "shop"))
    scores = {r.runbook.key: r.score for r in after.items}
    assert scores[keys[0]] == pytest.approx(before[keys[0]] * (0.5 + 1 / 6), rel=1e-3)
    assert scores[second] == pytest.approx(before[second] * (0.5 + 5 / 6), rel=1e-3)
    view = {r.key: r for r in uc.list_runbooks(runtime, "shop")}[keys[0]]
    assert (view.helped, view.not_helped, view.success_rate) == (0, 4, pytest.approx(1 / 6, abs=1e-4))
    # a new verdict on the same pair replaces the old one
    done = uc.feedback(runtime, iid, keys[0], True, "cli:t", project="shop")
    assert (done.helped_total, done.not_helped_total) == (1, 4)
    done = uc.feedback(runtime, iid, keys[0], False, "cli:t", project="shop")
    assert (done.helped_total, done.not_helped_total) == (0, 5)


def test_actions_are_proposed_then_approved_never_executed(runtime: Runtime, folder: Path) -> None:
    uc.index(runtime, folder, "shop")
    iid = _incident(runtime, summary="5xx errors after the deploy of release 42")
    rec = uc.recommend(runtime, uc.RecommendRequest(iid, "shop", propose=True, actor="cli:alice"))
    assert rec.proposed >= 1
    again = uc.recommend(runtime, uc.RecommendRequest(iid, "shop", propose=True, actor="cli:alice"))
    assert again.proposed == 0  # idempotent
    rows = uc.actions(runtime, iid, project="shop")
    assert {a.status for a in rows} == {"proposed"} and all(a.proposed_by == "cli:alice" for a in rows)
    assert all(a.review_tier != "autonomous" for a in rows)
    rollback = next(a for a in rows if a.kind == "rollback")
    done = uc.decide(runtime, rollback.id, True, "cli:bob", "go", "shop")
    assert (done.status, done.decided_by, done.executed) == ("approved", "cli:bob", False)
    with pytest.raises(InputError, match="already approved"):
        uc.decide(runtime, rollback.id, False, "cli:bob", project="shop")
    with pytest.raises(NotFoundError):
        uc.decide(runtime, 424242, True, "cli:bob", project="shop")
    shown = uc.recommend(runtime, uc.RecommendRequest(iid, "shop"))
    assert any(a.status == "approved" and a.decided_by == "cli:bob" for r in shown.items for a in r.actions)


def test_postmortem_draft_cause_sources_and_precedent(runtime: Runtime, folder: Path) -> None:
    uc.index(runtime, folder, "shop")
    iid = _incident(runtime, "QueueBacklog", "orders", "consumer lag growing on orders-events")
    inc_uc.transition(runtime, inc_uc.TransitionRequest(iid, IncidentState.ACKNOWLEDGED, "cli:alice",
                                                        project="shop"))
    uc.feedback(runtime, iid, "queue-consumer-stuck.md", True, "cli:alice", "restarted consumers", "shop")
    alerts(runtime, {"name": "QueueBacklog", "service": "orders", "status": "resolved", "at": (T0 + timedelta(minutes=30)).isoformat(),
                     "ends_at": (T0 + timedelta(minutes=30)).isoformat()}, at=T0 + timedelta(minutes=30))
    with pytest.raises(NotFoundError):
        pm.get(runtime, iid, "shop")
    first = pm.write(runtime, pm.PostmortemRequest(iid, "cli:alice", "shop", follow_ups=("Alert on lag earlier",)))
    assert first.created and first.cause is None and first.cause_source == "none"
    md = first.markdown
    for part in ("# Postmortem: incident", "## Impact", "## Timeline (UTC)", "## Cause", "Cause not recorded",
                 "## What was tried", "queue-consumer-stuck.md", "helped", "## Follow-up actions",
                 "- [ ] Alert on lag earlier", "Record the cause", "QueueBacklog ×1", "→ acknowledged by cli:alice"):
        assert part in md, part
    assert first.facts["mttr_s"] == 1800.0
    # a lifecycle note "cause: …" is picked up on redraft; a person's --cause wins over it
    inc_uc.transition(runtime, inc_uc.TransitionRequest(iid, IncidentState.LEARNED, "cli:alice",
                                                        "cause: poison message blocked the consumer", "shop"))
    noted = pm.write(runtime, pm.PostmortemRequest(iid, "cli:alice", "shop"))
    assert not noted.created and noted.id == first.id
    assert (noted.cause, noted.cause_source) == ("poison message blocked the consumer", "lifecycle_note")
    stated = pm.write(runtime, pm.PostmortemRequest(iid, "cli:bob", "shop", cause="bad message schema"))
    assert (stated.cause, stated.cause_source, stated.author) == ("bad message schema", "person", "cli:bob")
    # a pluggable cause source (the investigation capability's accepted hypothesis)
    def source(session: Any, incident_id: int) -> AcceptedCause:
        return AcceptedCause(f"hypothesis for {incident_id}", "hypothesis", 0.9, ("deployment 7: deploy",))
    plugged = pm.write(runtime, pm.PostmortemRequest(iid, "cli:bob", "shop", cause_source=source))
    assert plugged.cause == f"hypothesis for {iid}" and "deployment 7: deploy" in plugged.markdown
    # the next similar incident finds it as a precedent
    later = _incident(runtime, "QueueBacklog", "orders", "lag again", at=T0 + timedelta(days=2))
    rec = uc.recommend(runtime, uc.RecommendRequest(later, "shop"))
    assert [p.incident_id for p in rec.precedents] == [iid] and rec.precedents[0].same_service
    found = pm.similar(runtime, None, "consumer lag on the events queue", "shop")
    assert found and found[0].incident_id == iid and found[0].similarity > 0.1

    def other_project(scope: ProjectScope) -> Any:
        return similar_postmortems(scope.session, "shop", "orders", "lag")

    with pytest.raises(InputError, match="bound to project"):
        runtime.in_project("other", other_project, create=True)


def test_accepted_hypothesis_insight_is_the_default_cause(runtime: Runtime) -> None:
    from argus.analysis.insights.service import add_feedback, save_insights

    iid = _incident(runtime, "HighLatency", "search")

    def record(scope: ProjectScope) -> None:
        ins = Insight(InsightKind.INCIDENT_HYPOTHESIS, Subject(SubjectType.INCIDENT, str(iid)),
                      "Deployment 7 of search caused it", "s",
                      (Claim("deploy 10 min before", 0.8, (Evidence(EvidenceType.DEPLOYMENT, "7", Support.STRONG,
                                                                    "search → prod"),)),),
                      Confidence(0.8), Provenance("test", "1"))
        (ins_id,) = save_insights(scope.session, [ins])
        add_feedback(scope.session, ins_id, FeedbackVerdict.ACCEPTED, "cli:alice")

    runtime.in_project("shop", record)
    view = pm.write(runtime, pm.PostmortemRequest(iid, "cli:alice", "shop"))
    assert (view.cause, view.cause_source) == ("Deployment 7 of search caused it", "hypothesis")
    assert "deployment 7: search → prod" in view.markdown


def test_runbooks_stay_in_their_project(runtime: Runtime, folder: Path) -> None:
    uc.index(runtime, folder, "shop")
    runtime.in_project("other", lambda s: None, create=True)
    assert uc.list_runbooks(runtime, "other") == ()

    def count(scope: ProjectScope) -> int:
        return len(list(scope.session.scalars(select(Runbook))))

    assert runtime.in_project("shop", count) == 12
    with pytest.raises(NotFoundError):
        uc.recommend(runtime, uc.RecommendRequest(424242, "shop"))


def test_index_the_local_files_services_yaml_links_to(runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "books").mkdir()
    (tmp_path / "books" / "checkout.md").write_text("---\nrisk: low\n---\n# Checkout errors\n1. Roll back the deploy\n")
    (tmp_path / "outside.md").write_text("# nope")
    yaml = tmp_path / "books" / "services.yaml"
    yaml.write_text("checkout:\n  runbooks: [checkout.md, https://wiki.example.com/x, missing.md, ../outside.md]\n")
    out = uc.index(runtime, yaml, "shop")
    assert out.added == 1
    reasons = {s.path: s.reason for s in out.skipped}
    assert "not fetched" in reasons["https://wiki.example.com/x"] and "no such file" in reasons["missing.md"]
    assert "outside the folder" in reasons["../outside.md"]
    assert uc.index(runtime, yaml, "shop").unchanged == 1
    inc_uc.load_services(runtime, yaml, "shop")
    iid = _incident(runtime, "HighErrorRate", "checkout", "errors on checkout")
    (top,) = uc.recommend(runtime, uc.RecommendRequest(iid, "shop")).items
    assert top.runbook.key == "checkout.md" and top.linked and top.service_factor == 1.5
    assert top.actions[0].kind == "rollback" and top.actions[0].risk == "medium"  # kind's risk beats the runbook's
