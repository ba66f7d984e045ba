"""Server-side SVG charts of the dashboard: pass/fail strips, line charts with a baseline band, bars,
sparklines and the reliability diagram.

Every function returns markup (escaped where it holds text) that scales with its container (``viewBox``
and ``width="100%"``). Colours are the Okabe–Ito palette, safe for the common colour-vision
deficiencies, and never the only cue: a failed run is a full-height cell, a passed one a short cell, a
skipped one a dot; every mark has a ``<title>`` (the hover text) with its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Okabe & Ito (2008), "Color Universal Design"
BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
GREY = "#8C8C8C"
INK = "#222222"

OUTCOME_COLOURS = {"passed": GREEN, "failed": VERMILLION, "error": VERMILLION, "skipped": GREY,
                   "flaky": ORANGE}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if v else "0"


@dataclass(frozen=True)
class Cell:
    """One run in a strip: its outcome (passed / failed / error / skipped / flaky), hover text, link."""

    outcome: str
    title: str
    href: str | None = None


def strip(cells: Sequence[Cell], *, cell_w: int = 12, height: int = 28, label: str = "outcomes") -> Markup:
    """A pass/fail/skip strip, oldest left: failed = full-height vermillion, flaky (failed then passed
    on retry) = orange with a notch, passed = short green, skipped = grey dot."""
    if not cells:
        return Markup('<p class="muted">no runs</p>')
    w = len(cells) * cell_w
    parts = [f'<svg class="chart strip" viewBox="0 0 {w} {height}" width="100%" role="img" '
             f'aria-label="{_e(label)}" preserveAspectRatio="xMinYMid meet" style="max-width:{w * 2}px">']
    for i, c in enumerate(cells):
        x = i * cell_w + 1
        cw = cell_w - 2
        colour = OUTCOME_COLOURS.get(c.outcome, GREY)
        if c.outcome in ("failed", "error"):
            shape = f'<rect x="{x}" y="1" width="{cw}" height="{height - 2}" rx="1" fill="{colour}"/>'
        elif c.outcome == "flaky":
            shape = (f'<rect x="{x}" y="1" width="{cw}" height="{height - 2}" rx="1" fill="{colour}"/>'
                     f'<rect x="{x + cw / 2 - 1}" y="1" width="2" height="{height / 2}" fill="#fff"/>')
        elif c.outcome == "passed":
            shape = f'<rect x="{x}" y="{height * 0.45}" width="{cw}" height="{height * 0.55 - 1}" rx="1" fill="{colour}"/>'
        elif c.outcome == "absent":  # did not run: a hairline, so the columns still line up
            shape = f'<rect x="{x}" y="{height - 2}" width="{cw}" height="1" fill="#d0d4d9"/>'
        else:
            shape = f'<circle cx="{x + cw / 2}" cy="{height - 6}" r="{cw / 3}" fill="{colour}"/>'
        mark = f'<g class="cell cell-{_e(c.outcome)}"><title>{_e(c.title)}</title>{shape}</g>'
        if c.href:
            mark = f'<a href="{_e(c.href)}">{mark}</a>'
        parts.append(mark)
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str = BLUE
    dashed: bool = False


def line_chart(labels: Sequence[str], series: Sequence[Series], *, band: Sequence[tuple[float, float] | None] = (),
               unit: str = "", width: int = 640, height: int = 200, y_min: float | None = None,
               y_max: float | None = None, label: str = "chart", titles: Sequence[str] = (),
               markers: Sequence[tuple[int, str]] = (), band_title: str | None = None) -> Markup:
    """Lines over ``labels`` (x positions, oldest left) with an optional band (e.g. the baseline's
    10th–90th percentile); points carry hover titles (``titles[i]`` prefixes point i's). ``markers``
    (index, title) ring points of the first series in vermillion with a drop line (e.g. anomalies)."""
    n = len(labels)
    values = [v for s in series for v in s.values if v is not None]
    values += [b for pair in band if pair is not None for b in pair]
    if n == 0 or not values:
        return Markup('<p class="muted">no data in this range</p>')
    lo = min(values) if y_min is None else y_min
    hi = max(values) if y_max is None else y_max
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    left, right, top, bottom = 48, 10, 10, 24
    pw, ph = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph - (v - lo) / (hi - lo) * ph

    out = [f'<svg class="chart line" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{_e(label)}">']
    for frac in (0.0, 0.5, 1.0):  # grid and y labels
        g = lo + (hi - lo) * frac
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(g):.1f}" y2="{y(g):.1f}" class="grid"/>'
                   f'<text x="{left - 4}" y="{y(g) + 4:.1f}" text-anchor="end" class="axis">{_e(_fmt(g))}{_e(unit)}</text>')
    out.append(f'<text x="{left}" y="{height - 6}" class="axis">{_e(labels[0])}</text>')
    if n > 1:
        out.append(f'<text x="{width - right}" y="{height - 6}" text-anchor="end" class="axis">{_e(labels[-1])}</text>')
    pts = [(i, b) for i, b in enumerate(band) if b is not None]
    if pts:
        upper = " ".join(f"{x(i):.1f},{y(b[1]):.1f}" for i, b in pts)
        lower = " ".join(f"{x(i):.1f},{y(b[0]):.1f}" for i, b in reversed(pts))
        out.append(f'<polygon points="{upper} {lower}" fill="{SKY}" fill-opacity="0.3" stroke="none">'
                   f'<title>{_e(band_title or "baseline band (10th–90th percentile of the runs before)")}</title></polygon>')
    dot = 3 if n <= 60 else 1.5  # many points: small dots, so the line stays readable
    for s in series:
        segs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                segs.append([])
            else:
                segs[-1].append(f"{x(i):.1f},{y(v):.1f}")
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        for seg in segs:
            if len(seg) > 1:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}/>')
        for i, v in enumerate(s.values):
            if v is not None and not s.dashed:
                head = f"{titles[i]}: " if i < len(titles) else f"{labels[i]}: "
                out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{dot}" fill="{s.colour}">'
                           f'<title>{_e(head)}{_e(s.name)} {_e(_fmt(v))}{_e(unit)}</title></circle>')
    first = series[0].values if series else ()
    for i, tip in markers:
        v = first[i] if 0 <= i < len(first) else None
        if v is None:
            continue
        out.append(f'<g class="marker"><title>{_e(tip)}</title>'
                   f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{top}" y2="{top + ph}" stroke="{VERMILLION}" '
                   f'stroke-dasharray="2 2"/><circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="6" fill="none" '
                   f'stroke="{VERMILLION}" stroke-width="2.5"/></g>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(labels: Sequence[str], stacks: Sequence[Series], *, width: int = 640, height: int = 200,
              label: str = "chart", unit: str = "") -> Markup:
    """Stacked bars (one stack per label): ``stacks`` bottom to top."""
    n = len(labels)
    totals = [sum(float(s.values[i] or 0) for s in stacks) for i in range(n)]
    if n == 0 or max(totals, default=0) <= 0:
        return Markup('<p class="muted">no data in this range</p>')
    hi = max(totals)
    left, right, top, bottom = 48, 10, 10, 24
    pw, ph = width - left - right, height - top - bottom
    bw = pw / n
    out = [f'<svg class="chart bars" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{_e(label)}">',
           f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" class="grid"/>',
           f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="axis">{_e(_fmt(hi))}{_e(unit)}</text>',
           f'<text x="{left - 4}" y="{top + ph}" text-anchor="end" class="axis">0</text>',
           f'<text x="{left}" y="{height - 6}" class="axis">{_e(labels[0])}</text>']
    if n > 1:
        out.append(f'<text x="{width - right}" y="{height - 6}" text-anchor="end" class="axis">{_e(labels[-1])}</text>')
    for i in range(n):
        base = 0.0
        parts = []
        for s in stacks:
            v = float(s.values[i] or 0)
            if v <= 0:
                continue
            h = v / hi * ph
            yy = top + ph - (base / hi * ph) - h
            parts.append(f'<rect x="{left + i * bw + bw * 0.1:.1f}" y="{yy:.1f}" width="{max(bw * 0.8, 1):.1f}" '
                         f'height="{h:.1f}" fill="{s.colour}"/>')
            base += v
        tip = ", ".join(f"{s.name} {_fmt(float(s.values[i] or 0))}" for s in stacks)
        out.append(f'<g><title>{_e(labels[i])}: {_e(tip)}</title>{"".join(parts)}</g>')
    out.append("</svg>")
    return Markup("".join(out))


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 24, colour: str = BLUE,
              label: str = "trend") -> Markup:
    """A small trend line (no axes); the last point is marked."""
    if not values:
        return Markup("")
    hi = max(values) or 1.0
    n = len(values)

    def x(i: int) -> float:
        return 2 + (width - 4) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - 2 - (v / hi) * (height - 4)

    pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    tip = f"{label}: " + " ".join(_fmt(v) for v in values)
    return Markup(f'<svg class="chart spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                  f'role="img" aria-label="{_e(label)}"><title>{_e(tip)}</title>'
                  f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                  f'<circle cx="{x(n - 1):.1f}" cy="{y(values[-1]):.1f}" r="2.5" fill="{colour}"/></svg>')


@dataclass(frozen=True)
class Bin:
    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


def reliability(bins: Sequence[Bin], *, size: int = 260, label: str = "reliability diagram") -> Markup:
    """Reliability diagram: for each confidence bin, the share accepted by people (bar) against the
    diagonal of perfect calibration; the dot is at the bin's mean confidence, sized by its count."""
    pad = 30
    p = size - 2 * pad

    def sx(v: float) -> float:
        return pad + v * p

    def sy(v: float) -> float:
        return pad + p - v * p

    out = [f'<svg class="chart reliability" viewBox="0 0 {size} {size}" width="100%" role="img" '
           f'aria-label="{_e(label)}" style="max-width:{size * 1.5:.0f}px">',
           f'<rect x="{pad}" y="{pad}" width="{p}" height="{p}" fill="none" class="frame"/>',
           f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(1)}" y2="{sy(1)}" stroke="{GREY}" stroke-dasharray="4 3">'
           f'<title>perfect calibration</title></line>',
           f'<text x="{size / 2}" y="{size - 6}" text-anchor="middle" class="axis">confidence</text>',
           f'<text x="10" y="{size / 2}" text-anchor="middle" class="axis" transform="rotate(-90 10 {size / 2})">'
           f'accepted</text>',
           f'<text x="{sx(0)}" y="{sy(0) + 12}" text-anchor="middle" class="axis">0</text>',
           f'<text x="{sx(1)}" y="{sy(0) + 12}" text-anchor="middle" class="axis">1</text>']
    most = max((b.count for b in bins), default=0) or 1
    for b in bins:
        if not b.count or b.accuracy is None:
            continue
        w = (b.upper - b.lower) * p
        tip = (f"{b.lower:.1f}–{b.upper:.1f}: {b.count} with feedback, mean confidence "
               f"{(b.mean_confidence or 0):.2f}, accepted {b.accuracy:.2f}")
        out.append(f'<g class="bin"><title>{_e(tip)}</title>'
                   f'<rect x="{sx(b.lower) + 1:.1f}" y="{sy(b.accuracy):.1f}" width="{w - 2:.1f}" '
                   f'height="{b.accuracy * p:.1f}" fill="{BLUE}" fill-opacity="0.75"/>'
                   f'<circle cx="{sx(b.mean_confidence or b.lower):.1f}" cy="{sy(b.accuracy):.1f}" '
                   f'r="{3 + 5 * b.count / most:.1f}" fill="{ORANGE}" stroke="{INK}" stroke-width="0.5"/></g>')
    out.append("</svg>")
    return Markup("".join(out))


