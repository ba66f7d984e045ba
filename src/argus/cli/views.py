"""The main views of the CLI as cards (see :mod:`argus.cli.render`): what the command bodies print.

Figures are in the user's words: a flaky test shows ``P(flaky)``, a broken one the confidence that it
is broken; review tiers are phrases; evidence names the CI run and commit, not database rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.text import Text

from argus.cli.render import (
    card,
    heading,
    joined,
    line,
    minutes,
    para,
    percent_range,
    probability,
    review_words,
    summary_line,
)
from argus.core.enums import EvidenceType

__all__ = ["card", "claims", "cluster_analysis", "cluster_detail", "cluster_labels", "cluster_list", "cluster_rows",
           "file_summaries", "flaky_detail", "flaky_list", "flaky_row", "insight_detail",
           "insight_rows"]

if TYPE_CHECKING:
    from argus.analysis.failures.readmodels import (
        AnalysisSummary,
        ClusterDetail,
        ClusterList,
        ClusterView,
        MessageClusters,
    )
    from argus.analysis.flaky.readmodels import TestDetail, TestView
    from argus.analysis.insights.readmodels import EvidenceView, InsightView
    from argus.analysis.insights.refs import RunRef

#: ``(ref_type, ref_id)`` of evidence → the run it points at.
Refs = Mapping[tuple[str, str], "RunRef"]


def figure(kind: str, p: float | None, low: float | None = None, high: float | None = None) -> str:
    """``P(flaky) 97 % (range …)`` for a flaky test, ``broken (confidence …)`` for a broken one."""
    rng = percent_range(low, high)
    rng = f" (likely {rng})" if rng and rng != probability(p) else ""
    if kind.startswith("broken"):
        return f"broken, confidence {probability(p)}{rng}"
    return f"P(flaky) {probability(p)}{rng}"


def flaky_row(out: Console, test: str, kind: str, p: float | None, low: float | None, high: float | None,
              category: str | None, action: str | None, wasted_s: float, extra: Sequence[str] = ()) -> None:
    """One flaky or broken test: its id alone on a line, the verdict and what to do below."""
    card(out, test, [joined(figure(kind, p, low, high), f"category {category or 'unknown'}",
                            f"action: {(action or '—').replace('_', ' ')}", f"{minutes(wasted_s)} lost to reruns",
                            *extra)])


def flaky_list(out: Console, items: Sequence[TestView]) -> None:
    for v in items:
        flaky_row(out, v.test, v.kind, v.probability, v.low, v.high, v.category, v.action, v.wasted_s,
                  [f"state {v.state or 'untracked'}", review_words(v.review_tier)])


def evidence_line(out: Console, ev: EvidenceView, refs: Refs, indent: str = "    ") -> None:
    """``- [strong] CI run 4711, commit 1a2b3c: detail`` (with the run's link below when known)."""
    ref = refs.get((ev.ref_type, ev.ref_id))
    if ref is not None:
        where = ref.words()
    elif ev.ref_type == EvidenceType.COMMIT:
        where = f"commit {ev.ref_id[:10]}"
    else:
        where = f"{ev.ref_type.replace('_', ' ')} {ev.ref_id}"
    para(out, f"- [{ev.strength}] {where}: {ev.detail}", indent)
    if ref is not None and ref.url:
        line(out, f"{indent}  {ref.url}")


def claims(out: Console, v: InsightView, refs: Refs) -> None:
    for i, claim in enumerate(v.claims):
        conf = claim.get("confidence")
        para(out, f"claim {i + 1} ({claim.get('support')}"
                  + (f", {probability(conf)}" if isinstance(conf, float) else "") + f"): {claim.get('text')}", "  ")
        for contra in claim.get("contradictions", []):
            para(out, f"against: {contra}", "    ")
        for ev in (e for e in v.evidence if e.claim_index == i):
            evidence_line(out, ev, refs)


def flaky_detail(out: Console, d: TestDetail, refs: Refs) -> None:
    """``argus flaky show``: the test id, its failure messages, then each finding with evidence."""
    line(out, Text(d.test, style="bold"))
    para(out, f"lifecycle: {d.state or 'untracked'}" + (" (set by hand)" if d.manual else ""), "  ")
    if d.messages:
        line(out, "  latest failure messages:")
        for m in d.messages:
            para(out, f"| {m}", "    ")
    if not d.insights:
        para(out, "no flaky or broken finding for this test (run `argus flaky analyze` after new reports)", "  ")
    for v in d.insights:
        heading(out, f"#{v.id} {v.title}")
        para(out, joined(figure(v.kind, v.confidence, v.confidence_low, v.confidence_high),
                         review_words(v.review_tier), f"action: {(v.action or '—').replace('_', ' ')}"), "  ")
        para(out, v.summary, "  ")
        claims(out, v, refs)
        cat: dict[str, Any] = v.data.get("category") or {}
        reasons = "; ".join(cat.get("reasons") or [])
        para(out, f"category: {cat.get('name') or 'unknown'}" + (f" — {reasons}" if reasons else ""), "  ")
        if v.uncertainty:
            para(out, "uncertainty: " + "; ".join(v.uncertainty), "  ")


def insight_rows(out: Console, items: Sequence[InsightView]) -> None:
    for i in items:
        card(out, Text(f"#{i.id} {i.kind.replace('_', ' ')}", style="bold"),
             [i.subject_id, joined(f"confidence {probability(i.confidence)}",
                                                      review_words(i.review_tier),
                                                      f"action: {(i.action or '—').replace('_', ' ')}"), i.title])


def insight_detail(out: Console, v: InsightView, refs: Refs) -> None:
    """``argus insights show``: the insight, its claims with evidence, feedback and provenance."""
    heading(out, f"#{v.id} {v.title}")
    para(out, f"kind: {v.kind.replace('_', ' ')}; subject ({v.subject_type}):", "  ")
    line(out, f"    {v.subject_label or v.subject_id}")
    rng = percent_range(v.confidence_low, v.confidence_high)
    rng = f" (likely {rng})" if rng and rng != probability(v.confidence) else ""
    para(out, joined(f"confidence {probability(v.confidence)}{rng}",
                     f"evidence: {v.grounding.replace('_', ' ')}", review_words(v.review_tier),
                     f"action: {(v.action or '—').replace('_', ' ')}"), "  ")
    para(out, v.summary, "  ")
    claims(out, v, refs)
    if v.uncertainty:
        para(out, "uncertainty: " + "; ".join(v.uncertainty), "  ")
    for fb in v.feedback:
        para(out, f"feedback: {fb.verdict} by {fb.actor}" + (f" — {fb.note}" if fb.note else ""), "  ")
    prov = v.provenance
    para(out, f"by {prov.get('analyzer')} {prov.get('version')}; calibration: {prov.get('calibration')}", "  ")


def trend_words(v: ClusterView) -> str:
    """The cluster's trend, saying what the windows held (and that they end at the latest run)."""
    if v.recent == 0 and v.previous == 0:
        return "trend: no failures in the recent or the previous window (windows end at the latest run)"
    return f"trend: {v.trend.value} ({v.recent} failure(s) in the recent window vs {v.previous} before it)"


def cluster_rows(out: Console, views: Sequence[ClusterView]) -> None:
    for v in views:
        card(out, Text(f"cluster {v.id}" + ("  (novel)" if v.novel else ""), style="bold"), [
            joined(f"{v.count} failure(s) in {v.affected_tests} test(s)", trend_words(v),
                   f"last seen {v.last_seen_at:%Y-%m-%d %H:%M}"),
            f"| {v.template[:300]}",
        ])


def cluster_list(out: Console, result: ClusterList) -> None:
    """``argus failures list``: the clusters, or why there is none to show."""
    if not result.clusters:
        out.print(
            ("no failure in the latest run belongs to a cluster" if result.latest_only
             else "no failure cluster matches these filters") if result.any_cluster
            else "no failure clusters yet (run `argus failures analyze` after ingesting reports)",
            soft_wrap=True,
        )
        return
    cluster_rows(out, result.clusters)


def cluster_analysis(out: Console, summary: AnalysisSummary) -> None:
    """``argus failures analyze``: what one clustering pass did, in one line."""
    out.print(
        f"{summary.failures} failure(s) clustered: {summary.clusters_touched} cluster(s) touched, "
        f"{summary.new_clusters} new, {summary.novel_clusters} novel in the latest run; "
        f"{len(summary.insight_ids)} insight(s) saved"
    )


def cluster_labels(out: TextIO, result: MessageClusters, *, with_template: bool = False) -> None:
    """``argus failures cluster``: one label per input line (``label<TAB>template`` with the template),
    written as plain text so that scripts can read it line by line."""
    texts = {t.id: t.text for t in result.templates}
    for label in result.labels:
        out.write(f"{label}\t{texts[label]}\n" if with_template else f"{label}\n")


def run_words(run_id: int | None, runs: Mapping[int, RunRef]) -> str:
    ref = None if run_id is None else runs.get(run_id)
    return ref.words() if ref is not None else ("an unknown run" if run_id is None else f"run #{run_id}")


def cluster_detail(out: Console, detail: ClusterDetail, runs: Mapping[int, RunRef]) -> None:
    """``argus failures show``: the template, counts, trend, samples, then tests and newest failures."""
    v = detail.cluster
    line(out, Text(f"cluster {v.id}" + ("  (novel: first seen in the latest run)" if v.novel else ""), style="bold"))
    para(out, f"| {v.template}", "  ")
    para(out, f"{v.count} failure(s) in {v.affected_tests} test(s); first seen {v.first_seen_at:%Y-%m-%d %H:%M} "
              f"({run_words(v.first_run_id, runs)}), last seen {v.last_seen_at:%Y-%m-%d %H:%M} "
              f"({run_words(v.last_run_id, runs)})", "  ")
    para(out, trend_words(v), "  ")
    if v.frames:
        para(out, "code: " + " <- ".join(v.frames), "  ")
    for sample in v.samples:
        para(out, f"sample: {sample}", "  ")
    for rid, sim, tpl in detail.related:
        para(out, f"related: cluster {rid} (similarity {sim:.2f}): {tpl[:100]}", "  ")
    if detail.tests:
        line(out, Text("affected tests (failures):", style="bold"))
        for _, name, k in detail.tests[:30]:
            summary_line(out, f"  {name}", f"({k})")
    if detail.recent_results:
        line(out, Text("newest failures:", style="bold"))
        for _, run_id, name in detail.recent_results:
            line(out, f"  {name}")
            para(out, f"in {run_words(run_id, runs)}", "    ")
            url = runs[run_id].url if run_id in runs else None
            if url:
                line(out, f"      {url}")


def counts_words(s: Any) -> str:
    """``12 tests`` when all passed, else ``12 tests: 1 failed, 1 skipped`` (zero counts left out)."""
    parts = [f"{n} {w}" for n, w in ((s.failed, "failed"), (s.errors, "errors"), (s.skipped, "skipped")) if n]
    retries = f" ({s.attempts} results with retries)" if s.attempts != s.tests else ""
    return f"{s.tests} tests" + (": " + ", ".join(parts) if parts else "") + retries


def file_summaries(out: Console, rows: Sequence[tuple[str, str, str | None, Any]]) -> None:
    """One line per report file: ``name  status, counts`` (the name alone on a line if still too long).

    With several files, each folder is named once, alone on its line, and its files by their base names
    (the format is in ``--json``).
    """
    folder: str | None = None
    for status, path, _fmt, summary in rows:
        name = path
        if len(rows) > 1:
            parent, name = os.path.split(path)
            if parent != folder:
                line(out, f"{parent or '.'}{os.sep}")
                folder = parent
            name = f"  {name}"
        summary_line(out, name, status + (f", {counts_words(summary)}" if summary is not None else ""))
