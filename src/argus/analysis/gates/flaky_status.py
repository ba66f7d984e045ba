"""Which failing tests are known to be flaky, asked of the flaky analysis (:mod:`argus.analysis.flaky.service`).

Known flaky = a current FLAKY_TEST insight whose verdict is ``flaky``, or a lifecycle state ACTIVE or
QUARANTINED (set by the analysis or by a person), unless a current BROKEN_TEST insight says the test
is broken by a regression (a real failure must not hide behind an old flaky label). When the flaky
analysis has never run for the project (no flaky/broken insight, no lifecycle state), status is unknown.
Quarantined tests that passed in a build are listed as candidates for release from quarantine.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from argus.analysis.flaky import service as flaky
from argus.analysis.gates.schemas import QuarantinedPass


def known_flaky(session: Session, identities: Sequence[str]) -> set[str] | None:
    """The subset of ``identities`` known to be flaky; ``None`` when flaky status is unknown."""
    status = flaky.flaky_status(session, identities)
    if status is None:
        return None
    return {i for i, s in status.items() if s is flaky.FlakyStatus.FLAKY}


def quarantined_passes(session: Session, run_ids: Sequence[int], limit: int = 200) -> tuple[QuarantinedPass, ...]:
    """Quarantined tests that passed in the build's runs and failed in none of them (release candidates).

    A quarantine that skips the test at run time leaves no pass to see: only tests the build still
    ran (and whose result was ignored) can appear.
    """
    return tuple(QuarantinedPass(r.test_case_id, r.identity, r.result_id, r.consecutive_passes, r.quarantined_at)
                 for r in flaky.quarantined_passes(session, run_ids, limit))
