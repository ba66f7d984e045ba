"""Cards of ``argus anomalies analyze|list|show`` and ``argus metrics ingest`` (80 columns; see
:mod:`argus.cli.render`): a series key goes alone on its line, details are wrapped below it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from argus.cli.render import card, joined, line, para, probability, review_words
from argus.cli.views import insight_detail

if TYPE_CHECKING:
    from argus.analysis.anomaly.readmodels import AnalysisSummary, AnomalyList, IngestSummary
    from argus.analysis.insights.readmodels import InsightView


def ingest_summary(out: Console, s: IngestSummary) -> None:
    line(out, s.source)
    for key, points, new in s.series:
        card(out, Text(f"  {key}", style="bold"), [f"{points} point(s) read, {new} new"], indent="    ")


def analysis(out: Console, s: AnalysisSummary) -> None:
    para(out, f"{s.series} series ({s.derived_points} new derived point(s)); {s.scored_points} new point(s) "
              f"scored; {s.anomalies} anomaly(ies) and {s.forecasts} forecast warning(s) saved")
    for v in s.scored:
        if v.anomalies or v.forecast:
            card(out, Text(f"  {v.key}", style="bold"),
                 [joined(f"{v.new_points} new point(s)", f"{v.anomalies} anomaly(ies)",
                         "forecast warning" if v.forecast else None)], indent="    ")


def _gate_words(data: dict[str, Any]) -> str | None:
    g = data.get("gates")
    if not isinstance(g, dict):
        return None
    return f"{g.get('passed')} of 3 gates pass"


def anomaly_rows(out: Console, result: AnomalyList) -> None:
    if not result.items:
        out.print(
            "no anomaly or forecast warning matches these filters" if result.any_insight else
            ("no anomaly found yet (series are stored; run `argus anomalies analyze` after new points)"
             if result.any_series else
             "no metric series yet (run `argus metrics ingest FILE --series NAME` or `argus anomalies analyze` "
             "after ingesting CI reports)"),
            soft_wrap=True,
        )
        return
    for v in result.items:
        card(out, Text(f"#{v.id} {v.kind.replace('_', ' ')}", style="bold"), [
            v.subject_id,
            joined(f"confidence {probability(v.confidence)}", review_words(v.review_tier),
                   f"action: {(v.action or '—').replace('_', ' ')}", _gate_words(v.data)),
            v.title,
        ])


def anomaly_detail(out: Console, v: InsightView) -> None:
    insight_detail(out, v, {})
    data = v.data
    window = data.get("window")
    if isinstance(window, dict):
        para(out, "window: " + ", ".join(f"{t} {val:g}" for t, val in zip(window.get("times", []),
                                                                       window.get("values", []), strict=False)), "  ")
    for h in data.get("horizons") or []:
        model = f" [{h['model']}]" if h.get("model") else ""
        para(out, f"forecast {h['hours']:g} h ({h['at']}){model}: {h['point']:.4g}; 80 % {h['low80']:.4g} to "
                  f"{h['high80']:.4g}; 95 % {h['low95']:.4g} to {h['high95']:.4g}"
             if h.get("low80") is not None else f"forecast {h['hours']:g} h ({h['at']}){model}: {h['point']:.4g}", "  ")
