"""Gate and baseline probes: artefacts of one CI run ingested separately, first builds, main already red.

Each probe writes its own JUnit / LCOV / Trivy files, ingests them with the real CLI into a fresh
database and checks what ``argus gate --json`` and ``argus baseline --json`` say.
"""

from __future__ import annotations

import json

from argus.testing.reports import lcov, trivy, vulnerability
from reliability_probes.common import ProbeEnv, sha


def _junit(env: ProbeEnv, name: str, failing: set[str], day: int) -> str:
    cases = "".join(
        f'<testcase classname="t.m" name="{n}" time="0.2">'
        + ('<failure message="AssertionError">x</failure>' if n in failing else "") + "</testcase>"
        for n in ("a", "b", "c")
    )
    path = env.workdir / name
    path.write_text(f'<testsuite name="t.m" tests="3" failures="{len(failing)}" '
                    f'timestamp="2026-01-{day:02d}T10:00:00">{cases}</testsuite>')
    return str(path)


def _lcov(env: ProbeEnv, name: str, covered: int) -> str:
    path = env.workdir / name
    path.write_text(lcov(covered, 100, "src/x.py"))
    return str(path)


def _trivy(env: ProbeEnv, name: str) -> str:
    path = env.workdir / name
    path.write_text(trivy([vulnerability("CVE-2024-9", "lib", "HIGH", installed="1")]))
    return str(path)


def _build(env: ProbeEnv, commit: str, branch: str, day: int, failing: set[str], cov: int) -> None:
    meta = ("--commit", sha(commit), "--branch", branch, "--run-id", f"ci-{commit}")
    for argv in (
        ("ingest", "tests", _junit(env, f"{commit}.xml", failing, day), *meta, "--job", "test"),
        ("ingest", "coverage", _lcov(env, f"{commit}.info", cov), *meta),  # no --job: its own run
        ("ingest", "vulns", _trivy(env, f"{commit}.json"), *meta),
    ):
        r = env.run(*argv)
        assert r.code == 0, r.explain()


def probe_gate_and_baseline_agree_on_split_artefacts(env: ProbeEnv) -> None:
    assert env.run("db", "upgrade").code == 0
    for i, cov in enumerate((70, 72, 71)):
        _build(env, f"m{i}", "main", 1 + i, set(), cov)
    _build(env, "pr", "feature", 9, set(), 69)
    base = env.run("baseline", "--json")
    gate = env.run("gate", "--commit", sha("pr"), "--json", "--no-record")
    assert base.code == 0 and gate.code == 0, gate.explain()
    b, g = json.loads(base.stdout), json.loads(gate.stdout)
    assert b["baseline"]["coverage_pct"] == g["baseline"]["coverage_pct"] == 71.0, (b, g)
    assert {r["rule"]: r["current"] for r in g["rules"]}["new_high"] == 0, g["rules"]


def probe_first_build_and_red_main(env: ProbeEnv) -> None:
    assert env.run("db", "upgrade").code == 0
    _build(env, "m0", "main", 1, {"b"}, 40)
    first = env.run("gate", "--commit", sha("m0"), "--json", "--no-record")
    doc = json.loads(first.stdout)
    assert {r["rule"]: r["status"] for r in doc["rules"]}["coverage_drop"] == "skipped", first.explain()
    _build(env, "m1", "main", 2, {"b"}, 40)
    _build(env, "pr", "feature", 3, {"b"}, 40)
    r = env.run("gate", "--commit", sha("pr"), "--json", "--no-record")
    doc = json.loads(r.stdout)
    assert r.code == 0 and doc["verdict"] == "warn", r.explain()
    assert doc["failures"][0]["already_failing"]["since_commit"] == sha("m0"), doc["failures"]
