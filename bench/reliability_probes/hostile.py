"""Hostile values and inputs (issue 11 items 6, 7, 8, 10, 11; issue 12 §3 dead letters).

Each probe runs the real CLI on a fresh database and checks: no traceback, the documented exit code,
good files kept next to bad ones, dead letters short/redacted/deduplicated, strict JSON output.
"""

from __future__ import annotations

import json
import os
import sqlite3

from reliability_probes.common import ProbeEnv, Result

GOOD = '<testsuite name="s"><testcase classname="c" name="ok" time="0.5"/></testsuite>'
LCOV = "SF:src/a.py\nDA:1,1\nend_of_record\n"
TRIVY = '{"SchemaVersion": 2, "Results": []}'
SERVICE_KEY = json.dumps({
    "type": "service_account", "private_key_id": "4f1e0c",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n",
    "client_email": "ci@example.iam.gserviceaccount.com",
})


def _ok(r: Result, *codes: int) -> None:
    assert r.code in codes, r.explain()
    assert "Traceback" not in r.stderr, r.explain()


def _one_line_error(r: Result, code: int, text: str) -> None:
    _ok(r, code)
    err = " ".join(r.stderr.split())
    assert r.stderr.strip().count("\n") == 0 and text in err, r.explain()


def _write(env: ProbeEnv, name: str, content: str | bytes) -> str:
    path = env.workdir / name
    path.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
    return str(path)


def _upgrade(env: ProbeEnv) -> None:
    _ok(env.run("db", "upgrade"), 0)


# item 6 -----------------------------------------------------------------------------------------

def probe_binary_zip_oversize_next_to_good_files(env: ProbeEnv) -> None:
    _upgrade(env)
    env.env["ARGUS_INGEST__MAX_FILE_BYTES"] = "20000"
    files = [_write(env, "good.xml", GOOD), _write(env, "bin.xml", b"<\x00" + bytes(range(256)) * 8),
             _write(env, "a.zip", b"PK\x03\x04" + b"\x00" * 3000), _write(env, "big.xml", "<testsuite>" + "x" * 30000)]
    r = env.run("ingest", "tests", *files)
    _ok(r, 6)
    assert env.scalar("SELECT count(*) FROM test_report") == 1, r.explain()
    assert env.scalar("SELECT count(*) FROM dead_letter") == 3
    assert "\\x00" not in r.stderr and len(r.stderr) < 2000, r.explain()


