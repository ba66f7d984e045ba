"""``argus risk evaluate-dataset``: a CSV of precomputed per-commit Kamei features, evaluated time-ordered.

Columns (Kamei's names): ``_id, date, bug, ns, nd, nf, entrophy|entropy, la, ld, lt, fix, ndev, age, nuc,
exp, rexp, sexp``; other columns are ignored (the shared CSVs carry an unnamed index and ``__``).
``date`` is epoch seconds or an ISO 8601 time. Rows are sorted by date before the split. An optional
``author`` column (any id) names each change's author; without it (the shared JIT CSVs) the authors are
recovered as chains of ``exp`` / ``rexp`` (:mod:`argus.analysis.risk.authors`).

The model reads Kamei's 14, their ratios and (round 4 of issue 17, chosen on Qt's CV: docs/analysis/risk.md)
the author's earlier defect rate (``author_bug_rate``, ``author_bug_known``), read from training labels only
(a test row never reads a test label) and only from changes at least :data:`LABEL_LAG_DAYS` older than the
row (a bug is known once its fix exists; the CSVs carry no fix time). ``author_features=False``
(``--no-author-features``) is the model before round 4.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from argus.analysis.risk.authors import AUTHOR_LABELS, Chains, author_chains, author_defect_rate
from argus.analysis.risk.model import (
    DERIVED,
    KAMEI,
    CalibrationMethod,
    Evaluation,
    evaluate_split,
    matrix,
    time_split,
)
from argus.core.errors import InputError

REQUIRED = ("_id", "date", "bug", *KAMEI)
#: Features of the dataset evaluation: Kamei's 14 and the size ratios derived from them.
DATASET_FEATURES = (*KAMEI, *DERIVED)
#: Author chains of a CSV without author ids: a link bridges at most this many unseen changes of the
#: author (200 / 20 / 5 tried on Qt's CV with a 30-day label lag; 20 scored best).
CHAIN_MAX_GAP = 20
#: A training label is read for a change only if that labelled change is this many days older (0 / 30 / 90
#: tried; 0 reads labels a deployment would not know yet, see docs/analysis/risk.md).
LABEL_LAG_DAYS = 30.0


@dataclass(frozen=True)
class Dataset:
    ids: tuple[str, ...]
    times: np.ndarray
    labels: np.ndarray
    X: np.ndarray
    authors: tuple[str, ...] | None = None  # the ``author`` column when the CSV has one


def _time(text: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InputError(f"line {line}: date {text!r} is neither epoch seconds nor ISO 8601") from None


def read_dataset(path: Path) -> Dataset:
    """Read and validate the CSV (a clear :class:`InputError` naming the line or column on bad input)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = ["entropy" if h == "entrophy" else h for h in header]
            missing = [c for c in REQUIRED if c not in reader.fieldnames]
            if missing:
                raise InputError(f"{path}: missing column(s) {', '.join(missing)} (Kamei's names: "
                                 f"{', '.join(REQUIRED)}; 'entrophy' is accepted for entropy)")
            ids: list[str] = []
            authors: list[str] = []
            has_author = "author" in reader.fieldnames
            times: list[float] = []
            labels: list[int] = []
            rows: list[dict[str, float | None]] = []
            for n, rec in enumerate(reader, start=2):
                ids.append(rec["_id"])
                if has_author:
                    authors.append((rec["author"] or "").strip())
                times.append(_time(rec["date"], n))
                try:
                    bug = float(rec["bug"])
                    values: dict[str, float | None] = {k: float(rec[k]) if rec[k] not in ("", None) else None
                                                       for k in KAMEI}
                except (TypeError, ValueError):
                    raise InputError(f"{path}: line {n}: a non-numeric feature or label") from None
                if bug not in (0.0, 1.0):
                    raise InputError(f"{path}: line {n}: bug must be 0 or 1, not {rec['bug']!r}")
                if any(v is not None and not math.isfinite(v) for v in values.values()):
                    raise InputError(f"{path}: line {n}: a feature is not a finite number")
                labels.append(int(bug))
                rows.append(values)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from None
    if len(rows) < 10:
        raise InputError(f"{path}: {len(rows)} rows; at least 10 are needed to split in time")
    order = np.argsort(np.array(times), kind="mergesort")
    X = matrix(rows, DATASET_FEATURES)[order]
    return Dataset(tuple(ids[i] for i in order), np.array(times)[order], np.array(labels, dtype=int)[order], X,
                   tuple(authors[i] for i in order) if has_author else None)


def chains_of(ds: Dataset) -> Chains:
    """The authors of a dataset's rows: its ``author`` column, else chains recovered from exp / rexp."""
    if ds.authors is not None:
        ids: dict[str, int] = {}
        # a blank author is unknown: a chain of its own (never pooled with other blank rows)
        chain = np.array([ids.setdefault(a or f"\0row{i}", len(ids)) for i, a in enumerate(ds.authors)], dtype=int)
        prev = np.full(len(chain), -1, dtype=int)
        last: dict[int, int] = {}
        for i, c in enumerate(chain):
            prev[i] = last.get(int(c), -1)
            last[int(c)] = i
        return Chains(prev, chain, (prev >= 0).astype(int))
    f = list(DATASET_FEATURES)
    return author_chains(ds.times, ds.X[:, f.index("exp")], ds.X[:, f.index("rexp")], max_gap=CHAIN_MAX_GAP)


def with_author_rate(ds: Dataset, train_fraction: float) -> tuple[np.ndarray, tuple[str, ...]]:
    """The dataset's matrix plus the author's earlier defect rate, read from training labels at least
    :data:`LABEL_LAG_DAYS` older than each row only."""
    split = time_split(ds.times, train_fraction)
    known = np.zeros(len(ds.labels), dtype=bool)
    known[split.train] = True
    r = author_defect_rate(ds.times, chains_of(ds), ds.labels, known, lag=LABEL_LAG_DAYS * 86400.0)
    return np.column_stack([ds.X, *(r[k] for k in AUTHOR_LABELS)]), (*DATASET_FEATURES, *AUTHOR_LABELS)


def evaluate_dataset(path: Path, train_fraction: float = 0.8,
                     calibration: CalibrationMethod = CalibrationMethod.ISOTONIC, *,
                     author_features: bool = True) -> Evaluation:
    """Train on the earliest ``train_fraction`` of the commits, test on the rest (never shuffled)."""
    ds = read_dataset(path)
    if len(np.unique(ds.labels)) < 2:
        raise InputError(f"{path}: every commit has the same label; nothing to learn")
    X, feats = (with_author_rate(ds, train_fraction) if author_features else (ds.X, DATASET_FEATURES))
    ev, _ = evaluate_split(X, ds.labels, ds.times, feats, train_fraction, calibration=calibration)
    return ev
