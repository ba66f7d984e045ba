"""Measure ``argus ask`` (catalogue, and a scripted model) and the guard on the demo data.

1. Builds the demo (``argus demo --scale small --seed 7``) into a temporary folder, unless
   ``--database-url`` points at one already built.
2. For each of the 100 questions of :data:`argus.testing.query_corpus.QUESTIONS` (splits below):
   runs the reference SQL through the guard (a refusal is a *false block*) and the question through
   ``argus.app.query.ask`` without a model, twice in the same run: with
   ``query.catalogue_strict_intents`` off (*before*: a named intent answers even when the question
   has a grouping or filter it does not apply) and on (*after*, the default). Execution accuracy: the
   answer's rows equal the reference rows (order-insensitive; compared on the reference's columns,
   which the answer must contain by name, or by position when the names differ; numbers to 6
   decimals). Each question is *correct*, *refused* (the catalogue said it cannot answer) or *wrong*
   (it answered with other rows — worse than a refusal). Splits: ``dev`` (40; the catalogue and the
   slot parser were written against these), ``held`` (20, written after the first catalogue, never
   used to tune it), ``held2`` (20, written and committed before the slot parser), ``held3`` (20,
   written blind by another engineer). All three held-out sets have been *seen* since (docs/benchmarks.md).
3. Runs every query of the hostile corpus (:mod:`argus.testing.query_corpus`) through the guard on
   the store's dialect: block rate.
4. ``--model scripted``: a scripted model (:mod:`argus.testing.llm`) served on 127.0.0.1 answers each
   question with a first answer of a fixed kind (syntax error, raw base table, ``pg_catalog``,
   another tenant's ``project_id``, unknown view or column, destructive statement, empty-result
   filter, two failures, never-ending destructive SQL; :data:`argus.testing.llm.PROPORTIONS`,
   ``--seed``), then the reference SQL. Every question goes to the model (catalogue off) through the
   OpenAI-compatible and the Anthropic client, and once more through the shipped path (catalogue
   first, the model for what it refuses). Per split: correct / refused / wrong, answers that needed
   the repair loop and model calls used; per kind of first answer; the guard's block rate on the
   malicious attempts (must be 100 %); and that no write reached the database (every table's row
   count before and after, and every statement executed, watched). This measures the guard and the
   repair loop, not a model: the script always holds the right SQL.

Usage: .venv/bin/python bench/query_eval.py [--database-url URL] [--project P] [--min-confidence C]
       [--model none|scripted] [--seed N]
Writes bench/results/query_eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|TRUNCATE|REPLACE|GRANT|REVOKE)\b", re.I)


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


def _score(answer: Any, want: Any) -> str:
    if answer.result is None:
        return "refused"
    got = _project(answer.result.columns, answer.result.rows, want.columns)
    return "correct" if got == _project(want.columns, want.rows, want.columns) else "wrong"


def _table_counts(engine: Any) -> dict[str, int]:
    """Rows of every table but the remembered question → SQL pairs (the one table ``ask`` writes)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        return {t: int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one())
                for t in inspect(engine).get_table_names() if t != "query_example"}


