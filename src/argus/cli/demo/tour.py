"""The guided tour: one Markdown document, printed in the terminal (Rich) and written to report.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from argus.analysis.insights.schemas import InsightView
from argus.app.demo import ProjectFindings, Score
from argus.cli.render import probability, review_words
from argus.report.markdown import cell, code


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _cell(text: Any, limit: int = 90) -> str:
    return cell(text, limit)


def _size(value: Any) -> str:
    if isinstance(value, list | tuple | set):
        return str(len(value))
    return "—" if value is None else str(value)


def _evidence_line(v: InsightView) -> str:
    """The strongest evidence in words (the run behind it is in `argus flaky show`, by CI run id)."""
    return v.evidence[0].detail if v.evidence else ""


def _insight_table(
    views: Sequence[InsightView], limit: int, columns: Sequence[str], row: Any, *, project: str, db_url: str
) -> list[str]:
    """A Markdown list of the first ``limit`` insights, one card each: the insight id and the subject (a
    test id or cluster, whole: never cut, so it can be pasted into ``argus flaky show``) on the first
    line, the other columns as "name value" pairs below. Reads at 80 columns in a CI log as well as on
    GitHub. The "more" hint is a command that works as shown."""
    lines: list[str] = []
    for v in views[:limit]:
        values = [str(x) for x in row(v)]
        lines.append(f"- **#{_cell(values[0])}** {code(values[1], 10_000).replace(chr(92) + '|', '|')}  ")
        details = "; ".join(f"{name} {_cell(val)}" for name, val in zip(columns[2:], values[2:], strict=True))
        lines.append(f"  {details}")
    if len(views) > limit:
        lines.append(
            f"\n…and {len(views) - limit} more: "
            f"`ARGUS_DATABASE_URL={db_url} argus insights list -p {project} --kind {views[0].kind}`"
        )
    return lines


def project_section(f: ProjectFindings, score: Score | None, db_hint: str) -> list[str]:
    c = f.counts
    out = [
        f"## Project {code(f.project)}",
        "",
        f"Ingested **{c.get('runs', 0)} CI runs** with **{c.get('results', 0):,} test results** for "
        f"**{c.get('tests', 0)} tests**, and **{c.get('commits', 0)} commits** "
        f"(SZZ linked **{c.get('bug_links', 0)}** fix→bug-inducing changes). "
        f"Rejected files: {c.get('rejected_files', 0)}.",
        "",
        f"### Flaky tests: {len(f.flaky)}",
        "Tests that both pass and fail on the same code (strongest evidence: a pass on retry in the same run).",
        "",
    ]
    if f.flaky:
        out += _insight_table(
            f.flaky,
            8,
            ["id", "test", "P(flaky)", "category", "action", "review", "evidence"],
            lambda v: [
                v.id,
                v.subject_label or v.subject_id,
                probability(v.confidence),
                (v.data.get("category") or {}).get("name", "—"),
                (v.action or "—").replace("_", " "),
                review_words(v.review_tier),
                _evidence_line(v),
            ],
            project=f.project, db_url=db_hint,
        )
    out += ["", f"### Broken tests — open regressions on the default branch, not flaky: {len(f.broken)}", ""]
    if f.broken:
        out += _insight_table(
            f.broken,
            6,
            ["id", "test", "confidence", "summary"],
            lambda v: [v.id, v.subject_label or v.subject_id, probability(v.confidence), v.summary],
            project=f.project, db_url=db_hint,
        )
    out += ["", f"### Failure clusters: {len(f.clusters)} (novel in the latest run: {len(f.novel)})", ""]
    if f.clusters:
        out += _insight_table(
            f.clusters,
            6,
            ["id", "cluster", "failures", "tests", "trend", "template"],
            lambda v: [
                v.id,
                v.subject_id,
                v.data.get("count", "—"),
                _size(v.data.get("affected_tests")),
                v.data.get("trend", "—"),
                v.data.get("template", v.title),
            ],
            project=f.project, db_url=db_hint,
        )
    out += ["", "### Quality gate", ""]
    for g in f.gates:
        verdict = g.get("verdict") or g.get("result", {}).get("verdict") or "?"
        build = g.get("build", {})
        reasons = [r for r in g.get("rules", g.get("result", {}).get("rules", [])) if isinstance(r, dict)]
        failing = [
            r.get("name") or r.get("rule")
            for r in reasons
            if str(r.get("status", "")).lower() in ("fail", "warn")
        ]
        out.append(
            f"- build {code(str(build.get('commit_sha') or build.get('commit') or '?')[:10])} on "
            f"{code(build.get('branch', '?'))}: **{cell(str(verdict).upper())}**"
            + (f" — rules not passed: {', '.join(cell(x) for x in failing)}" if failing else "")
        )
    if not f.gates:
        out.append("- (no build to judge)")
    if score is not None:
        out += [
            "",
            "### How Argus did against what the simulator planted",
            "",
            f"- flaky: found {score.found_flaky}, of which {score.true_flaky} were planted flaky "
            f"(precision {_pct(score.flaky_precision)}); recall {_pct(score.flaky_recall)} of "
            f"{score.planted_flaky} planted (some planted flaky tests never failed in this window).",
            f"- broken: {score.called_broken} tests called broken, {score.broken_correct} of them hit by a planted "
            f"regression ({score.planted_broken} tests were broken by one at some point).",
        ]
    return out


def document(
    findings: Sequence[ProjectFindings],
    scores: dict[str, Score],
    seconds: dict[str, float],
    db_url: str,
    failed_commands: Sequence[tuple[str, int, str]],
) -> str:
    head = [
        "# Argus demo",
        "",
        "A simulated CI history (real git repositories, JUnit reports in pytest and Surefire dialects, "
        "Cobertura coverage, Trivy scans) was ingested through the normal `argus ingest` commands and analysed. "
        "Every row below is an *insight*: claims backed by stored evidence, a confidence, and the review it needs.",
        "",
        "Timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items()) + ".",
        "",
    ]
    body: list[str] = []
    for f in findings:
        body += [*project_section(f, scores.get(f.project), db_url), ""]
    proj = findings[0].project if findings else "PROJECT"
    first = next((v.id for f in findings for v in (*f.flaky, *f.broken, *f.clusters)), None)
    iid = str(first) if first is not None else "ID"
    tail = [
        "## Explore",
        "",
        "```bash",
        f"export ARGUS_DATABASE_URL={db_url}",
        f"argus insights list -p {proj}",
        f"argus insights show {iid} -p {proj}   # claims, evidence, who should review it",
        f"argus flaky list -p {proj}",
        f"argus failures list -p {proj}",
        f"argus changes list -p {proj}",
        f"argus feedback {iid} accept -p {proj}   # your verdicts calibrate later confidences",
        "```",
    ]
    if failed_commands:
        tail += ["", "## Commands that failed", ""]
        tail += [
            f"- {code('argus ' + cmd, 120)} → exit {rc}: {_cell(msg, 200)}"
            for cmd, rc, msg in failed_commands[:10]
        ]
    return "\n".join(head + body + tail) + "\n"
