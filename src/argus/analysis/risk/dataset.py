"""``argus risk evaluate-dataset``: a CSV of precomputed per-commit Kamei features, evaluated time-ordered.

Columns (Kamei's names): ``_id, date, bug, ns, nd, nf, entrophy|entropy, la, ld, lt, fix, ndev, age, nuc,
exp, rexp, sexp``; other columns are ignored (the shared CSVs carry an unnamed index and ``__``).
``date`` is epoch seconds or an ISO 8601 time. Rows are sorted by date before the split.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from argus.analysis.risk.model import DERIVED, KAMEI, CalibrationMethod, Evaluation, evaluate_split, matrix
from argus.core.errors import InputError

REQUIRED = ("_id", "date", "bug", *KAMEI)
#: Features of the dataset evaluation: Kamei's 14 and the size ratios derived from them.
DATASET_FEATURES = (*KAMEI, *DERIVED)


@dataclass(frozen=True)
class Dataset:
    ids: tuple[str, ...]
    times: np.ndarray
    labels: np.ndarray
    X: np.ndarray


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
            times: list[float] = []
            labels: list[int] = []
            rows: list[dict[str, float | None]] = []
            for n, rec in enumerate(reader, start=2):
                ids.append(rec["_id"])
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
    return Dataset(tuple(ids[i] for i in order), np.array(times)[order], np.array(labels, dtype=int)[order], X)


def evaluate_dataset(path: Path, train_fraction: float = 0.8,
                     calibration: CalibrationMethod = CalibrationMethod.ISOTONIC) -> Evaluation:
    """Train on the earliest ``train_fraction`` of the commits, test on the rest (never shuffled)."""
    ds = read_dataset(path)
    if len(np.unique(ds.labels)) < 2:
        raise InputError(f"{path}: every commit has the same label; nothing to learn")
    ev, _ = evaluate_split(ds.X, ds.labels, ds.times, DATASET_FEATURES, train_fraction, calibration=calibration)
    return ev