def probe_nul_in_accepted_values(env: ProbeEnv) -> None:
    _upgrade(env)
    mocha = json.dumps({"stats": {}, "pending": [], "tests": [
        {"title": "t\u0000", "fullTitle": "s t\u0000", "duration": 1, "err": {"message": "m\u0000\ud800"}}]})
    vulns = json.dumps({"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "p\u0000", "Severity": "HIGH"}]}]})
    _ok(env.run("ingest", "tests", _write(env, "m.json", mocha)), 0)
    _ok(env.run("ingest", "coverage", _write(env, "c.info", b"SF:a\x00.py\nDA:1,1\nend_of_record\n")), 0)
    _ok(env.run("ingest", "vulns", _write(env, "v.json", vulns)), 0)
    assert env.scalar("SELECT count(*) FROM test_result") == 1
    assert env.scalar("SELECT path FROM coverage_file") == "a\ufffd.py"
    assert env.scalar("SELECT package FROM vuln_finding") == "p\ufffd"


def probe_coverage_and_vulns_isolated_per_file(env: ProbeEnv) -> None:
    _upgrade(env)
    for kind, good in (("coverage", LCOV), ("vulns", TRIVY)):
        bad = _write(env, f"bad-{kind}.json", b"\x00\x01binary")
        r = env.run("ingest", kind, _write(env, f"good-{kind}", good), bad)
        _ok(r, 6)
    assert env.scalar("SELECT count(*) FROM coverage_report") == 1
    assert env.scalar("SELECT count(*) FROM vuln_report") == 1


# item 7 -----------------------------------------------------------------------------------------

def probe_unbounded_numbers_and_timestamps(env: ProbeEnv) -> None:
    _upgrade(env)
    reports = {
        "t1.xml": '<testsuite name="s"><testcase classname="c" name="a" time="1e15"/></testsuite>',
        "t2.xml": '<testsuite name="s" timestamp="9999-12-31T23:59:59"><testcase classname="c" name="b"/></testsuite>',
        "t3.xml": '<testsuite name="s" timestamp="0001-01-01T00:00:00+14:00"><testcase classname="c" name="c"/>'
                  "</testsuite>",
        "t4.json": '{"stats": {}, "pending": [], "tests": [{"title": "d", "fullTitle": "s d", "duration": 1e400}]}',
    }
    paths = [_write(env, name, body) for name, body in reports.items()]
    r = env.run("parse", "tests", *paths, "--json")
    _ok(r, 0)
    json.loads(r.stdout, parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(f"JSON has {c}")))
    r = env.run("ingest", "tests", *paths, "--run-id", "R1")
    _ok(r, 0)
    assert env.scalar("SELECT count(*) FROM test_result") == 4 and env.scalar("SELECT count(*) FROM dead_letter") == 0


def probe_cli_options_out_of_range(env: ProbeEnv) -> None:
    _upgrade(env)
    report = _write(env, "r.xml", GOOD)
    cases = [
        (("ingest", "tests", report, "--attempt", str(10**20)), "--attempt"),
        (("ingest", "tests", report, "--run-id", "r" * 300), "at most 255"),
        (("ingest", "tests", report, "--branch", "b" * 300), "at most 255"),
        (("ingest", "tests", report, "--commit", "c" * 65), "hexadecimal"),
        (("ingest", "tests", report, "--commit", "not-a-sha"), "hexadecimal"),
        (("insights", "show", str(10**23)), "expected a whole number"),
        (("failures", "list", "--days", "99999999"), "--days"),
    ]
    for argv, text in cases:
        _one_line_error(env.run(*argv), 6, text)
    _ok(env.run("ingest", "tests", report), 0)
    _one_line_error(env.run("changes", "list", "--since", "99999999d"), 6, "--since")


# item 8 -----------------------------------------------------------------------------------------

def probe_deep_json_and_missing_path(env: ProbeEnv) -> None:
    _upgrade(env)
    deep = "[" * 100_000 + "]" * 100_000
    for kind, good, doc in (("coverage", LCOV, '{"files": ' + deep + "}"), ("vulns", TRIVY, '{"Results": ' + deep + "}")):
        r = env.run("ingest", kind, _write(env, f"g-{kind}", good), _write(env, f"deep-{kind}.json", doc),
                    str(env.workdir / "missing.json"))
        _ok(r, 6)
        assert "nested too deeply" in " ".join(r.stderr.split()), r.explain()
    assert env.scalar("SELECT count(*) FROM coverage_report") == 1
    assert env.scalar("SELECT count(*) FROM vuln_report") == 1


def probe_fifo_and_directory_refused(env: ProbeEnv) -> None:
    _upgrade(env)
    fifo = env.workdir / "pipe.xml"
    os.mkfifo(fifo)
    (env.workdir / "dir.json").mkdir()
    for kind, good in (("tests", GOOD), ("coverage", LCOV), ("vulns", TRIVY)):
        r = env.run("ingest", kind, str(fifo), _write(env, f"g-{kind}", good), timeout=60)
        _ok(r, 6)
        assert "named pipe" in " ".join(r.stderr.split()), r.explain()
    r = env.run("ingest", "coverage", str(env.workdir / "dir.json"), timeout=60)
    _ok(r, 6)
    assert "directory" in " ".join(r.stderr.split()), r.explain()


def probe_db_future_revision(env: ProbeEnv) -> None:
    _upgrade(env)
    with env.engine() as eng, eng.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_future'")
    r = env.run("db", "current")
    _ok(r, 0)
    assert "unknown, newer revision ffff_future" in " ".join(r.stdout.split()), r.explain()
    _one_line_error(env.run("db", "upgrade"), 4, "upgrade Argus")


def probe_db_not_a_database(env: ProbeEnv) -> None:
    if env.kind != "sqlite":
        return
    junk = env.workdir / "junk.db"
    junk.write_bytes(b"not a database" * 200)
    env.env["ARGUS_DATABASE_URL"] = f"sqlite:///{junk}"
    for argv in (("db", "current"), ("db", "upgrade"), ("insights", "list")):
        _one_line_error(env.run(*argv), 3, "is not an Argus database")
    foreign = env.workdir / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE project (id INTEGER PRIMARY KEY)")
    env.env["ARGUS_DATABASE_URL"] = f"sqlite:///{foreign}"
    _one_line_error(env.run("db", "upgrade"), 3, "no alembic_version")


def probe_bad_port_is_a_config_error(env: ProbeEnv) -> None:
    env.env["ARGUS_DATABASE_URL"] = "postgresql://ci:hunter2@db:notaport/argus"
    for argv in (("config", "show"), ("db", "current")):
        r = env.run(*argv)
        _one_line_error(r, 2, "port must be a number")
        assert "hunter2" not in r.stderr


# items 10, 11 -----------------------------------------------------------------------------------

def probe_dead_letters_redacted_short_deduplicated(env: ProbeEnv) -> None:
    _upgrade(env)
    folder = env.workdir / "reports"
    folder.mkdir()
    (folder / "sa-key.json").write_text(SERVICE_KEY)
    (folder / "good.xml").write_text(GOOD)
    lcov = _write(env, "long.info", "SF:a.py\nDA:1," + "9" * 200_000 + "x\nend_of_record\n")
    # directory mode skips files that are not test reports (nothing stored); named files are dead-lettered
    _ok(env.run("ingest", "tests", str(folder)), 0)
    assert env.scalar("SELECT count(*) FROM dead_letter") == 0
    for _ in range(2):
        _ok(env.run("ingest", "tests", str(folder / "sa-key.json"), str(folder / "good.xml")), 6)
    _ok(env.run("ingest", "coverage", lcov), 6)
    assert env.scalar("SELECT count(*) FROM dead_letter") == 2
    assert env.scalar("SELECT max(count) FROM dead_letter") == 2
    assert env.scalar("SELECT count(*) FROM dead_letter WHERE excerpt LIKE '%MIIEvQ%'") == 0
    assert int(env.scalar("SELECT max(length(excerpt)) FROM dead_letter") or 0) <= 400
    assert int(env.scalar("SELECT max(length(reason)) FROM dead_letter") or 0) <= 500


def probe_dead_letters_list_show_retry(env: ProbeEnv) -> None:
    _upgrade(env)
    path = env.workdir / "r.xml"
    path.write_text("<testsuite><testcase")
    _ok(env.run("ingest", "tests", str(path)), 6)
    r = env.run("dead-letters", "list", "--json")
    _ok(r, 0)
    rows = json.loads(r.stdout)
    assert len(rows) == 1
    _ok(env.run("dead-letters", "show", str(rows[0]["id"])), 0)
    path.write_text(GOOD)
    _ok(env.run("dead-letters", "retry", str(rows[0]["id"])), 0)
    assert env.scalar("SELECT count(*) FROM dead_letter") == 0 and env.scalar("SELECT count(*) FROM test_report") == 1


def probe_password_with_at_is_masked(env: ProbeEnv) -> None:
    env.env["ARGUS_DATABASE_URL"] = "postgresql://ci:pa@ss@db:5432/argus"
    r = env.run("config", "show", "--json")
    _ok(r, 0)
    assert "ss@db" not in r.stdout and "pa@ss" not in r.stdout, r.stdout
