"""Failure messages and stack traces typical of each root cause, per dialect.

Each root-cause group has one message template; every occurrence fills its placeholders with fresh
numbers/ids/paths, so failures of one cause share wording but are not identical strings (what a
failure-clustering algorithm has to see through). ``template_text`` gives the template with
placeholders shown as ``<*>`` (the ground truth's form).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from argus.sim.model import Dialect, FlakyCategory, OutageKind, TestSpec

# (exception type, message template, is_error) per (category, dialect, variant 1|2)
_FLAKY: dict[tuple[FlakyCategory, Dialect], tuple[tuple[str, str], tuple[str, str]]] = {
    (FlakyCategory.TIMING, Dialect.PYTEST): (
        ("TimeoutError", "condition not met within {s}.0s: job {id} still in state 'pending'"),
        ("AssertionError", "websocket did not receive 'order.updated' within {ms} ms (received {n} frames)")),
    (FlakyCategory.TIMING, Dialect.SUREFIRE): (
        ("org.awaitility.core.ConditionTimeoutException",
         "Condition with lambda expression in {cls} was not fulfilled within {s} seconds."),
        ("java.util.concurrent.TimeoutException", "Waited {ms} milliseconds for CompletableFuture@{hex}")),
    (FlakyCategory.ORDER, Dialect.PYTEST): (
        ("AssertionError", "assert {n} == 0 : table 'ledger_entries' not empty ({n} rows left by another test)"),
        ("KeyError", "'handler-{id}' (registry was reset by a previous test)")),
    (FlakyCategory.ORDER, Dialect.SUREFIRE): (
        ("org.opentest4j.AssertionFailedError", "expected: <0> but was: <{n}>"),
        ("java.lang.IllegalStateException", "Registry already initialised with {n} entries")),
    (FlakyCategory.NETWORK, Dialect.PYTEST): (
        ("requests.exceptions.ReadTimeout",
         "HTTPSConnectionPool(host='sandbox.payments.example', port=443): Read timed out. (read timeout={s})"),
        ("requests.exceptions.ConnectionError",
         "HTTPSConnectionPool(host='geo.partner.example', port=443): Max retries exceeded with url: /v2/lookup?id={id}"
         " (Caused by NewConnectionError('Failed to establish a new connection: [Errno 110] Connection timed out'))")),
    (FlakyCategory.NETWORK, Dialect.SUREFIRE): (
        ("java.net.SocketTimeoutException", "Read timed out after {ms} ms (sandbox.payments.example:443)"),
        ("java.net.ConnectException", "Failed to connect to geo.partner.example/203.0.113.{n}:443")),
    (FlakyCategory.RESOURCE, Dialect.PYTEST): (
        ("OSError", "[Errno 24] Too many open files: '/tmp/pytest-of-runner/pytest-{n}/export-{id}.json'"),
        ("MemoryError", "Unable to allocate {n}.0 MiB for an array with shape ({id},) and data type float64")),
    (FlakyCategory.RESOURCE, Dialect.SUREFIRE): (
        ("java.lang.OutOfMemoryError", "Java heap space"),
        ("java.net.BindException", "Address already in use: bind (port {port})")),
    (FlakyCategory.RANDOMNESS, Dialect.PYTEST): (
        ("AssertionError", "assert 0.0{n} < 0.05 : sampled error rate too high (seed {id})"),
        ("AssertionError", "generated reference 'REF-{id}' collides with an existing one")),
    (FlakyCategory.RANDOMNESS, Dialect.SUREFIRE): (
        ("org.opentest4j.AssertionFailedError", "expected: <[id-{n}, id-{id}]> but was: <[id-{id}, id-{n}]>"),
        ("java.lang.AssertionError", "Random fixture produced duplicate key {id}")),
    (FlakyCategory.TIME, Dialect.PYTEST): (
        ("AssertionError", "assert '2026-01-{d}' == '2026-01-{d1}' (date computed in UTC, expected Europe/Berlin)"),
        ("AssertionError", "token expired {s} seconds early (clock moved during the test)")),
    (FlakyCategory.TIME, Dialect.SUREFIRE): (
        ("org.opentest4j.AssertionFailedError", "expected: <2026-01-{d}> but was: <2026-01-{d1}>"),
        ("java.lang.AssertionError", "expected duration PT24H but was PT23H (zone Europe/Berlin, day {d})")),
    (FlakyCategory.CONCURRENCY, Dialect.PYTEST): (
        ("AssertionError", "assert {n} == 10000 : lost updates with 8 concurrent writers"),
        ("psycopg.errors.DeadlockDetected",
         "deadlock detected DETAIL: Process {id} waits for ShareLock on transaction {n}")),
    (FlakyCategory.CONCURRENCY, Dialect.SUREFIRE): (
        ("java.util.ConcurrentModificationException", "modified while iterating over {n} pending events"),
        ("org.postgresql.util.PSQLException",
         "ERROR: deadlock detected Detail: Process {id} waits for ShareLock on transaction {n}")),
}

_OUTAGE: dict[tuple[OutageKind, Dialect], tuple[str, str]] = {
    (OutageKind.DATABASE_DOWN, Dialect.PYTEST): (
        "psycopg.OperationalError",
        'connection to server at "postgres" (10.0.{n}.{m}), port 5432 failed: Connection refused'),
    (OutageKind.DATABASE_DOWN, Dialect.SUREFIRE): (
        "org.postgresql.util.PSQLException",
        "Connection to postgres:5432 refused. Check that the hostname and port are correct and that the "
        "postmaster is accepting TCP/IP connections."),
    (OutageKind.OOM_KILLED, Dialect.PYTEST): (
        "Failed", "worker 'gw{n}' crashed while running '{test}' (exit code 137, OOMKilled)"),
    (OutageKind.OOM_KILLED, Dialect.SUREFIRE): (
        "org.apache.maven.surefire.booter.SurefireBooterForkException",
        "The forked VM terminated without properly saying goodbye. VM crash or System.exit called? "
        "Process exited with code 137 on {host}"),
    (OutageKind.NETWORK, Dialect.PYTEST): (
        "requests.exceptions.ConnectionError",
        "HTTPConnectionPool(host='artifacts.ci.internal', port=8081): Max retries exceeded with url: "
        "/fixtures/{id}.tar.gz (Caused by NewConnectionError('[Errno 111] Connection refused'))"),
    (OutageKind.NETWORK, Dialect.SUREFIRE): (
        "java.net.ConnectException", "Connection refused: artifacts.ci.internal/10.0.{n}.{m}:8081"),
    (OutageKind.DISK_FULL, Dialect.PYTEST): (
        "OSError", "[Errno 28] No space left on device: '/tmp/pytest-of-runner/pytest-{n}/{id}'"),
    (OutageKind.DISK_FULL, Dialect.SUREFIRE): (
        "java.io.IOException", "No space left on device (writing target/surefire-reports/{id}.tmp)"),
}

_REGRESSION: dict[Dialect, tuple[tuple[str, str], ...]] = {
    Dialect.PYTEST: (
        ("AssertionError", "assert Decimal('{x}') == Decimal('{y}') : {func} returned wrong total for order ORD-{id}"),
        ("KeyError", "'{field}' while serialising {module} record {id}"),
        ("AttributeError", "'NoneType' object has no attribute '{field}' (in {func}, record {id})"),
        ("ValueError", "invalid {field} {n} for {module}: must be between 0 and {m}"),
        ("TypeError", "{func}() got an unexpected keyword argument '{field}'"),
    ),
    Dialect.SUREFIRE: (
        ("org.opentest4j.AssertionFailedError", "expected: <{x}> but was: <{y}>"),
        ("java.lang.NullPointerException", 'Cannot invoke "{cls}.get{Field}()" because "record{n}" is null'),
        ("java.lang.IllegalArgumentException", "{field} must be positive: -{n}"),
        ("java.lang.IllegalStateException", "{cls} in state CLOSED cannot accept entry {id}"),
    ),
}


@dataclass(frozen=True)
class Text:
    """One failure as a report shows it."""

    type: str
    message: str
    stack: str
    error: bool  # JUnit <error> (exception outside an assertion / in setup) rather than <failure>


def template_text(template: str) -> str:
    """The template with every placeholder shown as ``<*>``."""
    return re.sub(r"\{[a-zA-Z0-9]+\}", "<*>", template)


def flaky_template(cat: FlakyCategory, dialect: Dialect, variant: int) -> tuple[str, str]:
    return _FLAKY[(cat, dialect)][(variant - 1) % 2]


def outage_template(kind: OutageKind, dialect: Dialect) -> tuple[str, str]:
    return _OUTAGE[(kind, dialect)]


def regression_template(dialect: Dialect, index: int) -> tuple[str, str]:
    options = _REGRESSION[dialect]
    return options[index % len(options)]


def _values(rng: random.Random, test: TestSpec, fixed: dict[str, str]) -> dict[str, str]:
    d = rng.randint(10, 28)
    vals = {
        "n": str(rng.randint(2, 9999)), "m": str(rng.randint(2, 254)), "id": str(rng.randint(10000, 99999)),
        "s": str(rng.choice((2, 5, 10, 30))), "ms": str(rng.randint(1000, 30000)), "hex": f"{rng.getrandbits(28):07x}",
        "port": str(rng.randint(30000, 60000)), "d": str(d), "d1": str(d + 1), "cls": test.classname,
        "test": test.test_id, "host": f"ci-runner-{rng.randint(1, 24):02d}",
        "x": f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}", "y": f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
    }
    vals.update(fixed)
    return vals


def render(rng: random.Random, test: TestSpec, exc_type: str, template: str, fixed: dict[str, str],
           error: bool, src_path: str) -> Text:
    """Fill ``template`` for one occurrence on ``test`` and build the dialect's stack trace."""
    message = template.format(**_values(rng, test, fixed))
    if test.dialect is Dialect.PYTEST:
        line = 12 + (test.uid * 7) % 180
        short = exc_type.rsplit(".", 1)[-1]
        stack = (f"{test.file}:{line}: in {test.function}\n    result = process(subject)\n"
                 f"{src_path}:{40 + (test.uid * 13) % 200}: in process\n    return _apply(subject, strict=True)\n"
                 f"E   {exc_type}: {message}\n\n{test.file}:{line}: {short}")
        return Text(exc_type, message, stack, error)
    cls = test.classname.rsplit(".", 1)[-1]
    src_cls = src_path.rsplit("/", 1)[-1].removesuffix(".java")
    pkg = test.classname.rsplit(".", 1)[0]
    method = test.function
    stack = (f"{exc_type}: {message}\n"
             f"\tat {pkg}.{src_cls}.process({src_cls}.java:{40 + (test.uid * 13) % 200})\n"
             f"\tat {test.classname}.{method}({cls}.java:{12 + (test.uid * 7) % 180})\n"
             "\tat java.base/java.lang.reflect.Method.invoke(Method.java:580)\n"
             "\tat org.junit.platform.commons.util.ReflectionUtils.invokeMethod(ReflectionUtils.java:728)\n")
    return Text(exc_type, message, stack, error)
