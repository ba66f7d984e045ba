"""Time one gate evaluation on a large history (SQLite or PostgreSQL) against a full scan of test results.

Builds a project with ``--builds`` default-branch builds of ``--tests`` tests each (bulk inserts, one
run per build, 1 % of builds red, coverage and a 50-finding scan per build), then times
``run_gate`` for the newest build (baseline: 10 green builds) and, as the reference measured in the
same run, ``SELECT count(*), sum(duration_s) FROM test_result`` (one pass over every stored result).

Usage: .venv/bin/python bench/gate_scale.py [--tests 20000] [--builds 30] [--db URL]
Writes bench/results/gate_scale.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from argus.analysis.gates.service import run_gate
from argus.core.db import create_db_engine
from argus.core.settings import GateSettings
from argus.ingest.ci_env import CiMetadata
from argus.ingest.coverage.service import ingest_coverage
from argus.ingest.vulns.service import ingest_vulns
from argus.store.migrate import upgrade
from argus.store.models import TestCase, TestResult, TestRun
from argus.store.projects import get_or_create_project
from argus.store.session import make_session_factory


def lcov(files: int, covered: float) -> bytes:
    out = []
    for f in range(files):
        out.append(f"SF:src/mod{f}.py")
        out += [f"DA:{i},{int(i <= 100 * covered)}" for i in range(1, 101)]
        out.append("end_of_record")
    return ("\n".join(out) + "\n").encode()


def trivy(n: int) -> bytes:
    vulns = [{"VulnerabilityID": f"CVE-2024-{i}", "PkgName": f"p{i}", "Severity": "HIGH" if i % 10 == 0 else "LOW"}
             for i in range(n)]
    return json.dumps({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": vulns}]}).encode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=20000)
    ap.add_argument("--builds", type=int, default=30)
    ap.add_argument("--db", help="Database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/scale.db"
        engine = create_db_engine(url)
        upgrade(engine)
        sf = make_session_factory(engine)
        t0 = time.perf_counter()
        with sf() as s:
            project = get_or_create_project(s, "scale")
            pid = project.id
            s.execute(insert(TestCase), [{"project_id": pid, "identity": f"t::{i}", "name": f"t{i}"}
                                         for i in range(args.tests)])
            case_ids = list(s.scalars(select(TestCase.id).order_by(TestCase.id)))
            start = datetime(2026, 1, 1, tzinfo=UTC)
            for b in range(args.builds):
                commit = f"{b:040x}"
                run = TestRun(project_id=pid, commit_sha=commit, branch="main", ci_provider="github",
                              ci_run_id=str(b), ci_job="test", started_at=start + timedelta(hours=b),
                              tests=args.tests, duration_s=600.0)
                s.add(run)
                s.flush()
                red = b % 100 == 7
                s.execute(insert(TestResult), [
                    {"project_id": pid, "run_id": run.id, "test_case_id": tc, "attempt": 0, "duration_s": 0.03,
                     "outcome": "failed" if red and j == 0 else "passed"}
                    for j, tc in enumerate(case_ids)
                ])
                meta = CiMetadata(provider="github", run_id=str(b), job="test", commit_sha=commit, branch="main")
                ingest_coverage(s, lcov(200, 0.8 + 0.001 * b), f"lcov{b}", meta)
                ingest_vulns(s, trivy(50), f"trivy{b}", meta)
            s.commit()
            build_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            n, _ = s.execute(select(func.count(), func.sum(TestResult.duration_s))).one()
            scan_s = time.perf_counter() - t1
            t2 = time.perf_counter()
            out = run_gate(s, project, GateSettings.model_validate({}), ci_run_id=str(args.builds - 1))
            gate_s = time.perf_counter() - t2
        engine.dispose()
    backend = url.split(":", 1)[0]
    result = {"tests": args.tests, "builds": args.builds, "results": n, "backend": backend,
              "setup_s": round(build_s, 2), "scan_s": round(scan_s, 4), "gate_s": round(gate_s, 4),
              "baseline_builds": len(out.baseline_builds), "verdict": out.result.verdict.value}
    Path(__file__).parent.joinpath("results").mkdir(exist_ok=True)
    Path(__file__).parent.joinpath("results", "gate_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"gate_scale[{backend}, {n} results] full scan of test_result: {scan_s * 1000:.0f} ms (reference)")
    print(f"gate_scale[{backend}, {n} results] gate evaluation: {gate_s * 1000:.0f} ms "
          f"({gate_s / scan_s:.1f}x vs full scan; {len(out.baseline_builds)} baseline builds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
