"""``argus metrics ingest|pull``: store metric series from a ``timestamp,value`` CSV or OpenMetrics text,
or from Prometheus's ``query_range``; new points are then scored for anomalies (a background job)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.analysis.anomaly.readmodels import IngestSummary
    from argus.cli.app import CommandGroups
    from argus.jobs.service import Scoring


class FormatChoice(StrEnum):
    AUTO = "auto"
    CSV = "csv"
    OPENMETRICS = "openmetrics"


_SCORE = typer.Option(True, "--score/--no-score", help="Score the new points for anomalies (a job: run here on "
                                                        "SQLite, by `argus worker` on PostgreSQL).")
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _score(ctx: typer.Context, project: str | None, summary: IngestSummary, score: bool) -> Scoring | None:
    from argus.app.anomaly import scoring_key
    from argus.cli.context import state
    from argus.jobs.service import score_new_points

    key = scoring_key(summary)
    if not score or key is None:
        return None
    return score_new_points(state(ctx).runtime, project, key)


def _report(summary: IngestSummary, scoring: Scoring | None, json_out: bool) -> None:
    from argus.cli import anomaly_views

    if json_out:
        print_json({"source": summary.source, "series": summary.series, "scoring": scoring})
        return
    out = console()
    anomaly_views.ingest_summary(out, summary)
    if scoring is None:
        return
    j = scoring.job
    if scoring.ran_here or j.status in ("succeeded", "failed"):
        words = ", ".join(f"{k} {v}" for k, v in (j.result or {}).items() if k in ("scored_points", "anomalies",
                                                                                    "forecasts"))
        msg = f"scoring job #{j.id}: {j.status}" + (f" ({words})" if words else "")
        if j.status != "succeeded" and j.last_error:
            msg += f": {j.last_error.splitlines()[-1]}"
    else:
        msg = f"scoring job #{j.id}: {j.status}, for `argus worker`"
    out.print(msg, markup=False, highlight=False, soft_wrap=True)


def metrics_ingest(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="timestamp,value CSV or OpenMetrics / Prometheus text file."),
    series: str = typer.Option(..., "--series", help="Series name (OpenMetrics: the samples of this metric name, "
                                                      "one series per label set)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    fmt: FormatChoice = typer.Option(FormatChoice.AUTO, "--format", help="auto (by the first line), csv or openmetrics."),
    score: bool = _SCORE,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store the points of a metric file (a time a series holds already is skipped: idempotent)."""
    from argus.app import anomaly as uc
    from argus.cli.context import state

    if not source.is_file():
        raise InputError(f"{source}: no such file (expected a timestamp,value CSV or OpenMetrics text)")
    try:
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None
    summary = uc.ingest_metrics(state(ctx).runtime, uc.IngestRequest(str(source), tuple(lines), series, project,
                                                                     fmt.value))
    _report(summary, _score(ctx, project, summary, score), json_out)


def parse_time(text: str | None, option: str, now: datetime) -> datetime:
    """An ISO 8601 time (UTC when it has no zone), ``now``, or a duration before now (``90s``, ``15m``,
    ``6h``, ``7d``, ``2w``)."""
    if text is None or text.strip().lower() == "now":
        return now
    m = _RELATIVE.match(text.strip())
    if m:
        return now - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: give an ISO 8601 time, 'now', or a duration ago (15m, 6h, 7d)") from None
    if not 1970 <= t.year <= 9000:
        raise InputError(f"{option} {text!r}: a time from 1970 on")
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_step(text: str) -> float:
    """``--step``: seconds (``30``) or a duration (``30s``, ``5m``, ``1h``)."""
    m = _RELATIVE.match(text.strip())
    try:
        value = float(m.group(1)) * _UNITS[m.group(2)] if m else float(text)
    except ValueError:
        raise InputError(f"--step {text!r}: give seconds (60) or a duration (30s, 5m, 1h)") from None
    if not 0 < value <= 7 * 86400 or value != value:
        raise InputError(f"--step {text!r}: give a step from more than 0 s to 7 days")
    return value


def metrics_pull(
    ctx: typer.Context,
    prometheus: str = typer.Option(..., "--prometheus", help="Prometheus base URL, e.g. http://prometheus:9090."),
    query: str = typer.Option(..., "--query", help="PromQL expression (query_range)."),
    series: str = typer.Option(..., "--series", help="Series name to store it as (one series per label set)."),
    start: str | None = typer.Option(None, "--start", help="ISO 8601 time or a duration ago (default: 24h)."),
    end: str | None = typer.Option(None, "--end", help="ISO 8601 time, 'now' (default) or a duration ago."),
    step: str = typer.Option("60", "--step", help="Resolution: seconds or a duration (30s, 5m)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for each answer."),
    token: str | None = typer.Option(None, "--token", envvar="ARGUS_PROMETHEUS_TOKEN",
                                     help="Bearer token for Prometheus (or ARGUS_PROMETHEUS_TOKEN)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    score: bool = _SCORE,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Pull a series from Prometheus's query_range and store its new points (idempotent)."""
    from argus.app import anomaly as uc
    from argus.cli.context import state
    from argus.core.clock import utcnow
    from argus.ingest.metrics.prometheus import RangeQuery

    if not 0 < timeout <= 600:
        raise InputError(f"--timeout {timeout:g}: give seconds from more than 0 to 600")
    now = utcnow()
    to = parse_time(end, "--end", now)
    frm = parse_time(start, "--start", now) if start is not None else to - timedelta(hours=24)
    q = RangeQuery(prometheus, query, frm, to, parse_step(step), timeout_s=timeout,
                   authorization=f"Bearer {token}" if token else None)
    summary = uc.pull_prometheus(state(ctx).runtime, uc.PullRequest(q, series, project))
    _report(summary, _score(ctx, project, summary, score), json_out)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    app = typer.Typer(help="Metric series: ingest CSV or OpenMetrics text, pull from Prometheus.",
                      no_args_is_help=True)
    root.add_typer(app, name="metrics")
    app.command("ingest")(metrics_ingest)
    app.command("pull")(metrics_pull)
