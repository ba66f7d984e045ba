"""Layouts that read in an 80-column CI log: cards, one-line summaries, plain-word figures.

A *card* is one item: its name or id alone on the first line (never cut or folded, so it can be copied
even when longer than the console), then details indented below and word-wrapped at the console width.
A word longer than a line (a path, an id) is never broken: it goes on a line of its own. Nothing here
makes a table, so nothing is ever printed as an empty one: callers say "no …" in a sentence instead.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from argus.cli.output import console

INDENT = "  "

#: Review tiers (:class:`argus.core.enums.ReviewTier`) in the user's words.
REVIEW_WORDS = {
    "autonomous": "no review needed",
    "async_review": "needs review within a day",
    "pre_approval": "needs approval before acting",
    "human_required": "a person must decide",
}


def review_words(tier: str | None) -> str:
    """A review tier as a plain phrase (unknown tiers are shown as stored)."""
    if not tier:
        return "—"
    return REVIEW_WORDS.get(tier, tier.replace("_", " "))


def probability(p: float | None) -> str:
    """A probability from finite evidence: never "100 %" or "0 %" (shown as "> 99 %" / "< 1 %")."""
    if p is None:
        return "—"
    if p > 0.99:
        return "> 99 %"
    if p < 0.01:
        return "< 1 %"
    return f"{100 * p:.0f} %"


def percent_range(low: float | None, high: float | None) -> str:
    """A probability interval in the same words as :func:`probability` ("" when unknown)."""
    if low is None or high is None:
        return ""
    lo, hi = probability(low), probability(high)
    return lo if lo == hi else f"{lo} to {hi}"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def wrap(text: str, width: int, indent: str = INDENT) -> list[str]:
    """Word-wrap ``text`` under ``indent``; a word longer than the line stays whole on its own line."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += textwrap.wrap(
            para, width=max(width, len(indent) + 20), initial_indent=indent, subsequent_indent=indent + "  ",
            break_long_words=False, break_on_hyphens=False,
        ) or [indent]
    return lines


def line(out: Console, text: str | Text) -> None:
    """Print one line verbatim, never folded (a long id stays copyable)."""
    out.print(text, soft_wrap=True)


def para(out: Console, text: str, indent: str = "") -> None:
    """Print a sentence or paragraph word-wrapped at the console width."""
    for row in wrap(text, out.width, indent):
        out.print(row, soft_wrap=True)


def heading(out: Console, text: str) -> None:
    """A bold heading word-wrapped at the console width (for titles that are not ids)."""
    for row in wrap(text, out.width, ""):
        out.print(Text(row, style="bold"), soft_wrap=True)


def card(out: Console, title: str | Text, details: Iterable[str], *, indent: str = INDENT) -> None:
    """One item: ``title`` alone on its line (never folded), then each detail wrapped below it."""
    line(out, title if isinstance(title, Text) else Text(title, style="bold"))
    for d in details:
        para(out, d, indent)


def summary_line(out: Console, head: str, detail: str) -> None:
    """``head  detail`` on one line when it fits the console, else ``head`` alone with ``detail`` below."""
    if len(head) + 2 + len(detail) <= out.width:
        line(out, f"{head}  {detail}")
    else:
        line(out, head)
        para(out, detail, INDENT)


def joined(*parts: str | None) -> str:
    """Non-empty parts joined with "; "."""
    return "; ".join(p for p in parts if p)


def stdout() -> Console:
    return console()
