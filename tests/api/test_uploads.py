"""``POST /api/v1/projects/{project}/uploads`` in-process: kinds by content, idempotency, limits, hostile
input, auth (the real server under concurrency: test_uploads_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from argus.api.app import create_app
from argus.core.enums import Role
from argus.core.settings import Settings
from argus.testing.reports import junit, lcov, trivy, vulnerability
from argus.testing.uploads import BILLION_LAUGHS, XXE, counts, make_token

URL = "/api/v1/projects/web/uploads"
META = {"commit": "a" * 40, "branch": "main", "run_id": "101", "job": "unit", "env.os": "linux", "pr": "7",
        "base": "main"}


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def token(client: TestClient, engine: Engine) -> str:
    return make_token(engine, "acme", "web")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(client: TestClient, token: str, files: list[tuple[str, str | bytes]], data: dict[str, str] | None = None,
          url: str = URL) -> Any:
    parts = [("files", (name, content.encode() if isinstance(content, str) else content, "application/octet-stream"))
             for name, content in files]
    return client.post(url, headers=_auth(token), files=parts, data=META if data is None else data)


def test_every_kind_by_content_then_a_repeat_stores_nothing(client: TestClient, token: str, engine: Engine) -> None:
    files: list[tuple[str, str | bytes]] = [
        ("reports/unit.xml", junit("Unit", 5, 1)), ("lcov.info", lcov(30, 40)),
        ("scan.json", trivy([vulnerability("CVE-2024-1", "openssl")])), ("more.xml", junit("More", 3)),
    ]
    r = _post(client, token, files)
    assert r.status_code == 201, r.text
    body = r.json()
    assert [(f["file"], f["status"], f["kind"]) for f in body["files"]] == [
        ("reports/unit.xml", "ingested", "tests"), ("lcov.info", "ingested", "coverage"),
        ("scan.json", "ingested", "vulns"), ("more.xml", "ingested", "tests")]
    assert body["stored"] == 4 and body["results"] == 8 and body["rejected"] == 0 and len(body["run_ids"]) == 1
    assert body["ci_run_id"] == "101"
    before = counts(engine)
    assert before["test_run"] == 1 and before["test_result"] == 8 and before["coverage_report"] == 1
    assert before["vuln_report"] == 1 and before["dead_letter"] == 0

    again = _post(client, token, files)
    assert again.status_code == 200, again.text
    assert {f["status"] for f in again.json()["files"]} == {"duplicate"} and again.json()["stored"] == 0
    assert counts(engine) == before

    from sqlalchemy import select

    from argus.store.models import TestReport, TestRun

    with client.app.state.runtime.project_scope("web", org="acme") as scope:  # type: ignore[attr-defined]
        run = scope.session.scalars(select(TestRun)).one()
        names = sorted(scope.session.scalars(select(TestReport.source_name)))
    assert (run.commit_sha, run.branch, run.ci_run_id, run.ci_job) == ("a" * 40, "main", "101", "unit")
    assert run.environment == {"os": "linux", "pr": "7", "base_branch": "main"}
    assert names == ["more.xml", "reports/unit.xml"]  # the client's names, not the temporary copies


def test_on_upload_hook_gets_the_runs(client: TestClient, token: str) -> None:
    calls: list[tuple[str, tuple[int, ...]]] = []
    client.app.state.on_upload = lambda project, run_ids: calls.append((project, run_ids))  # type: ignore[attr-defined]
    r = _post(client, token, [("a.xml", junit("A", 2))])
    assert calls == [("acme/web", tuple(r.json()["run_ids"]))]  # org/project: jobs find the right tenant
    _post(client, token, [("a.xml", junit("A", 2))])
    assert len(calls) == 1  # a repeat stores nothing: no hook call


def test_jobs_of_a_test_upload_commit_with_its_results(settings: Settings, engine: Engine) -> None:
    """The jobs' dispatcher records an upload's jobs in the unit of work that stores its test reports
    (``UploadRequest.on_stored``): they are there as soon as the results are; a repeat records none."""
    from sqlalchemy import text

    from argus.jobs.service import upload_key

    class Recording:  # the real dispatcher's recording, without handing the jobs to a runner
        def __init__(self) -> None:
            self.handed: list[tuple[str, tuple[int, ...]]] = []

        def record_in(self, scope: Any, run_ids: tuple[int, ...]) -> tuple[int, ...]:
            from argus.jobs.service import record_upload_in

            return record_upload_in(scope, run_ids)

        def hand_over(self, project: str, job_ids: tuple[int, ...]) -> None:
            self.handed.append((project, job_ids))

        def __call__(self, project: str, run_ids: tuple[int, ...]) -> None:
            raise AssertionError("a test-only upload records its jobs in its own unit of work")

    with TestClient(create_app(settings)) as client:
        hook = client.app.state.on_upload = Recording()  # type: ignore[attr-defined]
        token = make_token(engine, "acme", "web")
        r = _post(client, token, [("a.xml", junit("A", 2))])
        assert r.status_code == 201, r.text
        run_ids = r.json()["run_ids"]
        with engine.connect() as c:
            rows = c.execute(text("SELECT id, kind, key FROM job_record ORDER BY kind")).all()
        assert [(k, key) for _, k, key in rows] == [("failures", upload_key(run_ids)), ("flaky", upload_key(run_ids))]
        assert hook.handed == [("acme/web", tuple(i for i, _, _ in sorted(rows, key=lambda row: row[1])))]
        assert _post(client, token, [("a.xml", junit("A", 2))]).status_code == 200  # a repeat: nothing stored
        assert counts(engine)["test_report"] == 1 and len(hook.handed) == 1


def test_unknown_content_is_rejected_with_reason_and_dead_letter(client: TestClient, token: str,
                                                                 engine: Engine) -> None:
    r = _post(client, token, [("ok.xml", junit("Ok", 2)), ("notes.txt", "hello world\n"),
                              ("page.xml", "<html><body/></html>"), ("data.json", '{"foo": 1}')])
    assert r.status_code == 201, r.text
    files = {f["file"]: f for f in r.json()["files"]}
    assert files["ok.xml"]["status"] == "ingested"
    assert files["notes.txt"]["status"] == "rejected" and "neither XML, JSON nor LCOV" in files["notes.txt"]["reason"]
    assert "root <html>" in files["page.xml"]["reason"] and "keys foo" in files["data.json"]["reason"]
    assert counts(engine)["dead_letter"] == 3


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_rejected_and_nothing_stored(client: TestClient, token: str, engine: Engine,
                                                    hostile: str) -> None:
    r = _post(client, token, [("evil.xml", hostile)])
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/upload-rejected") and body["stored"] == 0
    assert "entity declarations" in body["files"][0]["reason"]
    c = counts(engine)
    assert c["test_run"] == c["test_report"] == c["test_result"] == 0 and c["dead_letter"] == 1


@pytest.fixture
def small_limits(settings: Settings) -> Settings:
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(
        update={"max_upload_bytes": 20_000, "max_file_bytes": 5_000, "max_upload_files": 3})})


def test_limits(small_limits: Settings, engine: Engine) -> None:
    with TestClient(create_app(small_limits)) as client:
        token = make_token(engine, "acme", "web")
        too_big = _post(client, token, [("big.xml", junit("Big", 400))])
        assert too_big.status_code == 413 and too_big.json()["type"].endswith("/payload-too-large")
        assert "max_upload_bytes" in too_big.json()["detail"]
        many = _post(client, token, [(f"{i}.xml", junit(f"S{i}", 1)) for i in range(4)])
        assert many.status_code == 413 and "max_upload_files" in many.json()["detail"]
        assert counts(engine)["test_report"] == 0
        one_big = _post(client, token, [("ok.xml", junit("Ok", 2)), ("big.xml", junit("Big", 80))])
        assert one_big.status_code == 201
        big = one_big.json()["files"][1]
        assert big["status"] == "rejected" and "max_file_bytes" in big["reason"]
        assert counts(engine)["test_report"] == 1 and counts(engine)["dead_letter"] == 1


def test_bad_requests(client: TestClient, token: str, engine: Engine) -> None:
    r = client.post(URL, headers=_auth(token), json={"files": []})
    assert r.status_code == 415 and r.json()["type"].endswith("/unsupported-media-type")
    r = client.post(URL, headers=_auth(token), data=META)  # urlencoded: no room for files
    assert r.status_code == 415
    r = client.post(URL, headers=_auth(token), files={"branch": (None, "main")})  # multipart, no files field
    assert r.status_code == 422 and "files" in r.json()["detail"]
    r = _post(client, token, [("a.xml", junit("A", 1))], {**META, "commit": "not-a-sha"})
    assert r.status_code == 422 and "commit" in r.json()["detail"]
    r = _post(client, token, [("a.xml", junit("A", 1))], {**META, "attempt": "0"})
    assert r.status_code == 422 and "attempt" in r.json()["detail"]
    r = _post(client, token, [("a.xml", junit("A", 1))], {**META, "colour": "blue"})
    assert r.status_code == 422 and "unknown field 'colour'" in r.json()["detail"]
    r = client.post(URL, headers={**_auth(token), "Content-Type": "multipart/form-data; boundary=xyz"},
                    content=b"--xyz\r\nnot a header line at all")
    assert r.status_code in (400, 422)
    assert counts(engine)["test_report"] == 0


def test_auth_and_tenancy(client: TestClient, token: str, engine: Engine) -> None:
    rt = engine
    files = [("a.xml", junit("A", 1))]
    assert _post(client, "nope", files).status_code == 401
    viewer = make_token(rt, "acme", "web", Role.VIEWER)
    assert _post(client, viewer, files).status_code == 403
    # a token limited to web cannot reach another project of its organisation: 404, like a missing one
    make_token(rt, "acme", None, create_project="api")
    r = _post(client, token, files, url="/api/v1/projects/api/uploads")
    assert r.status_code == 404
    # an organisation-wide token of another organisation: acme's project does not exist for it
    other = make_token(rt, "globex", None)
    assert _post(client, other, files).status_code == 404
    # an organisation-wide token of acme may upload to any acme project
    org_wide = make_token(rt, "acme", None)
    assert _post(client, org_wide, files, url="/api/v1/projects/api/uploads").status_code == 201
    assert counts(engine)["test_report"] == 1


def test_openapi_documents_the_multipart_body(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/projects/{project}/uploads"]["post"]["requestBody"]
    assert "files" in body["content"]["multipart/form-data"]["schema"]["properties"]


def test_saved_copies_are_removed(client: TestClient, token: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _post(client, token, [("a.xml", junit("A", 1)), ("x.txt", "nothing")])
    assert not list(tmp_path.glob("argus-upload-*"))
