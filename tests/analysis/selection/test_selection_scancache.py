"""The per-file scan cache: a warm scan gives exactly the cold scan's graph; an edit re-derives exactly the
edited file's facts; a corrupt, foreign-version or concurrently written cache never breaks a scan."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

import argus
from argus.analysis.selection.facts import FileFacts, file_facts
from argus.analysis.selection.imports import ImportGraph, scan
from argus.analysis.selection.scancache import ScanCache, decode, decoder, encode
from argus.analysis.selection.schemas import ChangedFile, FileStatus
from argus.analysis.selection.service import base_side_graph
from argus.core.settings import SelectionSettings, Settings

ARGUS = Path(argus.__file__).parent

LAUNCHING = {
    "pyproject.toml": '[project]\nname = "pkg"\n[project.scripts]\npkgtool = "pkg.cli:main"\n',
    "src/pkg/__init__.py": "",
    "src/pkg/__main__.py": "from pkg.cli import main\nmain()\n",
    "src/pkg/cli.py": "from pkg import core\n\ndef main():\n    return core.run()\n\nif __name__ == '__main__':\n    main()\n",
    "src/pkg/core.py": "__all__ = ['run']\nLIMIT = 3\n\ndef run(x=LIMIT):\n    y = x + 1\n    return y * 2.5\n",
    "src/pkg/broken.py": "def oops(:\n",
    "tests/test_m.py": "import subprocess, sys\n\ndef test_a():\n    subprocess.run([sys.executable, '-m', 'pkg'])\n",
    "tests/test_s.py": "import subprocess\n\ndef test_s():\n    subprocess.check_output(['pkgtool', '-v'])\n",
    "tests/test_p.py": "import os, subprocess\nCLI = os.path.join(os.path.dirname(__file__), '..', 'src', 'pkg', "
                       "'cli.py')\n",
    "tests/test_c.py": "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import pkg.core'])\n",
    "tests/test_r.py": "import runpy\n\ndef test_r():\n    runpy.run_module('pkg.cli', run_name='__main__')\n"
                       "    runpy.run_path('src/pkg/core.py')\n",
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _rows(cache_dir: Path, root: Path) -> dict[str, tuple[str, str, str, str]]:
    con = sqlite3.connect(ScanCache(cache_dir, root).path)
    try:
        return {p: (d, v, g, s) for p, d, v, g, s in con.execute("SELECT path, digest, version, graph, symbols FROM files")}
    finally:
        con.close()


def _same(a: ImportGraph, b: ImportGraph) -> None:
    for name in ("imports", "modules", "names", "callables", "main_blocks", "runs"):
        assert getattr(a, name) == getattr(b, name), name
    assert list(a.symbols) == list(b.symbols)
    assert dict(a.symbols.items()) == dict(b.symbols.items())


def test_warm_scan_of_the_argus_tree_is_the_cold_scan(tmp_path: Path) -> None:
    cold = scan(ARGUS)
    first = scan(ARGUS, tmp_path)  # fills the cache
    warm = scan(ARGUS, tmp_path)  # reads it
    _same(cold, first)
    _same(cold, warm)
    assert len(_rows(tmp_path, ARGUS)) == len(cold.imports) > 300


def test_warm_scan_keeps_launches_unparseable_files_and_main_blocks(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", LAUNCHING)
    cold = scan(root)
    assert {"tests/test_m.py", "tests/test_s.py", "tests/test_p.py", "tests/test_c.py", "tests/test_r.py"} <= set(cold.runs)
    assert cold.imports["src/pkg/broken.py"] == set() and "src/pkg/broken.py" not in cold.symbols
    scan(root, tmp_path / "c")
    warm = scan(root, tmp_path / "c")
    _same(cold, warm)
    assert warm == cold


def test_facts_round_trip_exactly() -> None:
    for rel, text in LAUNCHING.items():
        if rel.endswith(".py"):
            f = file_facts(text, rel, rel[4:-3].replace("/", ".") if rel.startswith("src/") else "")
            assert decode(FileFacts, encode(f)) == f
    own = (ARGUS / "analysis/selection/symbols.py").read_text()
    f = file_facts(own, "src/argus/analysis/selection/symbols.py", "argus.analysis.selection.symbols")
    assert f.symbols is not None and f.symbols.uses and f.symbols.literals
    assert decode(FileFacts, encode(f)) == f


def test_an_edit_rederives_only_the_edited_file_and_a_removed_file_drops_out(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ARGUS / "analysis" / "selection", root / "src" / "argus" / "analysis" / "selection")
    cache = tmp_path / "c"
    scan(root, cache)
    before = _rows(cache, root)
    edited = "src/argus/analysis/selection/ranges.py"
    (root / edited).write_text((root / edited).read_text() + "\n\ndef added(x):\n    return x + 1\n")
    (root / "src/argus/analysis/selection/testfiles.py").unlink()
    warm = scan(root, cache)
    after = _rows(cache, root)
    assert set(before) - set(after) == {"src/argus/analysis/selection/testfiles.py"}
    changed = {p for p in after if after[p] != before[p]}
    assert changed == {edited}
    assert any(name == "added" for name, _, _ in warm.callables[edited])
    _same(scan(root), warm)


def test_a_corrupt_cache_is_rebuilt_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _write(tmp_path / "repo", LAUNCHING)
    cache = tmp_path / "c"
    scan(root, cache)
    ScanCache(cache, root).path.write_bytes(b"not a database at all" * 100)
    with caplog.at_level(logging.WARNING, logger="argus.selection"):
        g = scan(root, cache)
    assert any("corrupt" in r.getMessage() for r in caplog.records)
    _same(scan(root), g)
    assert len(_rows(cache, root)) == len([p for p in LAUNCHING if p.endswith(".py")])


def test_a_bad_row_or_a_foreign_version_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _write(tmp_path / "repo", LAUNCHING)
    cache = tmp_path / "c"
    scan(root, cache)
    path = ScanCache(cache, root).path
    con = sqlite3.connect(path)
    con.execute("UPDATE files SET graph = '[1, 2', symbols = 'x' WHERE path = 'src/pkg/core.py'")
    con.commit()
    con.close()
    _same(scan(root), scan(root, cache))  # the bad row: re-parsed
    con = sqlite3.connect(path)
    con.execute("UPDATE files SET version = '0-foreign'")
    con.commit()
    con.close()
    with caplog.at_level(logging.WARNING, logger="argus.selection"):
        g = scan(root, cache)
    assert any("another analysis version" in r.getMessage() for r in caplog.records)
    _same(scan(root), g)
    assert {v for _, v, _, _ in _rows(cache, root).values()} == {ScanCache(cache, root).version}


def test_undecodable_symbols_are_recomputed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _write(tmp_path / "repo", LAUNCHING)
    cache = tmp_path / "c"
    scan(root, cache)
    con = sqlite3.connect(ScanCache(cache, root).path)
    con.execute("UPDATE files SET symbols = '[1]' WHERE path = 'src/pkg/core.py'")
    con.commit()
    con.close()
    with caplog.at_level(logging.WARNING, logger="argus.selection"):
        g = scan(root, cache)
        assert g.symbols["src/pkg/core.py"] == scan(root).symbols["src/pkg/core.py"]
    assert any("does not decode" in r.getMessage() for r in caplog.records)


def test_concurrent_scans_share_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(ARGUS / "analysis" / "selection", root / "src" / "argus" / "analysis" / "selection")
    cache = tmp_path / "c"
    got: list[ImportGraph] = []
    threads = [threading.Thread(target=lambda: got.append(scan(root, cache))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cold = scan(root)
    assert len(got) == 3
    for g in got:
        _same(cold, g)
    _same(cold, scan(root, cache))


def test_an_unwritable_cache_dir_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _write(tmp_path / "repo", LAUNCHING)
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a directory")
    with caplog.at_level(logging.WARNING, logger="argus.selection"):
        g = scan(root, blocker / "cache")
    assert any("not written" in r.getMessage() for r in caplog.records)
    _same(scan(root), g)


def test_settings_default_the_cache_dir_under_home(tmp_path: Path) -> None:
    s = Settings(home=tmp_path)
    assert s.selection.scan_cache and s.selection.scan_cache_dir == tmp_path / "scan-cache"
    assert Settings(home=tmp_path, selection=SelectionSettings(scan_cache_dir=tmp_path / "x")) \
        .selection.scan_cache_dir == tmp_path / "x"


def test_base_side_graph_goes_through_the_cache(tmp_path: Path) -> None:
    root = _write(tmp_path / "repo", LAUNCHING)
    changed = [ChangedFile("src/pkg/core.py", None, FileStatus.MODIFIED)]
    g = base_side_graph(root, changed, tmp_path / "c")
    assert ScanCache(tmp_path / "c", root).path.is_file()
    _same(base_side_graph(root, changed), g)
    _same(g, base_side_graph(root, changed, tmp_path / "c"))


def test_the_codec_refuses_types_it_does_not_know() -> None:
    @dataclass(frozen=True)
    class Odd:
        x: Decimal

    with pytest.raises(TypeError):
        decoder(Odd)
    with pytest.raises(TypeError):
        encode(Odd(Decimal(1)))
    assert decode(dict[int, tuple[str, tuple[int, ...]]], encode({3: ("a", (1, 2))})) == {3: ("a", (1, 2))}
    assert decode(tuple[str, ...] | None, encode(None)) is None
