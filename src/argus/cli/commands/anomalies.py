"""``argus anomalies score|evaluate-nab|evaluate-forecast`` (files, no database) and
``argus anomalies analyze|list|show`` (stored series, through :mod:`argus.app.anomaly`)."""

from __future__ import annotations

import dataclasses
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from argus.cli import validate
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
    ENTROPY = "entropy"
    CAD_OSE = "cad_ose"
    SHIFT = "shift"


def _read_text(source: Path) -> list[str]:
    if not source.is_file():
        raise InputError(f"{source}: no such file (expected a CSV with the header timestamp,value)")
    try:
        return source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None


_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json")


def anomalies_analyze(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    no_derive: bool = typer.Option(False, "--no-derive", help="Score stored series only (derive none from CI data)."),
    json_out: bool = _JSON,
) -> None:
    """Derive series from CI data, score new points of every series, save anomaly and forecast insights."""
    from argus.app import anomaly as uc
    from argus.cli import anomaly_views
    from argus.cli.context import state

    summary = uc.analyze(state(ctx).runtime, uc.AnalyzeRequest(project, derive=not no_derive))
    if json_out:
        print_json(summary)
        return
    anomaly_views.analysis(console(), summary)


def anomalies_list(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    series: str | None = typer.Option(None, "--series", help="Only this series (its name, or its full key)."),
    include_superseded: bool = typer.Option(False, "--all", help="Include earlier anomalies of each series."),
    limit: int = typer.Option(50, "--limit", callback=validate.count("--limit"), help="At most this many, newest first."),
    json_out: bool = _JSON,
) -> None:
    """Anomaly and forecast insights, newest first (the current one per series unless --all)."""
    from argus.app import anomaly as uc
    from argus.cli import anomaly_views
    from argus.cli.context import state

    result = uc.list_anomalies(state(ctx).runtime, uc.ListRequest(project, series, include_superseded, limit))
    if json_out:
        print_json(list(result.items))
        return
    anomaly_views.anomaly_rows(console(), result)


