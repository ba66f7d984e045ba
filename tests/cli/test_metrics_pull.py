"""``argus metrics pull`` from a fake Prometheus on 127.0.0.1 and the scoring job after new points:
SQLite runs it at once, PostgreSQL hands it to ``argus worker``; the same points again record nothing."""

from __future__ import annotations

import json
import math
import socket
from datetime import UTC, datetime, timedelta

import pytest

from argus.cli.app import main
from argus.testing.prometheus import fake_prometheus

T0 = datetime(2026, 1, 1, tzinfo=UTC)
N = 288


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def samples(n: int = N, spike: int = 280) -> list[tuple[float, float]]:
    return [((T0 + timedelta(hours=i)).timestamp(), 60 + 3 * math.sin(i * 0.7) + (300 if i == spike else 0))
            for i in range(n)]


def pull(capsys: pytest.CaptureFixture[str], url: str, hours: int, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "metrics", "pull", "--prometheus", url, "--query", 'ci_queue_seconds{pool="linux"}',
               "--series", "ci.queue_s", "--start", T0.isoformat(), "--end", (T0 + timedelta(hours=hours)).isoformat(),
               "--step", "1h", "-p", "shop", *extra)


def test_pull_stores_new_points_and_scores_them_once(cli_env: dict[str, str],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    pg = cli_env["ARGUS_DATABASE_URL"].startswith("postgresql")
    assert cli(capsys, "db", "upgrade")[0] == 0
    with fake_prometheus() as prom:
        prom.add("ci_queue_seconds", {"pool": "linux"}, samples())
        prom.add("ci_queue_seconds", {"pool": "mac"}, samples())
        code, out, err = pull(capsys, prom.url, 200, "--json")
        assert code == 0, err
        first = json.loads(out)
        assert first["series"] == [['ci.queue_s{pool="linux"}', 201, 201]]
        assert first["source"].startswith(f"prometheus {prom.url} query_range")
        job = first["scoring"]["job"]
        assert job["kind"] == "anomalies" and first["scoring"]["new"]
        if pg:  # handed to the workers
            assert first["scoring"]["ran_here"] is False and job["status"] == "queued"
            assert cli(capsys, "worker", "--once", "--no-schedules")[0] == 0
        else:  # run here
            assert first["scoring"]["ran_here"] is True and job["status"] == "succeeded"
            assert job["result"]["scored_points"] == 201
        # the same range again: nothing new, no job
        code, out, _ = pull(capsys, prom.url, 200, "--json")
        assert code == 0 and json.loads(out) == {**first, "series": [['ci.queue_s{pool="linux"}', 201, 0]],
                                                 "scoring": None}
        # later points arrive: only they are scored (incremental)
        code, out, err = pull(capsys, prom.url, N - 1)
        assert code == 0, err
        assert 'ci.queue_s{pool="linux"}\n    288 point(s) read, 87 new' in out
        if pg:
            assert "for `argus worker`" in out
            assert cli(capsys, "worker", "--once", "--no-schedules")[0] == 0
        else:
            assert "scoring job #" in out and "succeeded (scored_points 87, anomalies 1" in out
    code, out, _ = cli(capsys, "jobs", "list", "-p", "shop", "--json")
    jobs = [j for j in json.loads(out) if j["key"].startswith("metrics:")]  # (a worker may record a schedule tick)
    assert [(j["kind"], j["status"]) for j in jobs] == [("anomalies", "succeeded")] * 2
    assert sum(j["result"]["scored_points"] for j in jobs) == N  # every point scored once
    code, out, _ = cli(capsys, "anomalies", "list", "-p", "shop", "--json")
    assert any(r["kind"] == "anomaly" for r in json.loads(out))  # the spike at hour 280


def test_pull_errors_are_one_line(cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "db", "upgrade")[0] == 0
    with fake_prometheus() as prom:
        code, _, err = cli(capsys, "metrics", "pull", "--prometheus", prom.url, "--query", "rate(x[5m]",
                           "--series", "x", "-p", "shop")
        assert code == 6 and err.count("\n") == 1 and "parse error" in err
        code, _, err = cli(capsys, "metrics", "pull", "--prometheus", prom.url, "--query", "x", "--series", "bad name",
                           "-p", "shop")
        assert code == 6 and "a series name is letters" in err
        code, _, err = cli(capsys, "metrics", "pull", "--prometheus", prom.url, "--query", "x", "--series", "x",
                           "--start", "yesterday", "-p", "shop")
        assert code == 6 and "--start 'yesterday'" in err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, _, err = cli(capsys, "metrics", "pull", "--prometheus", f"http://127.0.0.1:{port}", "--query", "x",
                       "--series", "x", "-p", "shop", "--start", "2h")
    assert code == 1 and err.startswith("error: Prometheus http://127.0.0.1:") and err.count("\n") == 1
