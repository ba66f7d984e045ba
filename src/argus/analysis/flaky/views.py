"""Read side of flaky analysis: list, show, the quarantine list, and manual lifecycle changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.flaky import queries as q
from argus.analysis.flaky.export import QuarantinedTest, pytest_node_id
from argus.analysis.flaky.schemas import LifecycleState
from argus.analysis.insights.schemas import InsightView
from argus.analysis.insights.service import get_insight
from argus.core.clock import utcnow
from argus.core.enums import InsightKind, SubjectType
from argus.core.errors import InputError, NotFoundError
from argus.store.models import FlakyTestState, InsightRow, TestCase, TestResult
from argus.store.session import current_project_id

KINDS = (InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value)


@dataclass(frozen=True)
class TestView:
    """One row of ``argus flaky list``."""

    __test__ = False

    test: str
    label: str | None
    kind: str
    probability: float
    low: float | None
    high: float | None
    action: str | None
    category: str | None
    state: str | None
    wasted_s: float
    review_tier: str
    insight_id: int


def list_tests(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    min_probability: float = 0.0,
    limit: int = 100,
) -> list[TestView]:
    """Current flaky/broken insights with the lifecycle state, highest probability first."""
    stmt = (
        select(InsightRow, FlakyTestState.state)
        .join(TestCase, TestCase.identity == InsightRow.subject_id)
        .outerjoin(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
        .where(
            InsightRow.kind.in_([kind] if kind else KINDS),
            InsightRow.superseded_by.is_(None),
            InsightRow.subject_type == SubjectType.TEST.value,
            InsightRow.confidence >= min_probability,
        )
    )
    if state:
        stmt = stmt.where(FlakyTestState.state == LifecycleState(state).value)
    stmt = stmt.order_by(InsightRow.confidence.desc(), InsightRow.id.desc())
    out: list[TestView] = []
    for row, st in session.execute(stmt):
        data = row.data or {}
        if data.get("verdict") == "stable":  # a "monitor" insight: `flaky analyze` does not call it flaky
            continue
        if len(out) >= limit:
            break
        out.append(
            TestView(
                test=row.subject_id,
                label=row.subject_label,
                kind=row.kind,
                probability=row.confidence,
                low=row.confidence_low,
                high=row.confidence_high,
                action=row.action,
                category=(data.get("category") or {}).get("name"),
                state=st,
                wasted_s=float(data.get("wasted_s") or 0.0),
                review_tier=row.review_tier,
                insight_id=row.id,
            )
        )
    return out


@dataclass(frozen=True)
class TestDetail:
    __test__ = False

    test: str
    name: str
    state: str | None
    state_note: str | None
    manual: bool
    insights: tuple[InsightView, ...]
    #: The latest distinct failure messages (first line, trimmed), newest first.
    messages: tuple[str, ...] = ()


def _case(session: Session, test: str) -> q.CaseInfo:
    info = q.find_case(session, current_project_id(session), test)
    if info is None:
        raise NotFoundError(f"test {test!r} not found in this project (give its full id or a unique name)")
    return info


def show_test(session: Session, test: str) -> TestDetail:
    """The current flaky/broken insights of one test with evidence, and its lifecycle state."""
    info = _case(session, test)
    st = session.scalars(select(FlakyTestState).where(FlakyTestState.test_case_id == info.id)).first()
    ids = session.scalars(
        select(InsightRow.id).where(
            InsightRow.subject_type == SubjectType.TEST.value,
            InsightRow.subject_id == info.identity,
            InsightRow.kind.in_(KINDS),
            InsightRow.superseded_by.is_(None),
        )
    ).all()
    return TestDetail(
        info.identity,
        info.name,
        st.state if st else None,
        st.note if st else None,
        bool(st.manual) if st else False,
        tuple(get_insight(session, i) for i in ids),
        recent_messages(session, info.id),
    )


def recent_messages(session: Session, test_case_id: int, n: int = 3, width: int = 160) -> tuple[str, ...]:
    """Up to ``n`` distinct failure messages of a test, newest first: first line, at most ``width`` chars."""
    rows = session.execute(
        select(TestResult.failure_type, TestResult.message, TestResult.stack)
        .where(TestResult.test_case_id == test_case_id, TestResult.outcome.in_(("failed", "error")))
        .order_by(TestResult.id.desc())
        .limit(50)
    )
    out: list[str] = []
    for ftype, message, stack in rows:
        text = next((ln.strip() for ln in (message or stack or "").splitlines() if ln.strip()), "")
        if ftype and ftype not in text:
            text = f"{ftype}: {text}" if text else ftype
        text = text if len(text) <= width else text[: width - 3] + "..."
        if text and text not in out:
            out.append(text)
        if len(out) >= n:
            break
    return tuple(out)


def set_state(session: Session, test: str, state: str, note: str | None = None, now: datetime | None = None) -> str:
    """Set a test's lifecycle state by hand (e.g. quarantine before Argus would, or record a fix)."""
    try:
        target = LifecycleState(state)
    except ValueError:
        raise InputError(f"unknown state {state!r}: use active, quarantined or fixed") from None
    info = _case(session, test)
    now = now or utcnow()
    row = session.scalars(select(FlakyTestState).where(FlakyTestState.test_case_id == info.id)).first()
    if row is None:
        row = FlakyTestState(project_id=current_project_id(session), test_case_id=info.id, detected_at=now)
        session.add(row)
    row.state = target.value
    row.manual = True
    row.note = note
    row.updated_at = now
    if target is LifecycleState.QUARANTINED:
        row.quarantined_at = now
    if target is LifecycleState.FIXED:
        row.fixed_at = now
    session.flush()
    return info.identity


def quarantine_list(session: Session) -> list[QuarantinedTest]:
    """Tests currently quarantined, most likely flaky first."""
    stmt = (
        select(FlakyTestState, TestCase)
        .join(TestCase, TestCase.id == FlakyTestState.test_case_id)
        .where(FlakyTestState.state == LifecycleState.QUARANTINED.value)
        .order_by(FlakyTestState.probability.desc(), TestCase.identity)
    )
    return [
        QuarantinedTest(
            tc.identity,
            pytest_node_id(tc.identity, tc.file, tc.classname, tc.name),
            st.state,
            st.probability,
            st.category,
            st.quarantined_at,
            tc.classname,
            tc.name,
        )
        for st, tc in session.execute(stmt)
    ]
