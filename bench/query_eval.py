"""Measure ``argus ask`` (catalogue only) and the guard on the demo data.

1. Builds the demo (``argus demo --scale small --seed 7``) into a temporary folder, unless
   ``--database-url`` points at one already built.
2. For each of the 60 questions below (40 ``dev`` the catalogue was written against, 20 ``held``
   written afterwards and never used to tune it): runs the reference SQL through the guard
   (a refusal is a *false block*) and the question through ``argus.app.query.ask`` without a model.
   Execution accuracy: the answer's rows equal the reference rows (order-insensitive; compared on the
   reference's columns, which the answer must contain by name, or by position when the names differ;
   numbers to 6 decimals). Each question is *correct*, *refused* (the catalogue said it cannot
   answer) or *wrong* (it answered with other rows — worse than a refusal). Splits: ``dev`` (the
   catalogue and the slot parser were written against these), ``held`` (20, written after the first
   catalogue, never used to tune it), ``held2`` (20, written and committed before the slot parser).
3. Runs every query of the hostile corpus (:mod:`argus.testing.query_corpus`) through the guard on
   the store's dialect: block rate.

Usage: .venv/bin/python bench/query_eval.py [--database-url URL] [--project P]
Writes bench/results/query_eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float):
        return round(v, 6)
    return v


def _project(cols: tuple[str, ...], rows: tuple[tuple[Any, ...], ...], want: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """``rows`` restricted to ``want``'s columns: by name where they match, else by position."""
    idx = []
    for i, w in enumerate(want):
        if w in cols:
            idx.append(cols.index(w))
        elif i < len(cols):
            idx.append(i)
        else:
            return None
    return sorted((tuple(_norm(r[j]) for j in idx) for r in rows), key=repr)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url")
    ap.add_argument("--project", default="acme-billing")
    ap.add_argument("--min-confidence", type=float, help="query.catalogue_min_confidence (default: the setting's)")
    args = ap.parse_args()
    tmp = None
    if args.database_url is None:
        tmp = tempfile.mkdtemp(prefix="argus-query-eval-")
        subprocess.run([str(Path(sys.executable).with_name("argus")), "demo", "--out", f"{tmp}/demo", "--scale", "small", "--seed", "7",
                        "--json"], check=True, capture_output=True)
        args.database_url = f"sqlite:///{tmp}/demo/argus.db"
    os.environ["ARGUS_DATABASE_URL"] = args.database_url
    if args.min_confidence is not None:
        os.environ["ARGUS_QUERY__CATALOGUE_MIN_CONFIDENCE"] = str(args.min_confidence)

    from argus.analysis.query.guard import QueryRejected, guard
    from argus.analysis.query.service import dialect_of, run
    from argus.app.query import AskRequest, ask
    from argus.app.runtime import Runtime
    from argus.testing.query_corpus import QUESTIONS, hostile_queries

    rt = Runtime()
    pid = rt.in_project(args.project, lambda sc: int(sc.project.id))
    engine, dialect = rt.engine(), dialect_of(rt.engine())
    per: dict[str, Counter[str]] = {}
    misses = []
    false_blocks = []
    for split, question, ref in QUESTIONS:
        per.setdefault(split, Counter())["questions"] += 1
        try:
            want = run(engine, ref, project_id=pid, max_rows=1000, timeout_s=10)
        except QueryRejected as exc:
            false_blocks.append({"question": question, "error": str(exc)})
            continue
        a = ask(rt, AskRequest(question, args.project, use_model=False))
        if a.result is None:
            per[split]["refused"] += 1
            misses.append({"split": split, "question": question, "why": "refused"})
            continue
        per[split]["answered"] += 1
        got = _project(a.result.columns, a.result.rows, want.columns)
        expected = _project(want.columns, want.rows, want.columns)
        if got == expected:
            per[split]["correct"] += 1
        else:
            per[split]["wrong"] += 1
            misses.append({"split": split, "question": question, "why": f"wrong rows ({a.intent})"})
    hostile = hostile_queries()
    blocked = 0
    for sql in hostile:
        try:
            guard(sql, dialect=dialect, project_id=pid, max_rows=100)
        except QueryRejected:
            blocked += 1
    out = {
        "database": dialect,
        "min_confidence": rt.settings.query.catalogue_min_confidence,
        "questions": len(QUESTIONS),
        "execution_accuracy": {k: {"questions": v["questions"], "correct": v["correct"], "refused": v["refused"],
                                  "wrong": v["wrong"], "accuracy": round(v["correct"] / v["questions"], 3),
                                  "wrong_rate": round(v["wrong"] / v["questions"], 3)} for k, v in per.items()},
        "reference_false_blocks": len(false_blocks),
        "false_block_rate": round(len(false_blocks) / len(QUESTIONS), 3),
        "hostile_queries": len(hostile),
        "hostile_block_rate": round(blocked / len(hostile), 4),
        "false_blocks": false_blocks,
        "misses": misses,
    }
    res = Path(__file__).parent / "results"
    res.mkdir(exist_ok=True)
    (res / "query_eval.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k not in ("misses",)}, indent=2))
    for m in misses:
        print(m)
    rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
