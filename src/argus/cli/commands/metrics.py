"""``argus metrics ingest``: store a metric series from a ``timestamp,value`` CSV or OpenMetrics text."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


class FormatChoice(StrEnum):
    AUTO = "auto"
    CSV = "csv"
    OPENMETRICS = "openmetrics"


def metrics_ingest(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="timestamp,value CSV or OpenMetrics / Prometheus text file."),
    series: str = typer.Option(..., "--series", help="Series name (OpenMetrics: the samples of this metric name, "
                                                      "one series per label set)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    fmt: FormatChoice = typer.Option(FormatChoice.AUTO, "--format", help="auto (by the first line), csv or openmetrics."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Store the points of a metric file (a time a series holds already is skipped: idempotent)."""
    from argus.app import anomaly as uc
    from argus.cli import anomaly_views
    from argus.cli.context import state

    if not source.is_file():
        raise InputError(f"{source}: no such file (expected a timestamp,value CSV or OpenMetrics text)")
    try:
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None
    summary = uc.ingest_metrics(state(ctx).runtime, uc.IngestRequest(str(source), tuple(lines), series, project,
                                                                     fmt.value))
    if json_out:
        print_json(summary)
        return
    anomaly_views.ingest_summary(console(), summary)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    app = typer.Typer(help="Metric series: ingest timestamp,value CSV or OpenMetrics text.", no_args_is_help=True)
    root.add_typer(app, name="metrics")
    app.command("ingest")(metrics_ingest)
