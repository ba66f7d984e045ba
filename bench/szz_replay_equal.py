"""Check that SZZ by replay gives the links of one ``git blame`` per fix and file, on a real history.

Every non-merge commit of the first N commits (oldest first, ``--date-order``) is taken as a fix — the
widest comparison — and blamed both ways with the default file filter and add-only context; prints
the link counts, the git blame processes each way, the seconds, and whether the sets are equal.
Exits 1 when they differ.

    .venv/bin/python bench/szz_replay_equal.py /tmp/argus-bench-git-20k --commits 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from argus.core.settings import GitSettings
from argus.ingest.git import gitcmd
from argus.ingest.git.logparse import log_args, parse_stream
from argus.ingest.git.pathfilter import SourceFilter
from argus.ingest.git.szz import InducingLink
from argus.ingest.git.szz_pipeline import BlamePipeline
from argus.ingest.git.szz_rules import LinkRules


def links(git: gitcmd.Git, tip: str, replay: bool) -> tuple[set[InducingLink], int, float]:
    """Every commit up to ``tip`` a fix: the links, the git blame processes, the seconds."""
    t0 = time.perf_counter()
    pipeline = BlamePipeline(git, SourceFilter.from_settings(GitSettings()), max_files=20, workers=2,
                             add_context=2, replay_tip=tip if replay else None,
                             rules=LinkRules.from_settings(GitSettings()))
    for c in parse_stream(git.stream(log_args([tip]))):
        if not c.is_merge and c.parents:
            pipeline.add(c.sha, c.parents[0], c.files)
        pipeline.passed(c.sha)
    found = set(pipeline.finish())
    return found, pipeline.stats.blame_calls, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", type=Path)
    ap.add_argument("--commits", type=int, default=5000, help="Prefix of the history (oldest first).")
    ap.add_argument("--branch", default="HEAD")
    args = ap.parse_args(argv)
    git, _ = gitcmd.open_repo(args.repo)
    shas = git.run(["rev-list", "--reverse", "--date-order", args.branch, "--"]).decode().split()
    tip = shas[min(args.commits, len(shas)) - 1]
    blamed, blame_calls, blame_s = links(git, tip, replay=False)
    replayed, replay_calls, replay_s = links(git, tip, replay=True)
    print(f"per-file blame: {len(blamed)} links, {blame_calls} git blame, {blame_s:.1f} s")
    print(f"replay: {len(replayed)} links, {replay_calls} git blame, {replay_s:.1f} s")
    print(f"equal: {blamed == replayed} (only blame {len(blamed - replayed)}, only replay {len(replayed - blamed)})")
    return 0 if blamed == replayed else 1


if __name__ == "__main__":
    sys.exit(main())
