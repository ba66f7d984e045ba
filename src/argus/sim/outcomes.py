"""Draw the outcome of every test in one CI job attempt.

Precedence per test: permanently skipped → infrastructure outage (a share of the run errors) →
active regression covering the test (fails, and fails every rerun) → flaky test on a matching
environment (fails with its rate; Surefire reruns each fail again with the same rate, except
order-dependent tests, which pass when rerun in isolation) → pass.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from argus.sim.messages import Text, flaky_template, outage_template, regression_template, render
from argus.sim.model import Dialect, FlakyCategory, FlakySpec, Regression, RunSpec, TestSpec


class Cause(StrEnum):
    OUTAGE = "outage"
    REGRESSION = "regression"
    FLAKY = "flaky"


@dataclass(frozen=True)
class TestFailure:
    """A test that failed at least once in the attempt; ``attempts`` are the failed tries in order."""

    __test__ = False

    attempts: tuple[Text, ...]
    passed_on_rerun: bool  # Surefire only: a rerun passed (the report shows <flakyFailure>)
    cause: Cause
    group: str

    @property
    def final_failed(self) -> bool:
        return not self.passed_on_rerun


def draw(rng: random.Random, run: RunSpec, flaky: dict[int, FlakySpec], regressions: dict[str, Regression],
         reruns: int) -> dict[int, TestFailure]:
    """Failures of ``run`` keyed by test uid (passing and skipped tests are absent)."""
    broken: dict[int, Regression] = {}
    for rid in run.regressions:
        reg = regressions[rid]
        for uid in reg.test_uids:
            broken.setdefault(uid, reg)
    out: dict[int, TestFailure] = {}
    for test in run.tests:
        if test.skip_reason is not None:
            continue
        tries = 1 + (reruns if test.dialect is Dialect.SUREFIRE else 0)
        src = test.modules[0]
        if run.outage is not None and rng.random() < run.outage.share:
            exc, tpl = outage_template(run.outage.kind, test.dialect)
            texts = tuple(render(rng, test, exc, tpl, {"host": run.outage.host}, True, src) for _ in range(tries))
            out[test.uid] = TestFailure(texts, False, Cause.OUTAGE, f"{run.outage.group}-{test.dialect.value}")
            continue
        hit = broken.get(test.uid)
        if hit is not None:
            exc, tpl = regression_template(test.dialect, int(hit.detail["template"]))
            error = _is_error(test, exc)
            texts = tuple(render(rng, test, exc, tpl, hit.detail, error, hit.source) for _ in range(tries))
            out[test.uid] = TestFailure(texts, False, Cause.REGRESSION, hit.group)
            continue
        spec = flaky.get(test.uid)
        if spec is None or not _env_matches(spec, run.environment) or rng.random() >= spec.rate:
            continue
        variant = int(spec.group.rsplit("-", 1)[1])
        exc, tpl = flaky_template(spec.category, test.dialect, variant)
        error = _is_error(test, exc)
        texts_l = [render(rng, test, exc, tpl, {}, error, src)]
        passed = False
        for _ in range(tries - 1):
            if spec.category is FlakyCategory.ORDER or rng.random() >= spec.rate:
                passed = True
                break
            texts_l.append(render(rng, test, exc, tpl, {}, error, src))
        out[test.uid] = TestFailure(tuple(texts_l), passed, Cause.FLAKY, spec.group)
    return out


def _is_error(test: TestSpec, exc: str) -> bool:
    """Surefire reports non-assertion exceptions as <error>; pytest reports any exception in the call as <failure>."""
    return test.dialect is Dialect.SUREFIRE and "Assertion" not in exc


def _env_matches(spec: FlakySpec, env: dict[str, str]) -> bool:
    return spec.environment is None or env.get(spec.environment[0]) == spec.environment[1]


def regression_detail(rng: random.Random, test: TestSpec, module: str) -> dict[str, str]:
    """The values that stay fixed across all failures of one regression (function, field ...)."""
    fields = ("currency", "amount", "owner_id", "created_at", "status", "quantity", "region")
    field = rng.choice(fields)
    return {
        "template": str(rng.randint(0, 9)), "func": f"{module}.process", "module": module, "field": field,
        "Field": field.title().replace("_", ""), "cls": test.classname.rsplit(".", 1)[-1].removesuffix("Test"),
    }
