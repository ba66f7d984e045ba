"""Message clustering throughput (messages/s): Argus's miner vs Drain3, same lines, same process.

Input: every ``Content`` line of the 8 Loghub-2k systems (16,000), repeated until at least
``--min-lines`` (default 100,000). Each system is clustered by its own miner (as each project has
its own), in order. Engines:

- ``argus_batch``: one ``add_messages`` call per system (all its lines at once);
- ``argus_incremental``: pages of ``--page`` lines (the service's default batch size is 5,000) —
  later pages mostly hit known templates;
- ``argus_first_pass``: the 16,000 distinct lines once (no repeats: every line is new to the miner);
- ``drain3_defaults``: ``add_log_message`` per line, default ``TemplateMinerConfig`` (no masking);
- ``drain3_masked``: the same after Argus's masking (:func:`mask`) — Drain3 with our normaliser;
- ``drain3_first_pass``: Drain3 defaults on the 16,000 distinct lines once (peer of argus_first_pass).

    .venv/bin/python bench/cluster_throughput.py [--data ../shared/datasets/loghub-2k]

The machine is shared: times are CPU seconds of this (single-threaded) process, engines run in
``--rounds`` interleaved rounds, and the best time of each counts.
Prints ``name: value unit (ratio vs reference)`` (reference: drain3_defaults) and writes
bench/results/cluster_throughput.json. Drain3 comes from the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from argus.analysis.failures.evaluate import LOGHUB_SYSTEMS, load_loghub
from argus.analysis.failures.miner import TemplateMiner
from argus.analysis.failures.normalise import clear_cache, mask

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "loghub-2k"
Corpus = dict[str, list[str]]


def argus_batch(corpus: Corpus, page: int) -> int:
    return sum(len(TemplateMiner().add_messages(lines)) for lines in corpus.values())


def argus_incremental(corpus: Corpus, page: int) -> int:
    n = 0
    for lines in corpus.values():
        miner = TemplateMiner()
        for i in range(0, len(lines), page):
            n += len(miner.add_messages(lines[i : i + page]))
    return n


def _drain(corpus: Corpus, pre: Callable[[str], str]) -> int:
    from drain3 import TemplateMiner as DrainMiner
    from drain3.template_miner_config import TemplateMinerConfig

    n = 0
    for lines in corpus.values():
        cfg = TemplateMinerConfig()  # always pass one: otherwise drain3 reads ./drain3.ini
        cfg.profiling_enabled = False
        miner = DrainMiner(config=cfg)
        for line in lines:
            miner.add_log_message(pre(line))
            n += 1
    return n


def drain3_defaults(corpus: Corpus, page: int) -> int:
    return _drain(corpus, lambda s: s)


def drain3_masked(corpus: Corpus, page: int) -> int:
    return _drain(corpus, mask)


def measure(fn: Callable[[Corpus, int], int], corpus: Corpus, page: int) -> tuple[int, float]:
    clear_cache()  # every engine starts cold
    t0 = time.process_time()  # CPU time of this process: less sensitive to busy neighbours
    n = fn(corpus, page)
    return n, time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="loghub-2k directory")
    ap.add_argument("--min-lines", type=int, default=100_000)
    ap.add_argument("--page", type=int, default=5000, help="page size of the incremental engine")
    ap.add_argument("--no-drain", action="store_true")
    ap.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; the best time of each engine counts"
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cluster_throughput.json")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"loghub-2k not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    base = {s: load_loghub(args.data, s)[0] for s in LOGHUB_SYSTEMS}
    total = sum(len(v) for v in base.values())
    reps = max(1, -(-args.min_lines // total))
    corpus = {s: lines * reps for s, lines in base.items()}
    runs: list[tuple[str, Callable[[Corpus, int], int], Corpus]] = []
    if not args.no_drain:
        runs += [
            ("drain3_defaults", drain3_defaults, corpus),
            ("drain3_masked", drain3_masked, corpus),
            ("drain3_first_pass", drain3_defaults, base),
        ]
    runs += [
        ("argus_batch", argus_batch, corpus),
        ("argus_incremental", argus_incremental, corpus),
        ("argus_first_pass", argus_batch, base),
    ]
    results: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):  # interleaved, so a noisy neighbour hurts every engine alike
        for name, fn, data in runs:
            n, secs = measure(fn, data, args.page)
            if name not in results or secs < results[name]["seconds"]:
                results[name] = {"messages": n, "seconds": secs, "messages_per_s": n / secs}
    ref = results.get("drain3_defaults", {}).get("messages_per_s")
    for name, r in results.items():
        ratio = f" ({r['messages_per_s'] / ref:.2f}x drain3_defaults)" if ref else ""
        print(f"{name}: {r['messages_per_s']:,.0f} messages/s{ratio}  [{int(r['messages'])} messages]")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"python": platform.python_version(), "repeats": reps, "results": results}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
