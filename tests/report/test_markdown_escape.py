"""Markdown escaping: what users wrote (templates like ``<*>``, ``*args``, ``snake_case``, ``a|b``, backticks,
HTML) renders as itself, checked by parsing the output with a real CommonMark + GFM-table parser."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from argus.report.markdown import cell, code, escape, table

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
HOSTILE = [
    "Connection to <*> refused after <*> retries",
    "*args and **kwargs are _ignored_ here",
    "test_applies_retry_budget[eur]",
    "a|b || c",
    "use `x` or ``y``",
    "<script>alert(1)</script> & <b>bold</b>",
    "[link](http://evil.test) ![img](x.png) ~~gone~~",
    "# not a heading \\* \\_ &amp; &lt;",
    "1. not a list > not a quote",
]


def _text(fragment_html: str) -> str:
    """The visible text of rendered HTML, failing on any markup other than the wrappers we expect."""
    tags = set(re.findall(r"</?([a-z0-9]+)", fragment_html))
    assert tags <= {"p", "table", "thead", "tbody", "tr", "th", "td", "code"}, (tags, fragment_html)
    return html.unescape(re.sub(r"<[^>]+>", "", fragment_html)).strip()


def test_escaped_text_renders_verbatim_inline_and_in_table_cells() -> None:
    for s in HOSTILE:
        assert _text(MD.render(f"x {escape(s)}")) == f"x {s}"
        assert _text(MD.render(f"x {cell(s)}")) == f"x {s}"
        rendered = MD.render("\n".join(table(["h"], [[cell(s)]])))
        _text(rendered)  # no markup but the table's own
        cells = re.findall(r"<td>(.*?)</td>", rendered, re.S)
        assert [html.unescape(c) for c in cells] == [s]
        assert "<code>" not in rendered


def test_code_spans_survive_backticks() -> None:
    for s in ("plain", "a`b", "``x``", "`lead", "trail`"):
        out = MD.render(f"x {code(s)}")
        assert out.count("<code>") == 1 and html.unescape(re.sub(r"<[^>]+>", "", out)).strip() == f"x {s}"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab _*`<>&|[]()~#!\\-=+.:\"'")), max_size=40))
def test_any_punctuation_round_trips(s: str) -> None:
    flat = " ".join(s.split())
    assert _text(MD.render(f"x {cell(s)} y")) == f"x {flat} y"


def test_demo_report_escapes_what_users_wrote() -> None:
    from datetime import UTC, datetime

    from argus.analysis.insights.readmodels import InsightView
    from argus.cli.demo.analyse import ProjectFindings
    from argus.cli.demo.tour import document

    def view(i: int, kind: str, label: str, **data: object) -> InsightView:
        return InsightView(i, kind, "test", label, label, f"title {label}", f"summary {label}", 0.9, 0.9, None, None,
                           "grounded", "async_review", "investigate", [], [], dict(data), {}, datetime.now(UTC), None)

    template = "Connection to <*> refused after <*> retries"
    f = ProjectFindings(
        project="shop_*a*_",
        flaky=[view(1, "flaky_test", "test_applies_retry_budget[eur] *x*")],
        broken=[view(2, "broken_test", "tests/a_b.py::test_c_d | x")],
        clusters=[view(3, "failure_cluster", "c1", template=template, count=2, trend="stable")],
        gates=[{"verdict": "fail", "build": {"commit_sha": "abc", "branch": "feat/*x*"}, "rules": []}],
    )
    md = document([f], {}, {}, "sqlite:///x.db", [("flaky show a*b*", 5, "error: <b>no</b> _such_ test")])
    text = html.unescape(re.sub(r"<[^>]+>", "", MD.render(md)))  # visible text: eaten * _ or HTML is missing
    for s in (template, "test_applies_retry_budget[eur] *x*", "tests/a_b.py::test_c_d | x", "shop_*a*_",
              "feat/*x*", "<b>no</b> _such_ test"):
        assert s in text, s
