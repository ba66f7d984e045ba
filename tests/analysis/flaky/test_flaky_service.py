"""Flaky service against the real database (SQLite, or PostgreSQL with ARGUS_TEST_DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.flaky.lifecycle import LifecycleState
from argus.analysis.flaky.queries import list_tests
from argus.analysis.flaky.queries import quarantined_tests as quarantine_list
from argus.analysis.flaky.service import analyze, set_state, show_test
from argus.core.enums import InsightKind
from argus.core.settings import FlakySettings
from argus.store.models import EvidenceRow, FlakyTestState, InsightRow

FLAKY = "tests/test_api.py::test_fetch"
BROKEN = "tests/test_calc.py::test_total"
STABLE = "tests/test_calc.py::test_sum"
OTHERS = [f"tests/test_misc.py::test_{i}" for i in range(6)]


def _base(**extra: str) -> dict[str, str]:
    return {STABLE: "P", **dict.fromkeys(OTHERS, "P"), **extra}


def build(history, *, flaky_runs: int = 30) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """30 runs: FLAKY fails on some first attempts and passes on retry; BROKEN fails from commit c20 on."""
    ids: dict[str, int] = {}
    for i in range(flaky_runs):
        flaky = "FP" if i % 5 == 2 else "P"
        broken = "FF" if i >= 20 else "P"
        rid = history.run(
            f"c{i:02d}",
            _base(**{FLAKY: flaky, BROKEN: broken}),
            messages={FLAKY: "requests.exceptions.ConnectionError: Connection refused", BROKEN: "assert 41 == 42"},
        )
        ids[f"run{i}"] = rid
    # an infrastructure outage: every test errors at once on a commit that otherwise passes
    ids["outage"] = history.run(
        "c30", {k: "E" for k in [FLAKY, BROKEN, STABLE, *OTHERS]}, messages=dict.fromkeys(OTHERS, "database down")
    )
    return ids


def test_analyze_finds_flaky_and_broken_and_stores_insights(project_session: Session, history) -> None:  # type: ignore[no-untyped-def]
    ids = build(history)
    res = analyze(project_session, FlakySettings())
    by = {a.identity: a for a in res.assessments}
    assert by[FLAKY].verdict.value == "flaky"
    assert by[FLAKY].probability > 0.9
    assert len(by[FLAKY].retry_pass_runs) == 6
    assert by[FLAKY].category.category.value == "network"
    assert by[BROKEN].verdict.value == "broken"
    assert by[BROKEN].broken is not None and by[BROKEN].broken.first_commit == "c20"
    assert by[BROKEN].broken.first_run_id == ids["run20"]
    assert STABLE not in by or by[STABLE].verdict.value == "stable"  # failed only in the outage
    assert res.outage_runs == 1
    kinds = {r.kind: r for r in project_session.scalars(select(InsightRow))}
    assert set(kinds) == {InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value}
    ev = project_session.scalars(
        select(EvidenceRow).where(EvidenceRow.insight_id == kinds["broken_test"].id)
    ).all()
    assert {(e.ref_type, e.ref_id) for e in ev} >= {("test_run", str(ids["run20"])), ("commit", "c20")}
    flaky_ev = project_session.scalars(
        select(EvidenceRow).where(EvidenceRow.insight_id == kinds["flaky_test"].id, EvidenceRow.strength == "strong")
    ).all()
    assert str(ids["run2"]) in {e.ref_id for e in flaky_ev}
    assert str(ids["outage"]) in {e.ref_id for e in flaky_ev}  # the outage exclusion is stated with its run


def test_wasted_time_counts_failed_attempts_and_retries(project_session: Session, history) -> None:  # type: ignore[no-untyped-def]
    build(history)
    res = analyze(project_session, FlakySettings())
    a = next(a for a in res.assessments if a.identity == FLAKY)
    assert a.wasted_runs == 6
    assert a.wasted_s == 12.0  # 6 runs × (failed attempt 1 s + retry 1 s)


def test_lifecycle_quarantine_then_fixed_and_export(project_session: Session, history) -> None:  # type: ignore[no-untyped-def]
    build(history)
    res = analyze(project_session, FlakySettings(fixed_after_passes=10))
    assert any(c.identity == FLAKY and c.after == "quarantined" for c in res.changes)
    q = quarantine_list(project_session)
    assert [t.identity for t in q] == [FLAKY]
    assert q[0].node_id == FLAKY
    listed = list_tests(project_session)
    assert {v.test for v in listed} == {FLAKY, BROKEN}
    assert next(v for v in listed if v.test == FLAKY).state == "quarantined"
    # its last failure was run 27: two passes since; seven more make nine (not yet fixed), one more ten
    for i in range(7):
        history.run(f"d{i}", _base(**{FLAKY: "P", BROKEN: "F"}))
    analyze(project_session, FlakySettings(fixed_after_passes=10))
    st = project_session.scalars(select(FlakyTestState)).one()
    assert st.state == "quarantined" and st.consecutive_passes == 9
    history.run("d9", _base(**{FLAKY: "P", BROKEN: "F"}))
    res = analyze(project_session, FlakySettings(fixed_after_passes=10))
    assert any(c.identity == FLAKY and c.after == "fixed" for c in res.changes)
    assert quarantine_list(project_session) == []


def test_second_analysis_supersedes_previous_insights(project_session: Session, history) -> None:  # type: ignore[no-untyped-def]
    build(history)
    analyze(project_session, FlakySettings())
    analyze(project_session, FlakySettings())
    current = project_session.scalars(select(InsightRow).where(InsightRow.superseded_by.is_(None))).all()
    assert len(current) == 2
    detail = show_test(project_session, "test_fetch")
    assert detail.test == FLAKY and detail.state == "quarantined"
    assert detail.insights[0].evidence


def test_manual_state_and_dry_run(project_session: Session, history) -> None:  # type: ignore[no-untyped-def]
    build(history)
    res = analyze(project_session, FlakySettings(), persist=False)
    assert res.insight_ids == [] and project_session.scalars(select(InsightRow)).first() is None
    set_state(project_session, BROKEN, LifecycleState.QUARANTINED, note="blocking the release")
    assert [t.identity for t in quarantine_list(project_session)] == [BROKEN]


def test_project_scoping(project_session: Session, history) -> None:  # type: ignore[no-untyped-def]
    from argus.store.projects import get_or_create_project
    from argus.store.session import scoped_to

    build(history)
    scoped_to(project_session, get_or_create_project(project_session, "other"))
    res = analyze(project_session, FlakySettings())
    assert res.runs == 0 and res.assessments == []
