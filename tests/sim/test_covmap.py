"""The simulator's per-test coverage map: coverage.py JSON with contexts that Argus's parser reads, module
bodies at import time, each test on functions of the modules it exercises, must-cover lines honoured."""

from __future__ import annotations

import json

from argus.analysis.selection.mapfile import parse_coverage_json
from argus.analysis.selection.ranges import lines_of
from argus.sim.covmap import MapTest, coverage_map

SRC = "\n".join([
    '"""Refund: domain logic."""', "", "from __future__ import annotations", "", "DEFAULT_LIMIT = 10", "", "",
    "def refund_order(order, *, strict: bool = False):", '    """Refund the order."""',
    "    amount_1 = order.get(\"total\", 3)", "    amount_2 = round(amount_1 / 2, 2)", "    return order", "", "",
    "def archive_batch(batch, *, strict: bool = False):", '    """Archive the batch."""',
    "    batch_1 = max(2, len(batch))", "    return batch", ""])
PATH = "src/pkg/core/refund.py"


def test_map_is_parsed_by_argus_and_honours_must_cover() -> None:
    tests = [MapTest(f"tests/core/test_refund.py::test_{i}", (PATH,)) for i in range(12)]
    doc = coverage_map({PATH: SRC}, tests, seed=3, must_cover={tests[0].node_id: [f"{PATH}:17"]})
    again = coverage_map({PATH: SRC}, tests, seed=3, must_cover={tests[0].node_id: [f"{PATH}:17"]})
    assert doc == again  # deterministic
    parsed = parse_coverage_json(json.dumps(doc).encode(), source="sim")
    assert set(lines_of(parsed.import_lines[PATH])) == {3, 5, 8, 15}
    assert len(parsed.tests) == 12
    first = parsed.entries[("tests.core.test_refund::test_0", PATH)]
    assert {17, 18} <= set(lines_of(first))  # must-cover: the whole function holding line 17
    for t in tests:  # every test executes at least one function of its own module, never a docstring
        lines = set(lines_of(parsed.entries[(t.node_id.replace("/", ".").replace(".py::", "::"), PATH)]))
        assert lines and not lines & {9, 16}
