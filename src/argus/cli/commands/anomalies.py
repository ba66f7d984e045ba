"""``argus anomalies score|evaluate-nab``: anomaly scores of a metric series (no database)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


class OutputFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class DetectorChoice(StrEnum):
    """Mirror of ``argus.analysis.anomaly.schemas.Detector`` (kept here so ``--help`` imports no numpy)."""

    ENSEMBLE = "ensemble"
    SEASONAL = "seasonal"
    LIKELIHOOD = "likelihood"
    EXTREME = "extreme"
    SPIKE_RULE = "spike_rule"
    THREE_SIGMA = "three_sigma"


def _read_text(source: Path) -> list[str]:
    if not source.is_file():
        raise InputError(f"{source}: no such file (expected a CSV with the header timestamp,value)")
    try:
        return source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None


def anomalies_score(
    source: Path = typer.Argument(..., help="CSV file with the header timestamp,value (ISO 8601 times)."),
    fmt: OutputFormat = typer.Option(OutputFormat.CSV, "--format", "-f", help="csv or json."),
    detector: DetectorChoice = typer.Option(DetectorChoice.ENSEMBLE, "--detector", "-d",
                                            help="ensemble (default), seasonal, likelihood, extreme, "
                                                 "spike_rule or three_sigma."),
) -> None:
    """Print timestamp,value,anomaly_score,alert per row (score in [0, 1]; row t uses rows <= t only)."""
    import numpy as np

    from argus.analysis.anomaly.csvio import format_value, read_series
    from argus.analysis.anomaly.ensemble import score_series
    from argus.analysis.anomaly.schemas import Detector

    series = read_series(_read_text(source), str(source))
    sc = score_series(series, Detector(detector.value))
    stamps = np.datetime_as_string(series.timestamps, unit="s")
    if fmt is OutputFormat.JSON:
        print_json({
            "schema": "argus.anomaly-scores/v1", "detector": sc.detector.value, "threshold": sc.threshold,
            "rows": [{"timestamp": f"{t}Z", "value": float(v), "anomaly_score": float(s), "alert": int(a)}
                     for t, v, s, a in zip(stamps.tolist(), series.values.tolist(), sc.score.tolist(),
                                           sc.alert.tolist(), strict=True)],
        })
        return
    out = ["timestamp,value,anomaly_score,alert\n"]
    out += [f"{t.replace('T', ' ')},{format_value(v)},{s:.10g},{int(a)}\n"
            for t, v, s, a in zip(stamps.tolist(), series.values.tolist(), sc.score.tolist(),
                                  sc.alert.tolist(), strict=True)]
    sys.stdout.write("".join(out))

def anomalies_evaluate_nab(
    data: Path | None = typer.Option(None, "--data", envvar="ARGUS_NAB_DIR",
                                     help="NAB folder (combined_windows.json, data/); default: "
                                          "shared/datasets/nab in this or a parent directory."),
    detector: list[DetectorChoice] = typer.Option([], "--detector", "-d",
                                                  help="Repeat to choose; default: every detector."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """NAB standard / low-FP / low-FN scores per detector: Argus's threshold, optimised, held out."""
    from argus.analysis.anomaly.schemas import Detector
    from argus.evaluation.anomaly_nab import FOLDS, evaluate_corpus, find_nab_dir, load_corpus

    root = data if data is not None else find_nab_dir(Path.cwd())
    if root is None:
        raise InputError("NAB data not found: give --data PATH (or ARGUS_NAB_DIR); "
                         "expected shared/datasets/nab in this or a parent directory")
    if not (root / "combined_windows.json").is_file():
        raise InputError(f"{root}: not a NAB folder (expected combined_windows.json and data/)")
    corpus = load_corpus(root)
    chosen = [Detector(d.value) for d in detector] or [d for d in Detector if d is not Detector.ENSEMBLE] + [
        Detector.ENSEMBLE]
    reports = evaluate_corpus(corpus, chosen)
    windows = sum(len(ns.windows) for ns in corpus)
    if json_out:
        print_json({"schema": "argus.nab-evaluation/v1", "data": str(root), "series": len(corpus),
                    "windows": windows, "folds": [list(f) for f in FOLDS], "detectors": reports})
        return
    out = console()

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)

    say(f"NAB: {len(corpus)} series, {windows} labelled windows")
    say(str(root))
    say("held out: threshold tuned on one fold, scored on the other, both ways:")
    for k, fold in enumerate(FOLDS, 1):
        say(f"  fold {k}: " + ", ".join(fold))
    for rep in reports:
        say("")
        say(rep.detector)
        for r in rep.results:
            say(f"  {r.profile:<19} argus {r.argus_score:6.1f}  optimised {r.optimised_score:6.1f}"
                f"  held-out {r.held_out_score:6.1f}")
        std = rep.results[0]
        say(f"  threshold: argus {std.argus_threshold:.6g}, optimised {std.optimised_threshold:.6g} (standard)")
        say(f"  at argus's threshold: {std.tp} TP, {std.fp} FP rows, {std.fn} FN")
        if rep.detector == Detector.ENSEMBLE.value:
            say("  share of scored rows inside a labelled window, by score:")
            for b in rep.reliability:
                share = "-" if b.rows == 0 else f"{100 * b.in_window:.1f} %"
                say(f"    [{b.low:g}, {b.high:g}{']' if b.high == 1.0 else ')'}: {b.rows} rows, {share}")


def register(root: typer.Typer, groups: CommandGroups) -> None:
    app = typer.Typer(help="Anomaly scores of metric series (timestamp,value CSV); NAB evaluation.",
                      no_args_is_help=True)
    root.add_typer(app, name="anomalies")
    app.command("score")(anomalies_score)
    app.command("evaluate-nab")(anomalies_evaluate_nab)