def anomalies_show(
    ctx: typer.Context,
    insight_id: int = typer.Argument(..., callback=validate.db_id("insight id"),
                                     help="Insight id (from `argus anomalies list`)."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """One anomaly or forecast: the window, the baseline it was judged against, the gates, evidence."""
    from argus.app import anomaly as uc
    from argus.cli import anomaly_views
    from argus.cli.context import state

    view = uc.show_anomaly(state(ctx).runtime, uc.ShowRequest(insight_id, project))
    if json_out:
        print_json(view)
        return
    anomaly_views.anomaly_detail(console(), view)


def _nab_root(data: Path | None) -> Path:
    from argus.evaluation.anomaly_nab import find_nab_dir

    root = data if data is not None else find_nab_dir(Path.cwd())
    if root is None:
        raise InputError("NAB data not found: give --data PATH (or ARGUS_NAB_DIR); "
                         "expected shared/datasets/nab in this or a parent directory")
    if not (root / "combined_windows.json").is_file():
        raise InputError(f"{root}: not a NAB folder (expected combined_windows.json and data/)")
    return root


def anomalies_evaluate_forecast(
    data: Path | None = typer.Option(None, "--data", envvar="ARGUS_NAB_DIR",
                                     help="NAB folder (combined_windows.json, data/); default: "
                                          "shared/datasets/nab in this or a parent directory."),
    origins: int = typer.Option(12, "--origins", callback=validate.count("--origins"),
                                help="Forecast origins per series (spread over its second half)."),
    json_out: bool = _JSON,
) -> None:
    """Backtest forecasts on the NAB series: coverage of the 80 % / 95 % intervals at 3/6/12/24 h."""
    from argus.evaluation.anomaly_forecast import HORIZONS_H, backtest
    from argus.evaluation.anomaly_nab import load_corpus

    root = _nab_root(data)
    result = backtest(load_corpus(root), HORIZONS_H, origins)
    if json_out:
        print_json({"schema": "argus.forecast-backtest/v1", "data": str(root), **dataclasses.asdict(result)})
        return
    out = console()
    out.print(f"NAB: {result.series} series, {result.origins} forecast origins", soft_wrap=True)
    out.print(str(root), soft_wrap=True)
    for h in result.horizons:
        out.print(f"  {h.hours:>4g} h: {h.forecasts} forecasts; inside 80 % interval {100 * h.coverage80:.1f} %, "
                  f"inside 95 % {100 * h.coverage95:.1f} %; MAE vs naive {h.mae_ratio_naive:.2f}; models chosen: "
                  + ", ".join(f"{m} {c}" for m, c in h.models), soft_wrap=True)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    app = typer.Typer(help="Anomalies and forecasts of metric series: score files, analyse stored series, NAB.",
                      no_args_is_help=True)
    root.add_typer(app, name="anomalies")
    app.command("analyze")(anomalies_analyze)
    app.command("list")(anomalies_list)
    app.command("show")(anomalies_show)
    app.command("evaluate-forecast")(anomalies_evaluate_forecast)
    app.command("score")(anomalies_score)
    app.command("evaluate-nab")(anomalies_evaluate_nab)


def anomalies_score(
    source: Path = typer.Argument(..., help="CSV file with the header timestamp,value (ISO 8601 times)."),
    fmt: OutputFormat = typer.Option(OutputFormat.CSV, "--format", "-f", help="csv or json."),
    detector: DetectorChoice = typer.Option(DetectorChoice.ENSEMBLE, "--detector", "-d",
                                            help="ensemble (default), seasonal, likelihood, extreme, "
                                                 "spike_rule, three_sigma, entropy, shift or cad_ose (slow)."),
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
                                                  help="Repeat to choose; default: every detector but cad_ose (slow)."),
    json_out: bool = typer.Option(False, "--json"),
    no_param_search: bool = typer.Option(False, "--no-parameter-search",
                                         help="Skip choosing the ensemble's parameters per fold (≈ 20 s)."),
) -> None:
    """NAB standard / low-FP / low-FN scores per detector: Argus's threshold, optimised, held out."""
    from argus.analysis.anomaly.schemas import Detector
    from argus.evaluation.anomaly_nab import (
        FOLDS,
        GRID,
        PLATEAU_WIDTH,
        evaluate_corpus,
        find_nab_dir,
        held_out_parameters,
        load_corpus,
        score_grid,
    )

    root = data if data is not None else find_nab_dir(Path.cwd())
    if root is None:
        raise InputError("NAB data not found: give --data PATH (or ARGUS_NAB_DIR); "
                         "expected shared/datasets/nab in this or a parent directory")
    if not (root / "combined_windows.json").is_file():
        raise InputError(f"{root}: not a NAB folder (expected combined_windows.json and data/)")
    corpus = load_corpus(root)
    # CAD OSE is pure Python and quadratic in the series' length (hours on NAB): only when asked for.
    chosen = [Detector(d.value) for d in detector] or [
        d for d in Detector if d not in (Detector.ENSEMBLE, Detector.CAD_OSE)] + [Detector.ENSEMBLE]
    reports = evaluate_corpus(corpus, chosen)
    windows = sum(len(ns.windows) for ns in corpus)
    params_held = plateau_held = None
    if Detector.ENSEMBLE in chosen and not no_param_search:
        grid_scores = score_grid(corpus)
        params_held = held_out_parameters(corpus, scored_by=grid_scores)
        plateau_held = held_out_parameters(corpus, plateau=PLATEAU_WIDTH, scored_by=grid_scores)
    if json_out:
        doc: dict[str, object] = {"schema": "argus.nab-evaluation/v1", "data": str(root), "series": len(corpus),
                                  "windows": windows, "folds": [list(f) for f in FOLDS], "detectors": reports}
        if params_held is not None:
            doc["ensemble_parameters_held_out"] = {"grid": [g.label for g in GRID], "profiles": params_held,
                                                   "plateau_width": PLATEAU_WIDTH,
                                                   "plateau_profiles": plateau_held}
        print_json(doc)
        return
    out = console()

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)

    say(f"NAB: {len(corpus)} series, {windows} labelled windows")
    say(str(root))
    say("held out: threshold tuned on one fold, scored on the other, both ways:")
    for k, fold in enumerate(FOLDS, 1):
        say(f"  fold {k}: " + ", ".join(fold))
    say(f"plateau: tuned by the score averaged over 1 - t within ±{PLATEAU_WIDTH:g} decade")
    for rep in reports:
        say("")
        say(rep.detector)
        for r in rep.results:
            say(f"  {r.profile:<19} argus {r.argus_score:5.1f} optimised {r.optimised_score:5.1f}"
                f" held-out {r.held_out_score:5.1f} plateau {r.plateau_held_out_score:5.1f}")
        std = rep.results[0]
        say(f"  threshold: argus {std.argus_threshold:.6g}, optimised {std.optimised_threshold:.6g} (standard)")
        say(f"  at argus's threshold: {std.tp} TP, {std.fp} FP rows, {std.fn} FN")
        if rep.detector == Detector.ENSEMBLE.value:
            say("  share of scored rows inside a labelled window, by score:")
            for b in rep.reliability:
                share = "-" if b.rows == 0 else f"{100 * b.in_window:.1f} %"
                say(f"    [{b.low:g}, {b.high:g}{']' if b.high == 1.0 else ')'}: {b.rows} rows, {share}")
    if params_held is not None:
        from argus.cli.render import para

        say("")
        para(out, f"ensemble, parameters held out too: configuration ({len(GRID)} in the grid) and threshold "
                  "chosen on one fold, scored on the other, both ways:")
        assert plateau_held is not None
        for ph, pl in zip(params_held, plateau_held, strict=True):
            say(f"  {ph.profile:<19} held-out {ph.score:6.1f}  plateau {pl.score:6.1f}")
        for rule, held in (("", params_held), (", plateau", plateau_held)):
            for fc in held[0].folds:
                para(out, f"standard{rule}, chosen on fold {fc.tuned_on} ({fc.tune_score:.1f} there): "
                          f"{fc.config}, threshold {fc.threshold:.7g}; {fc.test_score:.1f} on fold "
                          f"{3 - fc.tuned_on}", "  ")
