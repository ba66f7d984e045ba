"""Write JUnit XML as pytest (``--junitxml``, xunit2) and Maven Surefire 3 (with reruns) write it.

pytest: one file, ``<testsuites name="pytest tests"><testsuite name="pytest">``; an exception in
the test body is a ``<failure message="Type: msg">``, one in a fixture is an ``<error message="failed
on setup with &quot;Type: msg&quot;">``; no reruns. Surefire: one ``TEST-<class>.xml`` per test
class; with ``rerunFailingTestsCount`` a test that failed then passed has ``<flakyFailure>`` /
``<flakyError>`` children and counts as passed; one that failed every time has ``<failure>`` /
``<error>`` followed by ``<rerunFailure>`` / ``<rerunError>`` children.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr as _quoteattr

from argus.sim.model import Dialect, FlakyCategory, TestSpec
from argus.sim.outcomes import Cause, TestFailure


@lru_cache(maxsize=1 << 16)
def quoteattr(text: str) -> str:
    """Quoted XML attribute value (cached: test names repeat in every run)."""
    return _quoteattr(text)


def durations(rng: random.Random, tests: tuple[TestSpec, ...], failures: dict[int, TestFailure],
              slow: dict[int, FlakyCategory]) -> dict[int, float]:
    """Seconds per test for one run: typical × log-normal jitter; timing failures take their timeout."""
    out: dict[int, float] = {}
    for t in tests:
        if t.skip_reason is not None:
            out[t.uid] = 0.0
            continue
        d = t.duration_s * rng.lognormvariate(0, 0.25)
        f = failures.get(t.uid)
        if f is not None and f.cause is Cause.OUTAGE:
            d = rng.uniform(0.001, 0.05)
        elif f is not None and slow.get(t.uid) in (FlakyCategory.TIMING, FlakyCategory.NETWORK):
            d += rng.choice((5.0, 10.0, 30.0))
        out[t.uid] = round(d, 3)
    return out


def pytest_xml(tests: list[TestSpec], failures: dict[int, TestFailure], secs: dict[int, float],
               started: datetime, host: str) -> str:
    cases: list[str] = []
    n_fail = n_err = n_skip = 0
    for t in tests:
        head = f"<testcase classname={quoteattr(t.classname)} name={quoteattr(t.name)} time=\"{secs[t.uid]:.3f}\""
        f = failures.get(t.uid)
        if t.skip_reason is not None:
            n_skip += 1
            cases.append(f"{head}><skipped type=\"pytest.skip\" message={quoteattr(t.skip_reason)}>"
                         f"{escape(t.file)}:10: {escape(t.skip_reason)}</skipped></testcase>")
        elif f is None:
            cases.append(head + " />")
        else:
            a = f.attempts[0]
            if a.error:
                n_err += 1
                msg = f'failed on setup with "{a.type}: {a.message}"'
                cases.append(f"{head}><error message={quoteattr(msg)}>{escape(a.stack)}</error></testcase>")
            else:
                n_fail += 1
                cases.append(f"{head}><failure message={quoteattr(f'{a.type}: {a.message}')}>{escape(a.stack)}"
                             "</failure></testcase>")
    total = sum(secs[t.uid] for t in tests)
    stamp = started.replace(tzinfo=None).isoformat(timespec="microseconds")
    return ('<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
            f'<testsuite name="pytest" errors="{n_err}" failures="{n_fail}" skipped="{n_skip}" tests="{len(tests)}" '
            f'time="{total:.3f}" timestamp="{stamp}" hostname={quoteattr(host)}>'
            + "".join(cases) + "</testsuite></testsuites>")


def _surefire_elem(tag: str, a_type: str, message: str, stack: str, nested: bool) -> str:
    attrs = f"message={quoteattr(message)} type={quoteattr(a_type)}"
    if nested:  # rerun*/flaky* elements carry the trace in <stackTrace>
        return f"      <{tag} {attrs}>\n        <stackTrace><![CDATA[{stack}]]></stackTrace>\n      </{tag}>\n"
    return f"    <{tag} {attrs}><![CDATA[{stack}]]></{tag}>\n"


def surefire_files(tests: list[TestSpec], failures: dict[int, TestFailure], secs: dict[int, float],
                   env: dict[str, str], reruns: int) -> dict[str, str]:
    """``TEST-<class>.xml`` name → content, one per test class."""
    by_class: dict[str, list[TestSpec]] = defaultdict(list)
    for t in tests:
        by_class[t.classname].append(t)
    os_name = {"linux": "Linux", "windows": "Windows Server 2022", "macos": "Mac OS X"}.get(env.get("os", ""), "Linux")
    out: dict[str, str] = {}
    for cls in sorted(by_class):
        body: list[str] = []
        n_fail = n_err = n_skip = n_flake = 0
        for t in by_class[cls]:
            head = f"  <testcase name={quoteattr(t.name)} classname={quoteattr(cls)} time=\"{secs[t.uid]:.3f}\""
            f = failures.get(t.uid)
            if t.skip_reason is not None:
                n_skip += 1
                body.append(f"{head}>\n    <skipped message={quoteattr(t.skip_reason)}/>\n  </testcase>\n")
            elif f is None:
                body.append(head + "/>\n")
            elif f.passed_on_rerun:
                n_flake += 1
                inner = "".join(_surefire_elem("flakyError" if a.error else "flakyFailure", a.type, a.message,
                                               a.stack, True) for a in f.attempts)
                body.append(f"{head}>\n{inner}  </testcase>\n")
            else:
                first, later = f.attempts[0], f.attempts[1:]
                if first.error:
                    n_err += 1
                else:
                    n_fail += 1
                inner = _surefire_elem("error" if first.error else "failure", first.type, first.message,
                                       first.stack, False)
                inner += "".join(_surefire_elem("rerunError" if a.error else "rerunFailure", a.type, a.message,
                                                a.stack, True) for a in later)
                body.append(f"{head}>\n{inner}  </testcase>\n")
        total = sum(secs[t.uid] for t in by_class[cls])
        out[f"TEST-{cls}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/'
            f'surefire-test-report-3.0.xsd" version="3.0" name={quoteattr(cls)} time="{total:.3f}" '
            f'tests="{len(by_class[cls])}" errors="{n_err}" skipped="{n_skip}" failures="{n_fail}" flakes="{n_flake}">\n'
            "  <properties>\n"
            f'    <property name="java.version" value="{env.get("java", "17")}.0.9"/>\n'
            f'    <property name="os.name" value="{os_name}"/>\n'
            f'    <property name="surefire.rerunFailingTestsCount" value="{reruns}"/>\n'
            "  </properties>\n" + "".join(body) + "</testsuite>\n")
    return out


def split(tests: tuple[TestSpec, ...]) -> tuple[list[TestSpec], list[TestSpec]]:
    """(pytest tests, surefire tests) in a stable order."""
    py = [t for t in tests if t.dialect is Dialect.PYTEST]
    java = [t for t in tests if t.dialect is Dialect.SUREFIRE]
    return py, java


def merge_surefire(files: dict[str, str]) -> str:
    """The per-class documents in one ``<testsuites>`` file (as CI servers' report mergers write them)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return head + '<testsuites name="surefire">\n' + "".join(
        files[name].removeprefix(head) for name in sorted(files)) + "</testsuites>\n"
