"""Reading a simulator folder back as typed values (what `argus demo` uses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.core.errors import InputError
from argus.sim import read_manifest, read_run


def test_read_manifest_gives_runs_in_time_order_with_existing_reports(small_out: Path) -> None:
    m = read_manifest(small_out)
    assert [p.name for p in m.projects] == ["acme-billing"] and m.projects[0].repo.is_dir()
    assert len(m.runs) == m.projects[0].runs
    assert [r.started_at for r in m.runs] == sorted(r.started_at for r in m.runs)
    for r in m.runs:
        assert r.junit and r.junit[0].name == "junit-pytest.xml" and all(p.is_file() for p in r.junit)
        assert r.coverage is None or r.coverage.is_file()
        assert (r.vulnerabilities is None) == (r.attempt > 1)
        args = r.ingest_args()
        assert args[args.index("--commit") + 1] == r.commit and f"os={r.environment['os']}" in args


def test_malformed_run_json_names_the_file(tmp_path: Path, small_project: Path) -> None:
    run = next((small_project / "runs").iterdir())
    doc = json.loads((run / "run.json").read_text())
    del doc["commit"]
    (tmp_path / "run.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"run\.json"):
        read_run(tmp_path)
    with pytest.raises(InputError, match="argus simulate"):
        read_manifest(tmp_path)
