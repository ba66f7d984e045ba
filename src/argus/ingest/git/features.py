"""Compute the 14 just-in-time change features of Kamei et al. (2013) incrementally.

Kamei, Shihab, Adams, Hassan, Mockus, Sinha, Ubayashi, "A Large-Scale Empirical Study of
Just-in-Time Quality Assurance", IEEE TSE 39(6), 2013, Table 1. Stored values are the *raw* metrics
of that table (as in the public JIT datasets, e.g. ISSTA'21 ``*_k_feature.csv``); the normalisations
the paper applies before modelling are :func:`normalise` (done at training time, not stored).

Diffusion
  NS       number of modified subsystems: distinct first path components (files at the root share the
           subsystem ``root``).
  ND       number of modified directories: distinct parent directories (``root`` for the top level).
  NF       number of modified files (paths, binary files included).
  Entropy  distribution of the modified lines across files: ``-Σ p_k log2 p_k`` with
           ``p_k = (la_k + ld_k) / (LA + LD)`` over files with modified lines (bits; 0 when none).
Size
  LA, LD   lines added / deleted, summed over files (git numstat; binary files count 0).
  LT       lines of code in the modified files before the change, summed (0 for added files).
Purpose
  FIX      1 when the change is a bug fix (see :mod:`argus.ingest.fixes`), else 0.
History (over *earlier* changes: every commit processed before this one, oldest first)
  NDEV     distinct developers who changed any of the modified files before.
  AGE      mean, over the modified files that changed before, of the time since their last change
           (days, committer time, never negative); 0 when none changed before.
  NUC      number of earlier changes to the modified files, summed per file. Kamei counts *unique*
           changes (a commit that touched two of the files counts once); the exact union needs each
           file's full commit list, which grows with history, so we keep a count per file — an upper
           bound that equals the unique count when no earlier commit touched two of these files.
Experience (of the author, identity normalised by ``.mailmap`` and case-folded e-mail)
  EXP      number of earlier changes by the author.
  REXP     earlier changes weighted by age, ``Σ 1 / (n + 1)`` with ``n`` the age in years (calendar
           year of this change minus that of the earlier one), after Mockus & Weiss (2000).
  SEXP     earlier changes by the author to the subsystems this change modifies, summed per subsystem.

A renamed file keeps its history (state moves to the new path); a deleted file's history is dropped,
so the state holds only live files and known authors and does not grow with history length.
Merge commits are neither featured nor counted: the commits of the merged branch are.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from argus.ingest.git.logparse import FileChange

FEATURE_VERSION = "kamei-1"
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class ChangeFeatures:
    """Raw Kamei metrics of one change (see the module docstring for definitions)."""

    ns: float
    nd: float
    nf: float
    entropy: float
    la: float
    ld: float
    lt: float
    fix: float
    ndev: float
    age: float
    nuc: float
    exp: float
    rexp: float
    sexp: float

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in FEATURE_NAMES}


FEATURE_NAMES = tuple(f.name for f in fields(ChangeFeatures))


def split_path(path: str) -> tuple[str, str]:
    """(subsystem, directory) of a path: first component and parent directory, ``root`` at top level."""
    if "/" not in path:
        return "root", "root"
    return path.split("/", 1)[0], path.rsplit("/", 1)[0]


def entropy(changed_lines: Sequence[int]) -> float:
    """Shannon entropy (bits) of the distribution of modified lines over files."""
    total = sum(changed_lines)
    if total <= 0:
        return 0.0
    h = 0.0
    for n in changed_lines:
        if n > 0:
            p = n / total
            h -= p * math.log2(p)
    return h + 0.0  # turn -0.0 into 0.0


def normalise(f: ChangeFeatures) -> dict[str, float]:
    """Apply Kamei et al.'s modelling normalisations (Sec. 4 of the paper) to raw features.

    LA and LD are divided by LT (relative churn, after Nagappan & Ball) and LT and NUC by NF, because
    they are highly correlated with NF; Entropy is divided by its maximum ``log2(NF)`` (after Hassan,
    2009). A zero denominator leaves the value unchanged (LT = 0 means only new files).
    """
    out = f.as_dict()
    if f.lt > 0:
        out["la"] = f.la / f.lt
        out["ld"] = f.ld / f.lt
    if f.nf > 0:
        out["lt"] = f.lt / f.nf
        out["nuc"] = f.nuc / f.nf
    if f.nf > 1:
        out["entropy"] = f.entropy / math.log2(f.nf)
    return out


class FeatureState:
    """Everything the history and experience features need, updated one change at a time.

    ``files``: path → [last change time (s), number of changes, set of developer ids];
    ``authors``: developer id → [number of changes, {year: changes}, {subsystem: changes}].
    """

    def __init__(self) -> None:
        self.dev_ids: dict[str, int] = {}
        self.files: dict[str, list[Any]] = {}
        self.authors: dict[int, list[Any]] = {}

    def dev_id(self, identity: str) -> int:
        i = self.dev_ids.get(identity)
        if i is None:
            i = self.dev_ids[identity] = len(self.dev_ids)
        return i

    def compute(
        self, identity: str, time: int, fix: bool, files: Sequence[FileChange], lt: Sequence[int]
    ) -> ChangeFeatures:
        """Features of a change by ``identity`` at ``time`` (Unix s), then record it in the state.

        ``lt[i]`` is the number of lines of ``files[i]`` before the change.
        """
        subsystems: set[str] = set()
        directories: set[str] = set()
        devs: set[int] = set()
        ages: list[float] = []
        la = ld = nuc = 0
        changed: list[int] = []
        file_state = self.files
        for fc in files:
            sub, directory = split_path(fc.path)
            subsystems.add(sub)
            directories.add(directory)
            la += fc.added
            ld += fc.deleted
            changed.append(fc.added + fc.deleted)
            hist = file_state.get(fc.old_path if fc.change_type == "R" and fc.old_path else fc.path)
            if hist is not None and fc.change_type not in ("A", "C"):
                ages.append(max(0.0, (time - hist[0]) / SECONDS_PER_DAY))
                nuc += hist[1]
                devs |= hist[2]
        dev = self.dev_id(identity)
        author = self.authors.get(dev)
        year = datetime.fromtimestamp(time, UTC).year
        if author is None:
            exp, rexp, sexp = 0, 0.0, 0
        else:
            exp = author[0]
            rexp = sum(c / (max(0, year - y) + 1) for y, c in author[1].items())
            sexp = sum(author[2].get(s, 0) for s in subsystems)
        result = ChangeFeatures(
            ns=float(len(subsystems)),
            nd=float(len(directories)),
            nf=float(len(files)),
            entropy=entropy(changed),
            la=float(la),
            ld=float(ld),
            lt=float(sum(lt)),
            fix=1.0 if fix else 0.0,
            ndev=float(len(devs)),
            age=sum(ages) / len(ages) if ages else 0.0,
            nuc=float(nuc),
            exp=float(exp),
            rexp=float(rexp),
            sexp=float(sexp),
        )
        self._record(dev, time, year, files, subsystems)
        return result

    def _record(self, dev: int, time: int, year: int, files: Sequence[FileChange], subsystems: set[str]) -> None:
        file_state = self.files
        for fc in files:
            if fc.change_type == "D":
                file_state.pop(fc.path, None)
                continue
            hist = file_state.pop(fc.old_path, None) if fc.change_type == "R" and fc.old_path else None
            if hist is None:
                hist = file_state.get(fc.path) if fc.change_type not in ("A", "C") else None
            if hist is None:
                hist = [time, 0, set()]
            hist[0] = max(hist[0], time)
            hist[1] += 1
            hist[2].add(dev)
            file_state[fc.path] = hist
        author = self.authors.get(dev)
        if author is None:
            author = self.authors[dev] = [0, {}, {}]
        author[0] += 1
        author[1][year] = author[1].get(year, 0) + 1
        for s in subsystems:
            author[2][s] = author[2].get(s, 0) + 1

    # -- persistence between incremental runs -------------------------------------------------
    def dump(self) -> bytes:
        """Serialise the state (zlib-compressed JSON) for the next incremental run."""
        doc = {
            "v": 1,
            "devs": self.dev_ids,
            "files": {p: [h[0], h[1], sorted(h[2])] for p, h in self.files.items()},
            "authors": {str(d): [a[0], {str(y): c for y, c in a[1].items()}, a[2]] for d, a in self.authors.items()},
        }
        return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)

    @classmethod
    def load(cls, blob: bytes | None) -> FeatureState:
        """Rebuild a state from :meth:`dump` output (an empty state for None or another version)."""
        state = cls()
        if not blob:
            return state
        doc = json.loads(zlib.decompress(blob))
        if doc.get("v") != 1:
            return state
        state.dev_ids = {k: int(v) for k, v in doc["devs"].items()}
        state.files = {p: [h[0], h[1], set(h[2])] for p, h in doc["files"].items()}
        state.authors = {
            int(d): [a[0], {int(y): c for y, c in a[1].items()}, dict(a[2])] for d, a in doc["authors"].items()
        }
        return state
