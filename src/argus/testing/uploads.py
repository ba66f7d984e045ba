"""Upload tests and the upload bench: tokens, hostile report files, counts of the rows an upload writes."""

from __future__ import annotations

from sqlalchemy import Engine, text

from argus.core.db import unit_of_work
from argus.core.enums import Role
from argus.store.admin import create_token
from argus.store.projects import get_or_create_org, get_or_create_project

UPLOADER = Role.UPLOADER

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
    '<testsuite name="s" tests="1"><testcase classname="c" name="&lol3;"/></testsuite>'
)
XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<testsuite name="s" tests="1"><testcase classname="c" name="&xxe;"/></testsuite>'
)


def make_token(engine: Engine, org: str, project: str | None, role: Role = UPLOADER,
               create_project: str | None = None) -> str:
    """A token of ``org`` (limited to ``project`` unless ``None``); ``create_project`` makes one more project."""
    from argus.store.session import make_session_factory

    with unit_of_work(make_session_factory(engine)) as s:  # type: ignore[arg-type]
        o = get_or_create_org(s, org)
        p = get_or_create_project(s, project, org) if project else None
        if create_project:
            get_or_create_project(s, create_project, org)
        secret, _ = create_token(s, o, "ci", role, "test", project=p)
    return secret


def counts(engine: Engine) -> dict[str, int]:
    """Rows of the tables an upload writes."""
    tables = ("test_run", "test_report", "test_result", "coverage_report", "vuln_report", "dead_letter")
    with engine.connect() as c:
        return {t: int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}
