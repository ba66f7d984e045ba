"""The persistent per-file scan cache: each file's facts (argus.analysis.selection.facts), kept between runs.

One SQLite file per scanned tree (``<dir>/<hash of the tree's absolute path>.sqlite3``), one row per
file: its relative path, the BLAKE2b hash of its text, the analysis version (:data:`facts.FACTS_VERSION`
and a hash of the analysis modules' source) and its facts as JSON — the graph-level facts, and the
symbol facts decoded only when the selection reads them. A run parses only the files whose hash (or
the version) differs, stores their facts and drops the rows of files no longer in the tree, in one
transaction (SQLite's locking makes two concurrent runs safe: the last write wins, each row whole).
A corrupt or unreadable cache is ignored with a one-line warning and rebuilt; a cache that cannot be
written is a warning too — never an error of the selection. Nothing is pickled: the facts are plain
dataclasses, tuples, frozensets and dicts, encoded as JSON arrays and decoded by their type hints, so the
round trip is exact (tests/analysis/selection/test_selection_scancache.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import types
import typing
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any

from argus.analysis.selection import facts as facts_mod
from argus.analysis.selection import subprocs, symbols
from argus.analysis.selection.facts import FACTS_VERSION, FileFacts
from argus.analysis.selection.symbols import FileSymbols

log = logging.getLogger("argus.selection")

__all__ = ["CachedFacts", "LazySymbols", "ScanCache", "analysis_version", "content_hash", "decode", "encode"]

# ------------------------------------------------------------------------------------------------- codec


def encode(value: Any) -> Any:
    """``value`` as JSON data: a dataclass as the array of its fields, a dict as an array of [key, value]
    pairs (int keys and order kept), tuples and (frozen)sets as arrays."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return [encode(getattr(value, f.name)) for f in fields(value) if f.init]
    if isinstance(value, dict):
        return [[encode(k), encode(v)] for k, v in value.items()]
    if isinstance(value, (tuple, list, set, frozenset)):
        return [encode(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__}")


def _same(v: Any) -> Any:
    return v


@cache
def decoder(tp: Any) -> Callable[[Any], Any]:
    """The function turning :func:`encode`'s output back into a value of type ``tp`` (TypeError: a type the
    codec does not know)."""
    if tp in (str, int, float, bool, type(None)) or tp is Any:
        return _same
    if is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_decoder(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"cannot decode {tp}")
        inner = decoder(rest[0])
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            d = decoder(args[0])
            return tuple if d is _same else (lambda v: tuple(map(d, v)))
        return _fixed_tuple_decoder([decoder(a) for a in args])
    if origin in (frozenset, set, list):
        d = decoder(args[0])
        make = origin
        return make if d is _same else (lambda v: make(map(d, v)))
    if origin is dict:
        kd, vd = decoder(args[0]), decoder(args[1])
        return lambda v: {kd(k): vd(x) for k, x in v}
    raise TypeError(f"cannot decode {tp}")


def _fixed_tuple_decoder(decs: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    n = len(decs)
    todo = [(i, d) for i, d in enumerate(decs) if d is not _same]

    def dec(v: Any) -> Any:
        if len(v) != n:
            raise ValueError(f"expected {n} items, got {len(v)}")
        for i, d in todo:
            v[i] = d(v[i])
        return tuple(v)

    return dec


def _dataclass_decoder(cls: type) -> Callable[[Any], Any]:
    """A dataclass from the array of its init fields: only the fields that need it are decoded; a plain
    (no ``__post_init__``, no slots, every field in ``__init__``) dataclass is filled without running
    ``__init__`` (frozen ones set each field through ``object.__setattr__``: the slow part of decoding)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:  # an annotation that does not resolve (NameError …)
        raise TypeError(f"cannot read the type hints of {cls.__name__}: {exc}") from None
    fs = fields(cls)
    names = [f.name for f in fs if f.init]
    decs = [decoder(hints[name]) for name in names]
    n = len(names)
    todo = [(i, d) for i, d in enumerate(decs) if d is not _same]
    plain = (len(names) == len(fs) and not hasattr(cls, "__post_init__") and "__slots__" not in cls.__dict__
             and hasattr(cls, "__dict__"))
    new = object.__new__

    def dec(v: Any) -> Any:
        if len(v) != n:
            raise ValueError(f"expected {n} fields of {cls.__name__}, got {len(v)}")
        for i, d in todo:
            v[i] = d(v[i])
        if plain:
            obj: Any = new(cls)
            obj.__dict__.update(zip(names, v, strict=True))
            return obj
        return cls(*v)

    return dec


def decode(tp: Any, data: Any) -> Any:
    return decoder(tp)(data)


# -------------------------------------------------------------------------------------------- the store


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@cache
def analysis_version() -> str:
    """:data:`FACTS_VERSION` and a hash of the source of the modules deriving the facts."""
    h = hashlib.blake2b(digest_size=8)
    for mod in (facts_mod, subprocs, symbols):
        try:
            h.update(Path(str(mod.__file__)).read_bytes())
        except (OSError, TypeError):
            h.update(mod.__name__.encode())
    return f"{FACTS_VERSION}-{h.hexdigest()}"


class LazySymbols(MutableMapping[str, FileSymbols]):
    """Path → :class:`FileSymbols`, decoded from the cache's JSON on first access (``fallback`` recomputes
    a file whose stored facts do not decode)."""

    def __init__(self, raw: dict[str, str], fallback: Callable[[str], FileSymbols | None],
                 done: dict[str, FileSymbols] | None = None) -> None:
        self._raw = raw
        self._done: dict[str, FileSymbols] = dict(done or {})
        self._fallback = fallback

    def __getitem__(self, key: str) -> FileSymbols:
        got = self._done.get(key)
        if got is not None:
            return got
        text = self._raw[key]
        try:
            fs: FileSymbols | None = decode(FileSymbols, json.loads(text))
        except (ValueError, TypeError, IndexError, KeyError, AttributeError):
            log.warning("argus: scan cache entry of %s does not decode; re-parsed", key)
            fs = self._fallback(key)
            if fs is None:
                raise KeyError(key) from None
        assert fs is not None
        self._done[key] = fs
        return fs

    def __setitem__(self, key: str, value: FileSymbols) -> None:
        self._done[key] = value
        self._raw.setdefault(key, "")

    def __delitem__(self, key: str) -> None:
        del self._raw[key]
        self._done.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, key: object) -> bool:
        return key in self._raw


class CachedFacts:
    """A stored row: the hash of the text it was derived from, its graph-level facts and its symbols' JSON."""

    __slots__ = ("digest", "graph", "symbols")

    def __init__(self, digest: str, graph: str, symbols: str) -> None:
        self.digest, self.graph, self.symbols = digest, graph, symbols


_SCHEMA = ("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, digest TEXT NOT NULL, version TEXT NOT NULL, "
           "graph TEXT NOT NULL, symbols TEXT NOT NULL)")


class ScanCache:
    """The cache of one tree, in ``directory`` (created when missing)."""

    def __init__(self, directory: Path, root: Path) -> None:
        key = hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()
        self.path = directory / f"{key}.sqlite3"
        self.version = analysis_version()

    def usable(self) -> bool:
        """Whether the codec knows every type of the facts (else: a warning, and the scan goes uncached)."""
        try:
            decoder(FileFacts)
        except TypeError as exc:
            log.warning("argus: scan cache off: the facts hold a type it cannot store (%s)", exc)
            return False
        return True

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute(_SCHEMA)
        return con

    def _reset(self, why: str) -> None:
        log.warning("argus: scan cache %s %s; rebuilding it", self.path, why)
        for p in (self.path, self.path.with_name(self.path.name + "-journal")):
            with contextlib.suppress(OSError):
                p.unlink()

    def load(self) -> dict[str, CachedFacts]:
        """The stored rows of this analysis version (none when the cache is absent or unreadable)."""
        if not self.path.exists():
            return {}
        try:
            con = self._connect()
            try:
                rows = con.execute("SELECT path, digest, graph, symbols FROM files WHERE version = ?",
                                   (self.version,)).fetchall()
                if not rows and con.execute("SELECT 1 FROM files LIMIT 1").fetchone():
                    log.warning("argus: scan cache %s is of another analysis version; rebuilding it", self.path)
            finally:
                con.close()
        except sqlite3.OperationalError as exc:  # locked, unreadable: not used this time
            log.warning("argus: scan cache %s not read (%s)", self.path, exc)
            return {}
        except sqlite3.DatabaseError as exc:
            self._reset(f"is corrupt ({exc})")
            return {}
        return {p: CachedFacts(d, g, s) for p, d, g, s in rows}

    def save(self, rows: Mapping[str, CachedFacts], keep: set[str], stored: set[str]) -> None:
        """Store ``rows`` and drop the stored paths not in ``keep`` (one transaction; failures: a warning)."""
        gone = stored - keep
        if not rows and not gone:
            return
        for attempt in (1, 2):
            try:
                con = self._connect()
                try:
                    con.execute("BEGIN IMMEDIATE")
                    con.execute("DELETE FROM files WHERE version != ?", (self.version,))
                    con.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in sorted(gone)])
                    con.executemany(
                        "INSERT OR REPLACE INTO files (path, digest, version, graph, symbols) VALUES (?, ?, ?, ?, ?)",
                        [(p, r.digest, self.version, r.graph, r.symbols) for p, r in rows.items()])
                    con.execute("COMMIT")
                finally:
                    con.close()
                return
            except sqlite3.DatabaseError as exc:
                if attempt == 1 and not isinstance(exc, sqlite3.OperationalError):
                    self._reset(f"is corrupt ({exc})")
                    continue
                log.warning("argus: scan cache %s not written (%s)", self.path, exc)
                return
            except OSError as exc:
                log.warning("argus: scan cache %s not written (%s)", self.path, exc)
                return


def encode_row(digest: str, f: FileFacts) -> CachedFacts | None:
    """The row of a file's facts; ``None`` (not cached, a warning) when they hold a value the codec does not
    know (a new field type: teach :func:`encode`/:func:`decoder` about it)."""
    try:
        graph = json.dumps(encode(_graph_part(f)), separators=(",", ":"))
        syms = json.dumps(encode(f.symbols), separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        log.warning("argus: scan facts not cached (%s)", exc)
        return None
    return CachedFacts(digest, graph, syms)


def _graph_part(f: FileFacts) -> FileFacts:
    return FileFacts(f.parsed, f.imported, f.names, f.callables, f.main_blocks, f.events, None)


def decode_graph(row: CachedFacts) -> FileFacts | None:
    """The graph-level facts of a row (symbols left out); ``None`` when it does not decode."""
    try:
        got = decode(FileFacts, json.loads(row.graph))
    except (ValueError, TypeError, IndexError, KeyError, AttributeError):
        return None
    return got if isinstance(got, FileFacts) else None
