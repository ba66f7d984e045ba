"""A synthetic pull-request history with a KNOWN rework mechanism, written as delivery CSV files
(``pull_requests.csv``, ``pr_commits.csv``, ``pr_comments.csv``) for the rework classifier's tests and
benchmark. Figures measured on it check the plumbing (leakage, calibration, registry), not real-world
accuracy: the mechanism is ours.

Mechanism: log-odds of rework = -2.2 + 0.45·(commits at opening - 3) + 1.3·[title says refactor]
- 0.6·[title says fix] + repo effect (−1 … +1.2) + 0.6·[opened after 18:00] + N(0, 0.8). A rework PR gets
three review rounds separated by fix commits (or four commits after the first review); the others
one review and at most two follow-up commits.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_EFFECT = (-1.0, -0.3, 0.4, 1.2)


def write_history(folder: Path, prs: int, *, seed: int = 1, open_share: float = 0.1,
                  start: datetime = datetime(2024, 1, 1, tzinfo=UTC)) -> dict[str, int]:
    """Write the three CSV files into ``folder``; returns ``{"prs", "merged", "rework"}``."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pr_rows, commit_rows, comment_rows = [], [], []
    rework = merged = 0
    t = start
    for n in range(1, prs + 1):
        t += timedelta(minutes=rnd.randint(20, 240))
        repo_i = rnd.randrange(len(REPO_EFFECT))
        repo = f"acme/r{repo_i}"
        kind = rnd.choices(("feat", "fix", "refactor", "chore"), (0.45, 0.3, 0.15, 0.1))[0]
        title = f"{kind}: change {n}"
        at_open = 1 + min(12, int(rnd.expovariate(1 / 2.5)))
        opened = t.replace(hour=rnd.choice(range(7, 23)))
        z = (-2.2 + 0.45 * (at_open - 3) + 1.3 * (kind == "refactor") - 0.6 * (kind == "fix")
             + REPO_EFFECT[repo_i] + 0.6 * (opened.hour >= 18) + rnd.gauss(0, 0.8))
        is_rework = rnd.random() < 1 / (1 + math.exp(-z))
        pr_id = f"PR-{n}"
        for c in range(at_open):
            commit_rows.append([pr_id, f"{n:06d}a{c:02d}", (opened - timedelta(hours=at_open - c)).isoformat()])
        is_open = n > prs * (1 - open_share)
        events: list[tuple[datetime, str]] = []
        cur = opened + timedelta(hours=rnd.uniform(0.5, 6))
        if is_rework and rnd.random() < 0.6:  # three rounds: review, fix, review, fix, review
            for r in range(3):
                events.append((cur, "review"))
                cur += timedelta(hours=rnd.uniform(1, 5))
                if r < 2:
                    events.append((cur, "commit"))
                    cur += timedelta(hours=rnd.uniform(1, 5))
        elif is_rework:  # one review, then many fixes
            events.append((cur, "review"))
            for _ in range(rnd.randint(4, 6)):
                cur += timedelta(minutes=rnd.randint(10, 90))
                events.append((cur, "commit"))
        else:
            events.append((cur, "review"))
            for _ in range(rnd.randint(0, 2)):
                cur += timedelta(minutes=rnd.randint(10, 120))
                events.append((cur, "commit"))
        for i, (when, what) in enumerate(events):
            if what == "review":
                comment_rows.append([pr_id, f"{pr_id}-c{i}", f"rev{rnd.randint(1, 5)}", when.isoformat(), "false"])
            else:
                commit_rows.append([pr_id, f"{n:06d}b{i:02d}", when.isoformat()])
        merged_at = None if is_open else cur + timedelta(hours=rnd.uniform(0.5, 8))
        if merged_at is not None:
            merged += 1
            rework += is_rework
        pr_rows.append([pr_id, repo, n, title, "OPEN" if is_open else "MERGED", "main", opened.isoformat(),
                        merged_at.isoformat() if merged_at else "", merged_at.isoformat() if merged_at else "",
                        f"m{n:06d}" if merged_at else ""])
    _write(folder / "pull_requests.csv", ["id", "repo", "number", "title", "status", "base_branch", "created_at",
                                          "merged_at", "closed_at", "merge_commit_sha"], pr_rows)
    _write(folder / "pr_commits.csv", ["pr_id", "commit_sha", "authored_at"], commit_rows)
    _write(folder / "pr_comments.csv", ["pr_id", "id", "account_id", "created_at", "by_pr_author"], comment_rows)
    return {"prs": prs, "merged": merged, "rework": rework}


def _write(path: Path, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


SIZES = {"typo": 1, "label": 1, "button": 2, "validation": 3, "endpoint": 3, "report": 5, "integration": 5,
         "migration": 8, "redesign": 13}
SCALE = (1, 2, 3, 5, 8, 13)


def write_work_items(folder: Path, epics: int, *, seed: int = 1, open_epics: int = 3,
                     start: datetime = datetime(2024, 1, 1, tzinfo=UTC)) -> dict[str, int]:
    """``work_items.csv``: ``epics`` epics of 4–14 items; an item's points follow the size word in its
    title (one Fibonacci step off 30 % of the time); each epic resolves its items one after another at
    its own pace (days per point drawn once per epic); the last ``open_epics`` epics are unfinished."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[list[object]] = []
    words = list(SIZES)
    n = 0
    for e in range(1, epics + 1):
        begin = start + timedelta(days=3 * e, hours=rnd.randint(0, 20))
        epic_id = f"EP-{e}"
        rows.append([epic_id, "EPIC", f"epic {e}", "DONE", "", "", "", begin.isoformat(), ""])
        pace = rnd.lognormvariate(math.log(0.6), 0.4)  # days per point for this epic
        t = begin + timedelta(days=1)
        unfinished = e > epics - open_epics
        items = rnd.randint(4, 14)
        for i in range(items):
            n += 1
            word = rnd.choice(words)
            k = SCALE.index(SIZES[word])
            if rnd.random() < 0.3:
                k = max(0, min(len(SCALE) - 1, k + rnd.choice((-1, 1))))
            points = SCALE[k]
            kind = rnd.choice(("STORY", "STORY", "TASK", "BUG"))
            created = begin + timedelta(hours=rnd.randint(0, 72) + i)
            t = max(t, created) + timedelta(days=points * pace * rnd.uniform(0.5, 1.5))
            done = not (unfinished and i >= items // 3)
            rows.append([f"WI-{n}", kind, f"{word} for area {rnd.randint(1, 40)}", "DONE" if done else "OPEN",
                         epic_id, points, rnd.choice(("api", "web", "db")), created.isoformat(),
                         t.isoformat() if done else ""])
    _write(folder / "work_items.csv", ["id", "type", "title", "status", "epic_id", "story_points", "component",
                                       "created_at", "resolved_at"], rows)
    return {"epics": epics, "items": n}
