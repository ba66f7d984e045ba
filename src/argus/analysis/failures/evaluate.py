"""Grouping accuracy (GA) of a clustering against ground truth, and the Loghub-2k reader.

GA (Zhu et al., ICSE-SEIP 2019; ../shared/datasets/README.md): a message counts as correct only
when the set of messages in its predicted group equals exactly the set sharing its true event id;
GA = correct messages / all messages.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

LOGHUB_SYSTEMS = ("Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "OpenSSH", "Spark")


def grouping_accuracy(truth: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Share of messages whose predicted group equals their true group exactly (0 for no messages)."""
    if len(truth) != len(pred):
        raise ValueError(f"truth has {len(truth)} labels but prediction has {len(pred)}")
    true_size = Counter(truth)
    members: dict[Hashable, list[Hashable]] = defaultdict(list)
    for t, p in zip(truth, pred, strict=True):
        members[p].append(t)
    correct = 0
    for labels in members.values():
        if len(set(labels)) == 1 and true_size[labels[0]] == len(labels):
            correct += len(labels)
    return correct / len(truth) if truth else 0.0


def load_loghub(data: Path, system: str) -> tuple[list[str], list[str]]:
    """(Content column, EventId column) of ``<data>/<system>/<system>_2k.log_structured_corrected.csv``."""
    path = data / system / f"{system}_2k.log_structured_corrected.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["Content"] for r in rows], [r["EventId"] for r in rows]
