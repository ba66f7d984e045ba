"""SQL of test selection: store a coverage map in bulk; read the rows of the changed files, the tests'
recent history and their co-failures with the changed files. Reads touch only what a change needs:
the map rows of the changed files (index on map and file), one aggregate over recent results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from argus.analysis.selection.contexts import node_of_identity
from argus.analysis.selection.mapfile import ParsedMap
from argus.analysis.selection.schemas import CoFailure, CoverageIndex, MapEntry
from argus.store.models import (
    Commit,
    CommitFile,
    CoverageMap,
    CoverageMapEntry,
    TestCase,
    TestResult,
    TestRun,
)
from argus.store.session import current_project_id

FAIL_OUTCOMES = ("failed", "error")
_BATCH = 5000


def find_map_by_hash(session: Session, content_hash: str) -> CoverageMap | None:
    return session.scalars(select(CoverageMap).where(CoverageMap.content_hash == content_hash).limit(1)).first()


def store_map(session: Session, parsed: ParsedMap, *, source: str, content_hash: str,
              commit: str | None) -> CoverageMap:
    """Insert one map row and its entries (bulk ``executemany``)."""
    pid = current_project_id(session)
    tests = sorted(parsed.tests)
    t_idx = {t: i for i, t in enumerate(tests)}
    files = sorted(parsed.files)
    f_idx = {f: i for i, f in enumerate(files)}
    test_list = [[t, parsed.tests[t], t in parsed.all_params] for t in tests]
    imports = {str(f_idx[f]): r for f, r in parsed.import_lines.items()}
    size = sum(len(r) + 8 for r in parsed.entries.values()) + sum(len(t) + len(n or "") for t, n in parsed.tests.items())
    size += sum(len(f) for f in files) + sum(len(r) for r in imports.values())
    row = CoverageMap(project_id=pid, commit_sha=commit, source_name=source, content_hash=content_hash,
                      n_tests=len(tests), n_files=len(files), n_entries=len(parsed.entries), n_lines=parsed.lines,
                      stored_bytes=size, tests=test_list, files=files, import_lines=imports)
    session.add(row)
    session.flush()
    batch: list[dict[str, object]] = []
    for (t, f), r in parsed.entries.items():
        batch.append({"project_id": pid, "map_id": row.id, "file_idx": f_idx[f], "test_idx": t_idx[t], "ranges": r})
        if len(batch) >= _BATCH:
            session.execute(insert(CoverageMapEntry), batch)
            batch = []
    if batch:
        session.execute(insert(CoverageMapEntry), batch)
    return row


def latest_map(session: Session, commit: str | None = None) -> CoverageMap | None:
    """The newest map (of ``commit`` when given and stored, else the newest of all)."""
    q = select(CoverageMap).order_by(CoverageMap.created_at.desc(), CoverageMap.id.desc()).limit(1)
    if commit:
        found = session.scalars(q.where(CoverageMap.commit_sha == commit)).first()
        if found is not None:
            return found
    return session.scalars(q).first()


def load_index(session: Session, m: CoverageMap | None, files: Iterable[str]) -> CoverageIndex:
    """The map's tests, and its rows of ``files`` only."""
    if m is None:
        return CoverageIndex({})
    tests = {str(t[0]): t[1] for t in m.tests}
    all_params = frozenset(str(t[0]) for t in m.tests if len(t) > 2 and t[2])
    names = [str(t[0]) for t in m.tests]
    f_idx = {f: i for i, f in enumerate(m.files)}
    want = sorted({f_idx[f] for f in files if f in f_idx})
    entries: dict[str, list[MapEntry]] = defaultdict(list)
    if want:
        e = CoverageMapEntry.__table__.c
        for rid, fi, ti, rng in session.execute(
            select(e.id, e.file_idx, e.test_idx, e.ranges).where(e.project_id == current_project_id(session), e.map_id == m.id, e.file_idx.in_(want))
        ):
            entries[m.files[fi]].append(MapEntry(names[ti], m.files[fi], rng, rid))
    imports = {m.files[int(k)]: v for k, v in (m.import_lines or {}).items()}
    ran = tests_run_at(session, m.commit_sha) if m.commit_sha else frozenset()
    return CoverageIndex(tests, all_params, dict(entries), imports, frozenset(m.files), m.id, m.commit_sha, ran)


def tests_run_at(session: Session, commit: str) -> frozenset[str]:
    """Identities of the tests with a (first-attempt) result in a run of ``commit``."""
    r = TestResult.__table__.c
    tc = TestCase.__table__.c
    tr = TestRun.__table__.c
    pid = current_project_id(session)
    q = (
        select(tc.identity).distinct()
        .select_from(TestResult.__table__.join(TestCase.__table__, tc.id == r.test_case_id)
                     .join(TestRun.__table__, tr.id == r.run_id))
        .where(r.project_id == pid, tc.project_id == pid, tr.project_id == pid, tr.commit_sha == commit,
               r.attempt == 0)
    )
    return frozenset(str(i) for i in session.scalars(q))