def hbar(parts: Sequence[Series], *, total_max: float, width: int = 240, height: int = 14,
         label: str = "breakdown", unit: str = "") -> Markup:
    """One stacked horizontal bar (segments left to right, ``parts[i].values[0]`` each) on a scale shared
    by the rows of a table (``total_max``); a missing segment is left out, and every segment has a title."""
    vals = [(s, float(s.values[0])) for s in parts if s.values and s.values[0] is not None and s.values[0] > 0]
    if not vals or total_max <= 0:
        return Markup('<span class="muted small">—</span>')
    out = [f'<svg class="chart hbar" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{_e(label)}" preserveAspectRatio="none" style="max-width:{width}px">']
    x = 0.0
    for s, v in vals:
        w = v / total_max * width
        out.append(f'<rect x="{x:.1f}" y="1" width="{max(w, 1):.1f}" height="{height - 2}" fill="{s.colour}">'
                   f'<title>{_e(s.name)} {_e(_fmt(v))}{_e(unit)}</title></rect>')
        x += w
    out.append("</svg>")
    return Markup("".join(out))


def legend(items: Sequence[tuple[str, str]]) -> Markup:
    """Colour keys (name, colour) as a line of text with swatches."""
    return Markup(" ".join(f'<span class="key"><svg width="10" height="10" aria-hidden="true"><rect width="10" '
                           f'height="10" fill="{c}"/></svg> {_e(n)}</span>' for n, c in items))
