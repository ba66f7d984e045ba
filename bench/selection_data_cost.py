"""CPU cost of the data-evidence signal (argus.analysis.selection.datamatch) on a synthetic data-driven suite.

``--tests`` parametrised tests in test files of 200 (each file: a word table, a test function
parametrised over it, literals in its body); one source module with a rule table (regular expressions)
and a registry function called at import with literal word pairs. Times, in process CPU, the graph
scan (for reference), the test documents and the matching for (a) a changed rule entry (regexes applied
to every test value) and (b) a changed registry body (its calls' literals). Every test is a candidate
(the worst case). Usage::

    .venv/bin/python bench/selection_data_cost.py [--tests 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time

from argus.analysis.selection.datamatch import DataDocs, change_data, rank
from argus.analysis.selection.imports import build_graph
from argus.analysis.selection.testfiles import is_test_file


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))


def sources(tests: int, rng: random.Random, inline: bool) -> tuple[dict[str, str], dict[str, str]]:
    rules = "".join(f"    (r'(?i)({_word(rng)})$', r'\\1es'),\n" for _ in range(40))
    calls = "".join(f"_irregular('{_word(rng)}', '{_word(rng)}')\n" for _ in range(50))
    src = {"pkg/__init__.py": "",
           "pkg/words.py": f"RULES = [\n{rules}]\n\ndef _irregular(a, b):\n    RULES.insert(0, (a, b))\n\n{calls}"}
    nodes: dict[str, str] = {}
    per = 200
    for f in range((tests + per - 1) // per):
        pairs = [(_word(rng), _word(rng)) for _ in range(per)]
        body = "".join(f"    ('{a}', '{b}'),\n" for a, b in pairs)
        path = f"tests/test_w{f}.py"
        table, use = ("", f"[\n{body}]") if inline else (f"PAIRS = [\n{body}]\n\n", "PAIRS")
        src[path] = (f"import pytest\nfrom pkg.words import RULES\n\n{table}"
                     f"@pytest.mark.parametrize(('a', 'b'), {use})\ndef test_pair(a, b):\n"
                     "    assert a != b, 'must differ'\n    assert RULES\n")
        for a, b in pairs[: min(per, tests - f * per)]:
            nodes[f"tests.test_w{f}::test_pair[{a}-{b}]"] = f"{path}::test_pair[{a}-{b}]"
    return src, nodes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tests", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--inline", action="store_true", help="parametrize lists written in the decorator (every "
                    "test's definition then holds all 400 literals of its file)")
    args = ap.parse_args()
    rng = random.Random(1)
    src, nodes = sources(args.tests, rng, args.inline)
    t0 = time.process_time()
    graph = build_graph(src)
    scan_s = time.process_time() - t0
    lines = src["pkg/words.py"].splitlines()
    rule_line = 2
    body_line = next(i for i, ln in enumerate(lines, 1) if "RULES.insert" in ln)
    is_test = lambda f: is_test_file(f, ("test_*.py",))  # noqa: E731
    out: dict[str, list[float]] = {"documents": [], "rule entry": [], "registry body": []}
    for _ in range(args.repeat):
        t0 = time.process_time()
        docs = DataDocs(graph)
        suite = {t: docs.doc(t, n) for t, n in nodes.items()}
        out["documents"].append(time.process_time() - t0)
        for name, ln in (("rule entry", rule_line), ("registry body", body_line)):
            t0 = time.process_time()
            got = rank(change_data(graph, {"pkg/words.py": [ln]}, is_test), suite, suite)
            out[name].append(time.process_time() - t0)
            assert got is not None
    print(f"{len(nodes)} tests; graph scan {scan_s:.3f} s CPU (reference)")
    for k, v in out.items():
        print(f"  {k:14} median {statistics.median(v):.3f} s CPU over {len(v)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
