"""Which failing tests are known to be flaky, read from the flaky analysis' stored insights.

The flaky analysis stores one current FLAKY_TEST insight per test (subject ``test``/identity). When it
has never run for the project (no FLAKY_TEST or BROKEN_TEST insight at all), flaky status is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.core.enums import InsightKind
from argus.store.models import InsightRow


def known_flaky(session: Session, identities: Sequence[str]) -> set[str] | None:
    """The subset of ``identities`` with a current FLAKY_TEST insight; ``None`` when status is unknown."""
    analysed = session.scalars(
        select(InsightRow.id)
        .where(InsightRow.kind.in_((InsightKind.FLAKY_TEST.value, InsightKind.BROKEN_TEST.value)))
        .limit(1)
    ).first()
    if analysed is None:
        return None
    flaky: set[str] = set()
    ids = list(identities)
    for i in range(0, len(ids), 500):
        flaky.update(
            session.scalars(
                select(InsightRow.subject_id).where(
                    InsightRow.kind == InsightKind.FLAKY_TEST.value,
                    InsightRow.subject_type == "test",
                    InsightRow.superseded_by.is_(None),
                    InsightRow.subject_id.in_(ids[i : i + 500]),
                )
            )
        )
    return flaky
