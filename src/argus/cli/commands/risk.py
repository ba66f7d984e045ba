"""``argus risk SHA | --base REV --head REV``, ``argus risk evaluate-dataset CSV`` and
``argus models list|train|evaluate|promote|drift`` (through :mod:`argus.app.risk`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from argus.cli.output import console, print_json

if TYPE_CHECKING:
    from typer import _click

    from argus.analysis.risk.readmodels import ModelView, TrainResult
    from argus.cli.app import CommandGroups

_PROJECT = typer.Option(None, "--project", "-p", help="Project (default from settings).")
_JSON = typer.Option(False, "--json")


class RiskGroup(TyperGroup):
    """``argus risk``: a sub-command name, or else the arguments of ``argus risk assess`` (a sha, --base ...)."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["assess", *args]
        return super().parse_args(ctx, args)


def _json(value: Any) -> None:
    from argus.report.ingest import record_json

    print_json(record_json(value))


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def risk_evaluate_dataset(
    csv_path: Path = typer.Argument(..., metavar="CSV", help="Per-commit Kamei features: _id, date, bug, ns, nd, "
                                    "nf, entrophy|entropy, la, ld, lt, fix, ndev, age, nuc, exp, rexp, sexp; "
                                    "optional author."),
    train_fraction: float = typer.Option(0.8, "--train-fraction", min=0.05, max=0.95,
                                         help="Earliest share of commits (by date) to train on; the rest is tested."),
    no_author_features: bool = typer.Option(False, "--no-author-features",
                                            help="The model before round 4: without the author's earlier "
                                                 "defect rate."),
    json_out: bool = _JSON,
) -> None:
    """Evaluate our model and the baselines (LApredict, logistic) on a CSV, time-ordered (AUC, PR-AUC, Brier)."""
    from argus.app.risk import evaluate_dataset

    ev = evaluate_dataset(csv_path, train_fraction, author_features=not no_author_features)
    pick = lambda m: {"auc": m.auc, "pr_auc": m.pr_auc, "brier": m.brier}  # noqa: E731
    if json_out:
        print_json({"model": pick(ev.model), "baselines": {"lapredict": pick(ev.lapredict),
                                                           "logistic": pick(ev.logistic)},
                    "train_rows": ev.train_rows, "test_rows": ev.test_rows})
        return
    out = console()
    out.print(f"{csv_path.name}: trained on the earliest {ev.train_rows} commits, tested on the latest "
              f"{ev.test_rows}", markup=False, soft_wrap=True)
    out.print(f"{'':12}{'AUC':>8}{'PR-AUC':>8}{'Brier':>8}{'F1':>8}{'ECE':>8}", markup=False)
    for name, m in (("model", ev.model), ("lapredict", ev.lapredict), ("logistic", ev.logistic)):
        out.print(f"{name:12}{_f(m.auc):>8}{_f(m.pr_auc):>8}{_f(m.brier):>8}{_f(m.f1):>8}{_f(m.ece):>8}",
                  markup=False)