@dataclass(frozen=True)
class TestStats:
    __test__ = False

    identity: str
    node_id: str | None
    runs: int
    failures: int
    duration_s: float | None
    last_failed: int | None


def recent_runs(session: Session, limit: int) -> list[tuple[int, str | None]]:
    """The newest ``limit`` runs, oldest first: (run id, commit)."""
    r = TestRun.__table__.c
    rows = session.execute(select(r.id, r.commit_sha).where(r.project_id == current_project_id(session)).order_by(r.started_at.desc(), r.id.desc()).limit(limit)).all()
    return [(int(a), b) for a, b in reversed(rows)]


def test_stats(session: Session, run_ids: Sequence[int]) -> list[TestStats]:
    """Per test over the runs ``run_ids`` (first attempts): runs, failures, mean duration, last failing run."""
    if not run_ids:
        return []
    r = TestResult.__table__.c
    tc = TestCase.__table__.c
    lo = min(run_ids)
    fail = case((r.outcome.in_(FAIL_OUTCOMES), 1), else_=0)
    q = (
        select(tc.identity, tc.file, tc.classname, tc.name, func.count(), func.sum(fail), func.avg(r.duration_s),
               func.max(case((r.outcome.in_(FAIL_OUTCOMES), r.run_id), else_=None)))
        .select_from(TestResult.__table__.join(TestCase.__table__, tc.id == r.test_case_id))
        .where(r.project_id == current_project_id(session), tc.project_id == r.project_id, r.run_id >= lo,
               r.attempt == 0)
        .group_by(tc.identity, tc.file, tc.classname, tc.name)
    )
    order = {rid: i for i, rid in enumerate(run_ids)}
    out = []
    for ident, file, _cls, _name, n, f, dur, last in session.execute(q):
        out.append(TestStats(ident, node_of_identity(ident, file), int(n), int(f or 0),
                             float(dur) if dur is not None else None, order.get(last) if last is not None else None))
    return out


def failing_results(session: Session, run_ids: Sequence[int], per_test: int = 5) -> dict[str, list[tuple[int, int]]]:
    """identity → [(result id, run id)] of its failing first attempts in ``run_ids`` (newest first)."""
    if not run_ids:
        return {}
    r = TestResult.__table__.c
    tc = TestCase.__table__.c
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    q = (select(tc.identity, r.id, r.run_id).select_from(TestResult.__table__.join(TestCase.__table__, tc.id == r.test_case_id))
         .where(r.project_id == current_project_id(session), tc.project_id == r.project_id,
                r.run_id >= min(run_ids), r.attempt == 0, r.outcome.in_(FAIL_OUTCOMES)).order_by(r.run_id.desc()))
    for ident, rid, run in session.execute(q):
        out[ident].append((int(rid), int(run)))
    return dict(out)


def cofailures(session: Session, runs: Sequence[tuple[int, str | None]], files: Sequence[str],
               fails: dict[str, list[tuple[int, int]]], half_life: float) -> list[CoFailure]:
    """Co-failure of tests with ``files``: over the runs whose commit changed a file, how often (decayed
    by the run's age: weight ``0.5 ** (age / half_life)``) each test failed."""
    if not runs or not files:
        return []
    c = Commit.__table__.c
    cf = CommitFile.__table__.c
    shas = {sha for _, sha in runs if sha}
    touched: dict[str, set[str]] = defaultdict(set)  # sha -> changed files among ``files``
    sha_list = sorted(shas)
    for i in range(0, len(sha_list), 500):
        for sha, path in session.execute(
            select(c.sha, cf.path).select_from(CommitFile.__table__.join(Commit.__table__, c.id == cf.commit_id))
            .where(c.project_id == current_project_id(session), cf.project_id == c.project_id,
                   c.sha.in_(sha_list[i : i + 500]), cf.path.in_(list(files)))
        ):
            touched[sha].add(path)
    n = len(runs)
    changes_w: dict[str, float] = defaultdict(float)
    changes_n: dict[str, int] = defaultdict(int)
    run_files: dict[int, tuple[set[str], float]] = {}
    for i, (rid, sha) in enumerate(runs):
        if sha and sha in touched:
            w = 0.5 ** ((n - 1 - i) / half_life)
            run_files[rid] = (touched[sha], w)
            for f in touched[sha]:
                changes_w[f] += w
                changes_n[f] += 1
    acc: dict[tuple[str, str], list[float]] = {}
    ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    for ident, rows in fails.items():
        for res_id, run in rows:
            hit = run_files.get(run)
            if hit is None:
                continue
            for f in hit[0]:
                a = acc.setdefault((ident, f), [0.0, 0.0])
                a[0] += hit[1]
                a[1] += 1
                ids[(ident, f)].append(res_id)
    return [CoFailure(t, f, w, changes_w[f], int(k), changes_n[f], tuple(ids[(t, f)]))
            for (t, f), (w, k) in acc.items()]