def _scripted(rt: Any, project: str, wants: dict[str, Any], seed: int) -> dict[str, Any]:
    """Every question through the scripted model (OpenAI-compatible and Anthropic, catalogue off), and
    the shipped path (catalogue first, the model for what it refuses) with the OpenAI-compatible one."""
    from pydantic import SecretStr
    from sqlalchemy import event

    from argus.app.query import AskRequest, ask
    from argus.app.runtime import Runtime
    from argus.core.settings.query import LlmProvider
    from argus.testing.http import serve
    from argus.testing.llm import PROPORTIONS, Kind, ScriptedModel, make_scripts
    from argus.testing.query_corpus import QUESTIONS

    asked = [(split, q, ref) for split, q, ref in QUESTIONS if q in wants]
    items = list({q: (q, ref) for _, q, ref in asked}.values())  # one script per distinct question
    scripts = make_scripts(items, seed)
    by_q = {sc.question: sc for sc in scripts}
    model = ScriptedModel({sc.question: sc.answers() for sc in scripts})
    engine = rt.engine()
    writes: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if _WRITE.match(statement) and "query_example" not in statement:
            writes.append(statement[:200])

    before = _table_counts(engine)
    event.listen(engine, "before_cursor_execute", spy)
    out: dict[str, Any] = {"seed": seed, "proportions": {k.value: v for k, v in PROPORTIONS.items()},
                           "kinds": dict(Counter(sc.kind.value for sc in scripts))}
    try:
        with serve(model.handler()) as url:
            for label, provider, use_catalogue in (("model_only_openai", LlmProvider.OPENAI, False),
                                                   ("model_only_anthropic", LlmProvider.ANTHROPIC, False),
                                                   ("catalogue_then_model_openai", LlmProvider.OPENAI, True)):
                q = rt.settings.query.model_copy(update={
                    "llm_provider": provider, "llm_base_url": url + ("/v1" if provider is LlmProvider.OPENAI else ""),
                    "llm_model": "scripted", "llm_api_key": SecretStr("sk-scripted"), "llm_timeout_s": 10.0})
                mrt = Runtime(rt.settings.model_copy(update={"query": q}), engine)
                per: dict[str, Counter[str]] = {}
                malicious = blocked = 0
                kinds: dict[str, Counter[str]] = {}
                leaks: list[dict[str, str]] = []
                for split, question, _ in asked:
                    c = per.setdefault(split, Counter())
                    c["questions"] += 1
                    a = ask(mrt, AskRequest(question, project, use_catalogue=use_catalogue))
                    verdict = _score(a, wants[question])
                    c[verdict] += 1
                    kinds.setdefault(by_q[question].kind.value, Counter())[verdict] += 1
                    c["reasked_legit_empty"] += sum(1 for x in a.attempts if x["error"].startswith("empty result")
                                                    and by_q[question].kind is not Kind.EMPTY_FILTER)
                    c[f"by_{a.source}"] += 1
                    if a.source != "model":
                        continue
                    c["model_calls"] += len(a.attempts)
                    sql = [x["sql"] for x in a.attempts]
                    if a.answered and len(set(sql)) > 1:
                        c["repaired"] += 1
                        c[f"repaired_{verdict}"] += 1
                    elif a.answered:
                        c["first_try"] += 1
                    for sent, got in zip(by_q[question].attempts, a.attempts, strict=False):
                        if sent.malicious:
                            malicious += 1
                            if got["error"].startswith("rejected ("):
                                blocked += 1
                            else:
                                leaks.append({"question": question, "sql": sent.sql, "error": got["error"]})
                    if by_q[question].kind is Kind.GIVES_UP:
                        c["gave_up" if not a.answered else "did_not_give_up"] += 1
                mrt.close()
                out[label] = {
                    "per_split": {k: dict(v) for k, v in per.items()},
                    "per_first_answer_kind": {k: dict(v) for k, v in kinds.items()},
                    "malicious_attempts": malicious, "malicious_blocked_by_guard": blocked,
                    "guard_block_rate": round(blocked / malicious, 4) if malicious else None, "leaks": leaks,
                }
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    after = _table_counts(engine)
    out["write_statements_executed"] = writes
    out["tables_changed"] = {t: [before[t], after.get(t)] for t in before if before[t] != after.get(t)}
    out["model_requests"] = len(model.requests)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url")
    ap.add_argument("--project", default="acme-billing")
    ap.add_argument("--min-confidence", type=float, help="query.catalogue_min_confidence (default: the setting's)")
    ap.add_argument("--model", choices=("none", "scripted"), default="none",
                    help="scripted: also every question through the scripted model (module doc, step 3)")
    ap.add_argument("--seed", type=int, default=22, help="seed of the scripted model's kinds of first answer")
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
    variants = {}
    for label, strict in (("before", False), ("after", True)):
        q = rt.settings.query.model_copy(update={"catalogue_strict_intents": strict})
        variants[label] = Runtime(rt.settings.model_copy(update={"query": q}), engine)
    per: dict[str, dict[str, Counter[str]]] = {k: {} for k in variants}
    misses: dict[str, list[dict[str, str]]] = {k: [] for k in variants}
    false_blocks = []
    wants: dict[str, Any] = {}
    for split, question, ref in QUESTIONS:
        try:
            want = run(engine, ref, project_id=pid, max_rows=1000, timeout_s=10)
        except QueryRejected as exc:
            false_blocks.append({"question": question, "error": str(exc)})
            continue
        wants[question] = want
        for label, vrt in variants.items():
            c = per[label].setdefault(split, Counter())
            c["questions"] += 1
            a = ask(vrt, AskRequest(question, args.project, use_model=False))
            verdict = _score(a, want)
            c[verdict] += 1
            if verdict != "correct":
                misses[label].append({"split": split, "question": question,
                                      "why": verdict if a.result is None else f"wrong rows ({a.intent})"})
    hostile = hostile_queries()
    blocked = 0
    for sql in hostile:
        try:
            guard(sql, dialect=dialect, project_id=pid, max_rows=100)
        except QueryRejected:
            blocked += 1

    def table(counts: dict[str, Counter[str]]) -> dict[str, Any]:
        return {k: {"questions": v["questions"], "correct": v["correct"], "refused": v["refused"], "wrong": v["wrong"],
                    "accuracy": round(v["correct"] / v["questions"], 3),
                    "wrong_rate": round(v["wrong"] / v["questions"], 3)} for k, v in counts.items()}

    out: dict[str, Any] = {
        "database": dialect,
        "min_confidence": rt.settings.query.catalogue_min_confidence,
        "questions": len(QUESTIONS),
        "execution_accuracy": table(per["after"]),
        "execution_accuracy_before_strict_intents": table(per["before"]),
        "reference_false_blocks": len(false_blocks),
        "false_block_rate": round(len(false_blocks) / len(QUESTIONS), 3),
        "hostile_queries": len(hostile),
        "hostile_block_rate": round(blocked / len(hostile), 4),
        "false_blocks": false_blocks,
    }
    if args.model == "scripted":
        out["scripted_model"] = _scripted(rt, args.project, wants, args.seed)
    out["misses"] = misses["after"]
    out["misses_before_strict_intents"] = misses["before"]
    res = Path(__file__).parent / "results"
    res.mkdir(exist_ok=True)
    (res / "query_eval.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if not k.startswith("misses")}, indent=2))
    for label in ("before", "after"):
        for m in (misses[label]):
            print(label, m)
    for v in variants.values():
        v.close()
    rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
