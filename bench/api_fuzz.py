"""Fuzz the HTTP API against its own OpenAPI schema (schemathesis): no request may get a 5xx.

Builds a database (``--database-url``, default a temporary SQLite file) holding a CI history, the
flaky and failure analyses over it and an admin token, then lets schemathesis generate requests for
every operation of ``/api/v1/openapi.json`` (except the endless event stream) and sends them through
the app in-process, authenticated. Prints each operation's examples and the 5xx responses found (an exception the app raised, which
the in-process client re-raises, counts as a 500 and does not stop the run); exits 1 when any was
found.

    .venv/bin/pip install schemathesis   # not in the dev extra: it pulls ~10 packages
    .venv/bin/python bench/api_fuzz.py [--examples 60] [--postgres URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

SKIP = ("/events",)  # an endless stream


def seed(database_url: str, home: Path) -> tuple[Any, str]:
    """An app over a migrated database with a history, its analyses and an admin token."""
    from argus.api.app import create_app
    from argus.app import failures, flaky
    from argus.core.enums import Role
    from argus.core.settings import Settings
    from argus.core.settings.server import ServerSettings
    from argus.store.admin import create_token
    from argus.store.migrate import upgrade
    from argus.store.projects import get_or_create_org, get_or_create_project
    from argus.store.session import scoped_to
    from argus.testing.builders import History

    # The limits are not what the fuzz tests: with them on, the first burst of 401s or of requests
    # turns every later operation into a 429 and nothing behind it is exercised.
    settings = Settings(home=home, database_url=database_url, default_org="fuzz",  # type: ignore[arg-type]
                        default_project="shop",
                        server=ServerSettings(rate_limit_enabled=False, auth_failure_limit_enabled=False))
    app = create_app(settings)
    rt = app.state.runtime
    upgrade(rt.engine(check_schema=False))
    if database_url.startswith("postgresql"):  # the job queue's tables: uploads hand their jobs to it
        from argus.jobs.queue import ensure_schema

        ensure_schema(rt)
    with rt.unit_of_work() as s:
        secret, _ = create_token(s, get_or_create_org(s, "fuzz"), "fuzz", Role.ADMIN, "bench")
    with rt.unit_of_work() as s:
        scoped_to(s, get_or_create_project(s, "shop", "fuzz"))
        h = History(s, message="AssertionError: 503")
        for i in range(10):
            h.run(f"{i:07x}", {"t::flaky": "FP" if i % 3 == 0 else "P", "t::broken": "F" if i > 3 else "P",
                               "t::ok": "P"})
    flaky.analyze(rt, flaky.AnalyzeRequest("shop"))
    failures.analyze(rt, failures.AnalyzeRequest("shop"))
    return app, secret


def fuzz_operation(op: Any, headers: dict[str, str], examples: int, found: list[str]) -> Counter[int]:
    """Send ``examples`` generated requests to one operation; note the 5xx ones in ``found``."""
    from hypothesis import HealthCheck, given, settings

    statuses: Counter[int] = Counter()

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        if case.path_parameters and "project" in case.path_parameters:
            case.path_parameters["project"] = "shop"  # the seeded project: reach past the 404
        if isinstance(case.query, dict) and "project_id" in case.query:
            case.query["project_id"] = "shop"
        try:
            response = case.call(headers=headers)
        except Exception as exc:
            statuses[500] += 1
            found.append(f"{op.method.upper()} {op.path}: 500 (raised {type(exc).__name__}) for "
                         f"{case.as_curl_command(headers=headers)}\n  {str(exc)[:300]}")
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            found.append(f"{op.method.upper()} {op.path}: {response.status_code} for "
                         f"{case.as_curl_command(headers=headers)}\n  {response.text[:300]}")

    run()
    return statuses


def fuzz(app: Any, token: str, examples: int) -> list[str]:
    import schemathesis

    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    found: list[str] = []
    ops = [result.ok() for result in schema.get_all_operations()]
    # Revoking tokens last: a generated id can name the fuzz's own token, and every operation after
    # that would only see 401s.
    ops.sort(key=lambda op: op.method.upper() == "DELETE" and "/tokens/" in op.path)
    for op in ops:
        if op.path.endswith(SKIP):
            continue
        statuses = fuzz_operation(op, headers, examples, found)
        print(f"{op.method.upper():6} {op.path}: {dict(sorted(statuses.items()))}")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=60, help="generated requests per operation")
    ap.add_argument("--postgres", metavar="URL",
                    help="PostgreSQL database to fill in a fresh schema (default: a temporary SQLite file)")
    args = ap.parse_args(argv)
    from argus.testing.databases import fresh_database

    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp), args.postgres, prefix="fuzz_") as url:
        app, token = seed(url, Path(tmp) / "home")
        try:
            found = fuzz(app, token, args.examples)
        finally:
            app.state.runtime.close()
    for line in found:
        print("5xx:", line)
    print(f"server errors: {len(found)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