def risk_assess(
    ctx: typer.Context,
    sha: str | None = typer.Argument(None, help="Commit sha or unambiguous prefix (or use --base/--head)."),
    base: str | None = typer.Option(None, "--base", help="Range start (exclusive): a stored commit."),
    head: str | None = typer.Option(None, "--head", help="Range end (inclusive): a stored commit."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Risk of a change or range: 0–100, GO/WARN/BLOCK, top factors, similar breaking changes (an insight)."""
    from argus.app.risk import AssessRequest, assess_change
    from argus.cli.context import state
    from argus.core.errors import InputError

    if (sha is None) == (base is None and head is None) or (sha is None and (base is None or head is None)):
        raise InputError("give either a commit sha, or both --base and --head")
    a = assess_change(state(ctx).runtime, AssessRequest(project, sha, base, head))
    if json_out:
        _json(a)
        return
    out = console()
    out.print(f"{a.subject}: risk {a.score}/100  {a.level}", markup=False)
    out.print(a.recommendation, markup=False, soft_wrap=True)
    out.print(f"model {a.model.name} v{a.model.version}; {len(a.commits)} change(s); insight {a.insight_id}",
              markup=False)
    out.print("top factors (log-odds):", markup=False)
    for f in a.factors:
        out.print(f"  {f.feature:18} {'-' if f.value is None else f'{f.value:.4g}':>10}  {f.contribution:+.3f}",
                  markup=False)
    if a.similar:
        out.print("similar past breaking changes:", markup=False)
        for s in a.similar:
            out.print(f"  {s.sha[:12]} {s.time:%Y-%m-%d} {s.summary[:50]}", markup=False)
    t = a.tests
    if t is None:
        out.print("impacted tests: unknown (no coverage map: `argus ingest coverage-map`)", markup=False)
        return
    out.print(f"impacted tests: {t.count} of {t.total} ({100 * t.share:.1f}%)", markup=False)
    if t.full_suite_reasons:
        out.print(f"tests to run: the full suite ({'; '.join(t.full_suite_reasons)[:60]})", markup=False)
    elif t.selected is not None:
        out.print(f"tests to run ({t.selected}, safe mode):", markup=False)
        for name in t.to_run:
            out.print(f"  {name[:76]}", markup=False)


def _model_line(m: ModelView) -> str:
    h = m.metrics.get("model", {})
    return (f"v{m.version:<3} {m.status:9} {m.created_at:%Y-%m-%d %H:%M}  rows {m.train_rows:<6} "
            f"AUC {_f(h.get('auc'))} Brier {_f(h.get('brier'))}")


def models_list(ctx: typer.Context, project: str | None = _PROJECT, json_out: bool = _JSON) -> None:
    """Registered versions of the change-risk model, newest first (status, data, holdout metrics)."""
    from argus.app.risk import list_models
    from argus.cli.context import state

    rows = list_models(state(ctx).runtime, project)
    if json_out:
        from argus.report.ingest import records_json

        print_json(records_json(rows))
        return
    out = console()
    if not rows:
        out.print("no model yet (run `argus models train`)", markup=False)
    for m in rows:
        out.print(_model_line(m), markup=False)
        if m.reason:
            out.print(f"     {m.reason[:74]}", markup=False)


def _print_train(r: TrainResult, verb: str) -> None:
    out = console()
    m = r.model
    out.print(f"{m.name} v{m.version} {verb}: {m.status}", markup=False)
    out.print(f"reason: {r.reason}", markup=False, soft_wrap=True)
    for name in ("model", "lapredict", "logistic"):
        if name in m.metrics:
            h = m.metrics[name]
            out.print(f"  {name:10} AUC {_f(h['auc'])} PR-AUC {_f(h['pr_auc'])} Brier {_f(h['brier'])}",
                      markup=False)
    if r.champion_metrics is not None and r.champion is not None:
        h = r.champion_metrics
        out.print(f"  active v{r.champion.version} on the same holdout: AUC {_f(h['auc'])} Brier {_f(h['brier'])}",
                  markup=False)


def models_train(ctx: typer.Context, project: str | None = _PROJECT, json_out: bool = _JSON) -> None:
    """Train a new version; it becomes active only if it beats the active one on the time-ordered holdout."""
    from argus.app.risk import train_model
    from argus.cli.context import state

    r = train_model(state(ctx).runtime, project)
    if json_out:
        _json(r)
    else:
        _print_train(r, "trained")


def models_evaluate(
    ctx: typer.Context,
    version: int | None = typer.Argument(None, min=1, help="Version (default: the active one)."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Measure a version and the baselines on today's time-ordered holdout."""
    from argus.app.risk import evaluate_model
    from argus.cli.context import state

    r = evaluate_model(state(ctx).runtime, project, version)
    if json_out:
        _json(r)
        return
    out = console()
    out.print(f"{r.model.name} v{r.model.version} on {r.holdout_rows} holdout changes", markup=False)
    for name, h in r.metrics.items():
        out.print(f"  {name:10} AUC {_f(h['auc'])} PR-AUC {_f(h['pr_auc'])} Brier {_f(h['brier'])} "
                  f"F1 {_f(h['f1'])}", markup=False)


def models_promote(
    ctx: typer.Context,
    version: int = typer.Argument(..., min=1, help="Version to make active."),
    force: bool = typer.Option(False, "--force", help="Promote even if it does not beat the active version."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Make a version active if it beats the active one on the same holdout (the reason is recorded)."""
    from argus.app.risk import promote_model
    from argus.cli.context import state

    r = promote_model(state(ctx).runtime, project, version, force)
    if json_out:
        _json(r)
    else:
        _print_train(r, "promoted" if r.promoted else "not promoted")


def models_drift(
    ctx: typer.Context,
    project: str | None = _PROJECT,
    no_anomalies: bool = typer.Option(False, "--no-anomalies", help="Skip the isolation forest."),
    json_out: bool = _JSON,
) -> None:
    """PSI drift per feature and on the score, outcome backfill, retraining triggers, anomalous predictions."""
    from argus.app.risk import model_drift
    from argus.cli.context import state

    r = model_drift(state(ctx).runtime, project, not no_anomalies)
    if json_out:
        _json(r)
        return
    out = console()
    out.print(f"{r.model.name} v{r.model.version}: {r.recent_rows} change(s) after its training range", markup=False)
    out.print(f"score PSI {_f(r.score_psi)}; largest feature PSI: " + ", ".join(
        f"{d.feature} {d.psi:.3f}" for d in r.features[:3]), markup=False, soft_wrap=True)
    out.print(f"outcomes backfilled now {r.backfilled}; accuracy {_f(r.accuracy)} over {r.outcomes}", markup=False)
    for t in r.triggers:
        out.print(f"  [{'x' if t.fired else ' '}] {t.name:10} {t.detail}", markup=False)
    out.print("retrain: " + ("yes (run `argus models retrain`)" if r.retrain else "no"), markup=False)
    out.print(f"anomalies: {r.anomalies_flagged} new of {r.anomalies_scored} predictions scored", markup=False)


def models_retrain(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Train a challenger even if no trigger fired."),
    project: str | None = _PROJECT,
    json_out: bool = _JSON,
) -> None:
    """Run the retraining job: when a trigger fired, train a challenger (promoted only if it wins)."""
    from argus.cli.context import state
    from argus.core.clock import utcnow
    from argus.jobs.service import retrain_risk

    rt = state(ctx).runtime
    r = retrain_risk(rt, project, f"manual:{utcnow():%Y-%m-%dT%H:%M:%S.%f}", force=force)
    if json_out:
        _json(r)
        return
    out = console()
    job = r.job
    out.print(f"job {job.id} ({job.kind}): {job.status}" + ("" if r.ran_here else " (handed to `argus worker`)"),
              markup=False)
    res = job.result or {}
    if res.get("skipped"):
        out.print(f"skipped: {res['skipped']}", markup=False, soft_wrap=True)
    elif res.get("trained"):
        out.print(f"trained v{res.get('version')} (triggers: {', '.join(res.get('fired') or [])}); "
                  f"{'promoted' if res.get('promoted') else 'kept as candidate'}", markup=False)
        out.print(f"reason: {res.get('reason')}", markup=False, soft_wrap=True)
    elif r.ran_here:
        out.print("no trigger fired: nothing to train", markup=False)


def register(root: typer.Typer, groups: CommandGroups) -> None:
    risk = typer.Typer(cls=RiskGroup, no_args_is_help=True,
                       help="Change risk: assess a change or range (argus risk SHA), evaluate on a Kamei CSV.")
    root.add_typer(risk, name="risk")
    risk.command("assess")(risk_assess)
    risk.command("evaluate-dataset")(risk_evaluate_dataset)
    models = typer.Typer(no_args_is_help=True,
                         help="Model registry of change risk: list, train, evaluate, promote, drift.")
    root.add_typer(models, name="models")
    models.command("list")(models_list)
    models.command("train")(models_train)
    models.command("evaluate")(models_evaluate)
    models.command("promote")(models_promote)
    models.command("drift")(models_drift)
    models.command("retrain")(models_retrain)
