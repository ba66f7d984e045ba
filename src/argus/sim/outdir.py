"""Put simulator output in place only once it is complete.

``argus simulate`` writes into a hidden sibling of ``--out`` (``.<name>.partial-XXXX``, same file system)
and moves the finished projects and ``manifest.json`` into ``--out`` at the end: a crash or Ctrl-C
never leaves a half-written project where readers (``argus ingest``, ``argus demo``) look. Only after
``kill -9`` can a hidden ``.partial-`` sibling remain; it is never read and may be deleted.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from argus.core.errors import InputError

MANIFEST = "manifest.json"


def resolve_out(out: Path, force: bool) -> Path:
    """The absolute ``--out`` folder, checked: a directory that is missing, empty, or (with ``force``) holds
    earlier output, whose simulator entries are replaced and whose other files are kept."""
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    if out.exists() and any(out.iterdir()) and not force:
        raise InputError(f"--out {out}: folder is not empty (use --force to replace earlier simulator output)")
    return out


def _old_entries(out: Path, new_names: set[str]) -> list[Path]:
    """Entries of ``out`` that earlier simulator output owns: its manifest, the projects it lists, any folder
    with a ``ground_truth.json``, and whatever has the name of a project written now (a half-written one)."""
    listed: set[str] = set()
    try:
        doc = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("projects"), list):
            listed = {str(p.get("path")) for p in doc["projects"] if isinstance(p, dict)}
    except (OSError, ValueError):
        pass
    return [c for c in out.iterdir()
            if c.name == MANIFEST or c.name in new_names or c.name in listed
            or (c.is_dir() and (c / "ground_truth.json").is_file())]


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """Yield a fresh folder next to ``out`` to write into; on success move its entries into ``out``
    (projects first, ``manifest.json`` last), on any error delete it and leave ``out`` as it was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield work
        _install(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _install(work: Path, out: Path) -> None:
    if not out.exists() or not any(out.iterdir()):
        if out.exists():
            out.rmdir()
        work.rename(out)  # one rename: the whole tree appears at once
        work.mkdir()  # for the caller's cleanup
        return
    new = sorted(work.iterdir(), key=lambda p: p.name == MANIFEST)  # manifest last: it marks completeness
    trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    try:
        for old in _old_entries(out, {p.name for p in new}):
            old.rename(trash / old.name)
        for entry in new:
            entry.rename(out / entry.name)
    finally:
        shutil.rmtree(trash, ignore_errors=True)
