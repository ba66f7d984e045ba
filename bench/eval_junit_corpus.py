"""Compare ``argus parse tests`` with the expected results of the junit-corpus, file by file.

Usage: .venv/bin/python bench/eval_junit_corpus.py [--corpus DIR] [--verbose]

The corpus (default ``../shared/datasets/junit-corpus`` relative to the repository) holds report files
with the results another well-used parser (EnricoMi/publish-unit-test-result-action) produced:
``<name>.results.json`` (``stats``: tests, tests_succ, tests_skip, tests_fail, tests_error) or
``<name>.exception`` (the file must be rejected). One ``argus parse tests --json`` subprocess reads
every input; per file we compare tests/passed/skipped/failed/errors, or rejection.

Files where Argus counts differently *on purpose* are listed in :data:`CONVENTIONS` with the reason
(also in docs/ingest/test-reports.md); they are reported as ``convention`` instead of ``match``.
Prints one line per file, then ``name: value unit`` totals, and writes bench/results/eval_junit_corpus.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "datasets" / "junit-corpus"
INPUT_SUFFIXES = (".xml", ".trx", ".json")
KEYS = (("tests", "tests"), ("passed", "tests_succ"), ("skipped", "tests_skip"), ("failed", "tests_fail"),
        ("errors", "tests_error"))

#: relative path -> why Argus deliberately differs from the reference counts.
CONVENTIONS: dict[str, str] = {
    "junit-xml/no-cases-but-tests.xml": "no <testcase> elements: Argus counts only test cases it can store "
    "(0), the reference falls back to the suite's declared tests=6 attributes",
    "junit-xml/no-attributes.xml": "test cases without name and class cannot have an identity and are "
    "ignored with a warning (0 tests); the reference counts the suite attributes (4)",
    "xunit/mstest/fixie.xml": "xUnit.net theory rows (same method, different arguments) are separate tests "
    "in Argus, like pytest parameters; the reference names xUnit tests by method only and merges them",
    "xunit/mstest/pickles.xml": "xUnit.net theory rows are separate tests (see fixie.xml)",
    "trx/yami_YAMILEX_2015-10-24_04_18_59.trx": "TRX outcome Aborted is an error (the test could not run "
    "to an assertion); the reference counts every outcome other than Passed/Failed/Error as skipped",
    "mocha/tests.json": "mocha has no failure/error distinction: Argus counts every failing test as failed; "
    "the reference calls a failure with an 'errorMode' field (unexpected.js) an error",
    "nunit/nunit3/jenkins/NUnit-issue44527.xml": "NUnit 3 result=Failed label=Error/Invalid is an error "
    "(NUnit's own 'Errors'/'Invalid' counts); the reference maps it to failure",
    "junit-xml/mocha/latex-utensils.xml": "8 test names occur twice: each <testcase> is an invocation of its "
    "own (109 = the file's tests=\"109\" and the reference's own 'runs'); the reference merges same-named "
    "cases into 101 tests",
    "nunit/nunit3/jenkins/NUnit-correct2.xml": "parameterised cases whose arguments NUnit 2 prints as the same "
    "type name repeat a name: each <test-case> is counted (218 = the file's total=\"218\" and the reference's "
    "'runs'); the reference merges them into 183",
    "nunit/mstest/timewarpinc.xml": "NUnit 3 result=Failed label=Error is an error (see NUnit-issue44527)",
    "nunit/mstest/clicketyclackety.xml": "NUnit 3 result=Failed label=Error is an error (see NUnit-issue44527)",
}


def discover(corpus: Path) -> list[Path]:
    inputs = []
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.name.endswith(".results.json"):
            continue
        if path.suffix in INPUT_SUFFIXES:
            inputs.append(path)
    # inputs that are expected to be missing (``not-existing.exception``) are passed too
    for exc in sorted(corpus.rglob("*.exception")):
        stem = exc.with_suffix("")
        if not any(stem.with_suffix(s).exists() for s in INPUT_SUFFIXES):
            inputs.append(stem.with_suffix(".xml" if "xml" in str(stem.parent) else ".json"))
    return inputs


def run_argus(paths: list[Path]) -> dict[str, dict[str, object]]:
    cmd = [sys.executable, "-m", "argus.cli.app", "parse", "tests", "--json", *map(str, paths)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    if not proc.stdout.strip():
        raise SystemExit(f"argus parse tests printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return {entry["file"]: entry for entry in json.loads(proc.stdout)}


def expected_for(path: Path) -> dict[str, object] | None:
    stem = path.with_suffix("")
    exception = stem.with_suffix(".exception")
    if exception.exists():
        return {"reject": exception.read_text(errors="replace").strip()}
    results = Path(f"{stem}.results.json")
    if results.exists():
        stats = json.loads(results.read_text())["stats"]
        if stats.get("errors"):
            return {"reject": stats["errors"][0].get("message")}
        return {ours: stats[theirs] for ours, theirs in KEYS}
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    inputs = discover(args.corpus)
    got = run_argus(inputs)
    verdicts: dict[str, dict[str, object]] = {}
    for path in inputs:
        rel = str(path.relative_to(args.corpus))
        expected = expected_for(path)
        ours = got.get(str(path), {})
        if expected is None:
            verdict, detail = "no-expectation", ""
        elif "reject" in expected:
            ok = "error" in ours
            verdict = "match" if ok else "diff"
            detail = f"rejected: {ours.get('error')}" if ok else f"expected rejection ({expected['reject']})"
        elif "error" in ours:
            verdict, detail = "diff", f"rejected: {ours['error']}"
        else:
            summary = ours["summary"]
            assert isinstance(summary, dict)
            mine = {k: summary[k] for k, _ in KEYS}
            same = mine == expected
            verdict = "match" if same else ("convention" if rel in CONVENTIONS else "diff")
            detail = "" if same else f"argus {mine} vs reference {expected}"
            if verdict == "convention":
                detail += f" — {CONVENTIONS[rel]}"
        verdicts[rel] = {"verdict": verdict, "detail": detail}
        if args.verbose or verdict != "match":
            print(f"{verdict:>14}  {rel}  {detail}")
    counts = {v: sum(1 for x in verdicts.values() if x["verdict"] == v)
              for v in ("match", "convention", "diff", "no-expectation")}
    compared = counts["match"] + counts["convention"] + counts["diff"]
    print(f"files_compared: {compared} files")
    print(f"files_matching: {counts['match']} files ({counts['match'] / max(compared, 1):.3f} of compared)")
    print(f"files_convention_difference: {counts['convention']} files (documented)")
    print(f"files_unexplained_difference: {counts['diff']} files")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval_junit_corpus.json").write_text(json.dumps({"counts": counts, "files": verdicts}, indent=2))
    return 0 if counts["diff"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
