"""Git use cases called directly: history without SZZ, resumable SZZ, changes list/show."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest" / "git"))

from git_repo_builder import DAY, T0, Repo

from argus.app.git import (
    HistoryIngested,
    IngestHistoryRequest,
    ListChangesRequest,
    SzzRequest,
    SzzRun,
    ingest_history,
    list_changes,
    run_szz,
    show_change,
)
from argus.app.runtime import Runtime
from argus.ingest.git.service import GitIngestResult
from argus.ingest.git.szz_followup import SzzRunResult


def test_read_models_keep_every_field_of_the_ingest_results() -> None:
    assert [f.name for f in dataclasses.fields(HistoryIngested)] == [f.name for f in dataclasses.fields(GitIngestResult)]
    assert [f.name for f in dataclasses.fields(SzzRun)] == [f.name for f in dataclasses.fields(SzzRunResult)]


def _repo(tmp_path: Path) -> tuple[Repo, list[str]]:
    r = Repo(tmp_path / "repo")
    lines = [f"line {n}" for n in range(6)]
    r.write("app.py", "".join(f"{x}\n" for x in lines))
    r.commit("import app", when=T0)
    fixes = []
    for i in range(3):
        lines[i] = f"feature {i}"
        r.write("app.py", "".join(f"{x}\n" for x in lines))
        r.commit(f"add feature {i}", when=T0 + (2 * i + 1) * DAY)
        lines[i] = f"feature {i} repaired"
        r.write("app.py", "".join(f"{x}\n" for x in lines))
        fixes.append(r.commit(f"Fix bug {i}", when=T0 + (2 * i + 2) * DAY))
    return r, fixes


def test_history_then_resumable_szz_then_changes(runtime: Runtime, tmp_path: Path) -> None:
    r, fixes = _repo(tmp_path)
    phases: list[str] = []
    history = ingest_history(runtime, IngestHistoryRequest("p", r.path, szz=False),
                             lambda phase, done, total: phases.append(phase))
    assert (history.commits_new, history.fixes, history.links) == (7, 3, 0) and history.mode == "full"
    assert set(phases) == {"commits"} and isinstance(history.notes, tuple)

    part = run_szz(runtime, SzzRequest("p", batch=1, max_fixes=2))  # the repo: the project's stored path
    assert (part.pending_before, part.fixes, part.batches, part.remaining) == (3, 2, 2, 1)
    assert part.repo == str(r.path) and "total" in part.seconds
    done: list[tuple[str, int, int]] = []
    rest = run_szz(runtime, SzzRequest("p"), lambda phase, n, total: done.append((phase, n, total)))
    assert (rest.pending_before, rest.fixes, rest.remaining) == (1, 1, 0) and done[-1] == ("szz-done", 1, 1)
    assert run_szz(runtime, SzzRequest("p")).pending_before == 0

    rows = list_changes(runtime, ListChangesRequest("p", fixes_only=True))
    assert [row.sha for row in rows] == fixes[::-1]
    assert len(list_changes(runtime, ListChangesRequest("p", limit=2))) == 2
    detail = show_change(runtime, fixes[0][:8], "p")
    assert detail.sha == fixes[0] and detail.is_fix and len(detail.induced_by) == 1
