"""Which failing tests are known to be flaky, from what the flaky analysis stored.

Known flaky = a current FLAKY_TEST insight whose verdict is ``flaky``, or a lifecycle state ACTIVE or
QUARANTINED (set by the analysis or by a person), unless a current BROKEN_TEST insight says the test
is broken by a regression (a real failure must not hide behind an old flaky label). When the flaky
analysis has never run for the project (no flaky/broken insight, no lifecycle state), status is unknown.
Quarantined tests that passed in a build are listed as candidates for release from quarantine.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from argus.analysis.gates.schemas import QuarantinedPass
from argus.core.enums import InsightKind, Outcome, SubjectType
from argus.store.models import FlakyTestState, InsightRow, TestCase, TestResult

_KINDS = (InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value)
_FLAKY_STATES = ("active", "quarantined")
_FAILING = (Outcome.FAILED.value, Outcome.ERROR.value)


def known_flaky(session: Session, identities: Sequence[str]) -> set[str] | None:
    """The subset of ``identities`` known to be flaky; ``None`` when flaky status is unknown."""
    analysed = session.scalars(select(InsightRow.id).where(InsightRow.kind.in_(_KINDS)).limit(1)).first()
    if analysed is None:
        analysed = session.scalars(select(FlakyTestState.id).limit(1)).first()
    if analysed is None:
        return None
    flaky: set[str] = set()
    broken: set[str] = set()
    ids = list(identities)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for kind, subject, data in session.execute(
            select(InsightRow.kind, InsightRow.subject_id, InsightRow.data).where(
                InsightRow.kind.in_(_KINDS),
                InsightRow.subject_type == SubjectType.TEST.value,
                InsightRow.superseded_by.is_(None),
                InsightRow.subject_id.in_(chunk),
            )
        ):
            if kind == InsightKind.BROKEN_TEST.value:
                broken.add(subject)
            elif (data or {}).get("verdict") == "flaky":
                flaky.add(subject)
        flaky.update(
            session.scalars(
                select(TestCase.identity)
                .join(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
                .where(FlakyTestState.state.in_(_FLAKY_STATES), TestCase.identity.in_(chunk))
            )
        )
    return flaky - broken


def quarantined_passes(session: Session, run_ids: Sequence[int], limit: int = 200) -> tuple[QuarantinedPass, ...]:
    """Quarantined tests that passed in the build's runs and failed in none of them (release candidates).

    A quarantine that skips the test at run time leaves no pass to see: only tests the build still
    ran (and whose result was ignored) can appear.
    """
    if not run_ids:
        return ()
    passed = func.max(case((TestResult.outcome == Outcome.PASSED.value, 1), else_=0))
    failed = func.max(case((TestResult.outcome.in_(_FAILING), 1), else_=0))
    rows = session.execute(
        select(TestCase.id, TestCase.identity, func.max(TestResult.id), FlakyTestState.consecutive_passes,
               FlakyTestState.quarantined_at)
        .join(FlakyTestState, FlakyTestState.test_case_id == TestCase.id)
        .join(TestResult, TestResult.test_case_id == TestCase.id)
        .where(FlakyTestState.state == "quarantined", TestResult.run_id.in_(list(run_ids)))
        .group_by(TestCase.id, TestCase.identity, FlakyTestState.consecutive_passes, FlakyTestState.quarantined_at)
        .having(passed == 1, failed == 0)
        .order_by(TestCase.identity)
        .limit(limit)
    ).all()
    return tuple(QuarantinedPass(tid, name, rid, passes or 0, at) for tid, name, rid, passes, at in rows)
