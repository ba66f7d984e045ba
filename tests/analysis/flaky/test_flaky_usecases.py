"""The flaky use cases (:mod:`argus.app.flaky`) called directly: typed requests in, frozen read models out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from argus.analysis.flaky.lifecycle import LifecycleState, parse_state
from argus.analysis.flaky.readmodels import FlakyAnalysis, FlakyStatus, Quarantine, StateSet, TestShown
from argus.analysis.flaky.service import flaky_status, quarantined_passes
from argus.app import flaky as uc
from argus.app.runtime import Runtime
from argus.core.errors import InputError, NotFoundError
from argus.core.settings import Settings
from argus.store.projects import get_or_create_project
from argus.store.session import scoped_to
from argus.testing.builders import History

FLAKY = "tests/test_api.py::test_fetch"
BROKEN = "tests/test_calc.py::test_total"
OK = "tests/test_ok.py::test_ok"


@pytest.fixture
def runtime(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[Runtime]:
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        b = History(s)
        for i in range(25):
            b.run(f"c{i:02d}", {FLAKY: "FP" if i % 4 == 1 else "P", BROKEN: "F" if i >= 20 else "P", OK: "P"},
                  messages={FLAKY: "TimeoutError: timed out waiting for the queue"})
        s.commit()
    rt = Runtime(settings)
    yield rt
    rt.close()


def test_dry_run_stores_nothing_then_analyze_stores(runtime: Runtime) -> None:
    dry = uc.analyze(runtime, uc.AnalyzeRequest(dry_run=True))
    assert isinstance(dry, FlakyAnalysis) and dry.dry_run and dry.insights_stored == 0
    assert (dry.flaky, dry.broken) == (1, 1)
    assert uc.list_tests(runtime, uc.ListRequest()) == ()
    assert uc.quarantine(runtime, uc.QuarantineRequest()).tests == ()

    res = uc.analyze(runtime, uc.AnalyzeRequest())
    assert res.project == "default" and res.runs == 25 and res.insights_stored == 2
    assert [(t.identity, t.verdict) for t in res.tests] == [(BROKEN, "broken"), (FLAKY, "flaky")]
    assert {c.identity: c.after for c in res.state_changes}[FLAKY] == "quarantined"
    assert res.tests[1].data["verdict"] == "flaky" and res.tests[1].data["category"]["name"] == "async_wait"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.runs = 0  # type: ignore[misc]


def test_list_show_quarantine_and_set_state(runtime: Runtime) -> None:
    uc.analyze(runtime, uc.AnalyzeRequest())
    rows = uc.list_tests(runtime, uc.ListRequest())
    assert {r.test: r.kind for r in rows} == {FLAKY: "flaky_test", BROKEN: "broken_test"}
    assert [r.test for r in uc.list_tests(runtime, uc.ListRequest(kind="broken_test"))] == [BROKEN]
    assert [r.test for r in uc.list_tests(runtime, uc.ListRequest(state=LifecycleState.QUARANTINED))] == [FLAKY]
    assert len(uc.list_tests(runtime, uc.ListRequest(limit=1))) == 1

    shown = uc.show_test(runtime, uc.ShowRequest("test_fetch"))
    assert isinstance(shown, TestShown)
    assert shown.detail.test == FLAKY and shown.detail.state == "quarantined" and not shown.detail.manual
    assert shown.detail.messages == ("AssertionError: TimeoutError: timed out waiting for the queue",)
    assert shown.refs, "the evidence names runs"

    q = uc.quarantine(runtime, uc.QuarantineRequest())
    assert isinstance(q, Quarantine) and q.project == "default" and [t.identity for t in q.tests] == [FLAKY]

    done = uc.set_state(runtime, uc.SetStateRequest("test_total", LifecycleState.QUARANTINED, note="release"))
    assert done == StateSet(BROKEN, LifecycleState.QUARANTINED)
    assert {t.identity for t in uc.quarantine(runtime, uc.QuarantineRequest()).tests} == {FLAKY, BROKEN}
    detail = uc.show_test(runtime, uc.ShowRequest(BROKEN)).detail
    assert (detail.state, detail.state_note, detail.manual) == ("quarantined", "release", True)


def test_errors_are_typed(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError, match="no_such_test"):
        uc.show_test(runtime, uc.ShowRequest("no_such_test"))
    with pytest.raises(NotFoundError):
        uc.set_state(runtime, uc.SetStateRequest("no_such_test", LifecycleState.FIXED))
    with pytest.raises(NotFoundError):
        uc.list_tests(runtime, uc.ListRequest(project="ghost"))
    with pytest.raises(InputError, match="unknown state 'gone'"):
        parse_state("gone")
    assert parse_state("fixed") is LifecycleState.FIXED


def test_flaky_status_for_the_gate(runtime: Runtime, session_factory: sessionmaker[Session]) -> None:
    def status() -> dict[str, FlakyStatus] | None:
        with session_factory() as s:
            scoped_to(s, get_or_create_project(s, "default"))
            return flaky_status(s, [FLAKY, BROKEN, OK, "never.seen::t"])

    assert status() is None  # the analysis never ran: unknown
    uc.analyze(runtime, uc.AnalyzeRequest())
    assert status() == {FLAKY: FlakyStatus.FLAKY, BROKEN: FlakyStatus.BROKEN, OK: FlakyStatus.NOT_FLAKY,
                        "never.seen::t": FlakyStatus.NOT_FLAKY}
    # a flaky lifecycle state set by hand counts, but never over a broken verdict
    uc.set_state(runtime, uc.SetStateRequest(OK, LifecycleState.ACTIVE))
    uc.set_state(runtime, uc.SetStateRequest(BROKEN, LifecycleState.ACTIVE))
    got = status()
    assert got is not None and (got[OK], got[BROKEN]) == (FlakyStatus.FLAKY, FlakyStatus.BROKEN)
    with session_factory() as s:
        scoped_to(s, get_or_create_project(s, "default"))
        assert quarantined_passes(s, []) == []
