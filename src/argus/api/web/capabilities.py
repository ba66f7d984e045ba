"""Dashboard pages of the later capabilities: delivery (DORA), anomalies, ask, and the incident page's
runbook recommendations and postmortem. Same rules as :mod:`.routes`: each route declares its role,
resolves the project through ``open_page`` (foreign project 404) and calls the use cases the CLI and
the API call (``argus.app.delivery``, ``.anomaly``, ``.query``, ``.runbooks``, ``.postmortem``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from argus.api.web import charts
from argus.api.web.routes import (
    PAGE_SIZE,
    Id,
    Maintainer,
    Page,
    Project,
    Text,
    Viewer,
    WebError,
    _dt,
    call,
    check_csrf,
    open_page,
    render,
)
from argus.core.enums import Role
from argus.core.errors import NotFoundError

router = APIRouter(include_in_schema=False, tags=["dashboard"])
Day = Annotated[str | None, Query(max_length=10)]

#: The monthly trend charts of the delivery page: (metric key, title, unit, colour).
TRENDS = (("deployment_frequency", "Deployment frequency", "/wk", charts.BLUE),
          ("lead_time", "Lead time for changes (median)", " min", charts.ORANGE),
          ("change_failure_rate", "Change failure rate", "", charts.VERMILLION),
          ("failed_deployment_recovery_time", "Failed deployment recovery time (median)", " min", charts.GREEN))
#: Lead-time stages of a pull request, left to right, with their colours.
STAGES = (("coding", "coding_time_min", charts.BLUE), ("pickup", "pickup_time_min", charts.ORANGE),
          ("review", "review_time_min", charts.PURPLE), ("deploy", "deploy_time_min", charts.GREEN))


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WebError(400, f"{name} {value[:10]!r}: use YYYY-MM-DD") from None


def pr_bar(pr: Any, total_max: float) -> Any:
    return charts.hbar([charts.Series(name, [getattr(pr, attr)], colour) for name, attr, colour in STAGES],
                       total_max=total_max, unit=" min", label=f"lead time of {pr.pr_id}: coding, pickup, review, deploy")


@router.get("/p/{project}/delivery", response_class=HTMLResponse)
def delivery_page(request: Request, project: Project, who: Viewer, first: Day = None, last: Day = None) -> Response:
    """The four DORA keys over a period with their 2021/2023 buckets and rules, monthly trends, and the
    newest merged pull requests with their lead-time breakdown (``argus dora``, ``argus prs``)."""
    from argus.app.delivery import DoraRequest, PrListRequest, dora_report, list_prs

    p = open_page(request, project, who, filters=False)
    f, la = _day(first, "from"), _day(last, "to")
    report = call(dora_report, p.rt, DoraRequest(project, f, la, save=False))
    prs = call(list_prs, p.rt, PrListRequest(project, limit=PAGE_SIZE))
    cov = report.coverage
    empty = cov.deployment_rows == 0 and cov.merged_prs == 0 and cov.incidents == 0
    months = report.months
    trends = []
    for key, title, unit, colour in TRENDS:
        values = [next((m.value for m in mv.metrics if m.key == key), None) for mv in months]
        if key == "change_failure_rate":
            values = [None if v is None else v * 100 for v in values]
            unit = "%"
        trends.append((title, charts.line_chart([mv.month for mv in months], [charts.Series(title, values, colour)],
                                                unit=unit, y_min=0, label=f"{title} per month", height=160)))
    total_max = max((float(r.cycle_time_min) for r in prs.items), default=0.0)
    rows = [(r, pr_bar(r, total_max)) for r in prs.items]
    return render(request, "delivery.html", p=p, nav="delivery", r=report, empty=empty, trends=trends, prs=prs,
                  rows=rows, legend=charts.legend([(n, c) for n, _, c in STAGES]), first=first, last=last)


@router.get("/p/{project}/delivery/prs/{pr_id}", response_class=HTMLResponse)
def pr_page(request: Request, project: Project, pr_id: Annotated[str, PathParam(max_length=200)],
            who: Viewer) -> Response:
    """One pull request's lead time, stage by stage, and how each stage was measured (``argus prs show``)."""
    from argus.app.delivery import PrShowRequest, show_pr

    p = open_page(request, project, who, filters=False)
    d = call(show_pr, p.rt, PrShowRequest(pr_id, project))
    bar = pr_bar(d.pr, float(d.pr.cycle_time_min or 0))
    return render(request, "delivery_pr.html", p=p, nav="delivery", d=d, pr=d.pr, bar=bar,
                  legend=charts.legend([(n, c) for n, _, c in STAGES]))


@router.get("/p/{project}/anomalies", response_class=HTMLResponse)
def anomalies_page(request: Request, project: Project, who: Viewer, cursor: Text = None, kind: Text = None,
                   scursor: Text = None) -> Response:
    """Current anomaly and forecast-breach insights, newest first, and the stored series (``argus anomalies``)."""
    from argus.app.anomaly import AnomaliesPage, SeriesPage, page_anomalies, page_series

    p = open_page(request, project, who, filters=False)
    k = kind if kind in ("anomaly", "forecast_breach") else None
    page = call(page_anomalies, p.rt, AnomaliesPage(project, PAGE_SIZE, cursor, kind=k))
    series = call(page_series, p.rt, SeriesPage(project, PAGE_SIZE, scursor))
    return render(request, "anomalies.html", p=p, nav="anomalies", items=page.items, next_cursor=page.next_cursor,
                  cursor=cursor, kind=k, series=series.items, series_next=series.next_cursor, scursor=scursor)


@router.get("/p/{project}/metrics", response_class=HTMLResponse)
def metric_page(request: Request, project: Project, who: Viewer, key: Text = None) -> Response:
    """One series: its newest points with its anomalies marked and the baseline range of the newest one
    shaded, and its anomalies listed."""
    from argus.app.anomaly import AnomaliesPage, page_anomalies, series_points

    p = open_page(request, project, who, filters=False)
    if not key:
        raise WebError(400, "name the series: ?key=SERIES")
    sp = call(series_points, p.rt, project, key)
    found = call(page_anomalies, p.rt, AnomaliesPage(project, PAGE_SIZE, None, series=key))
    times = [t for t, _ in sp.points]
    index = {_dt(t, "%Y-%m-%dT%H:%M:%S"): i for i, t in enumerate(times)}
    markers, band_of = [], None
    for a in found.items:
        data = a.data or {}
        at = str(data.get("at") or "").rstrip("Z").replace(" ", "T")[:19]
        if at in index:
            markers.append((index[at], f"{a.kind}: {a.title}"))
        base = data.get("baseline") or {}
        if band_of is None and base.get("low") is not None and base.get("high") is not None:
            band_of = (float(base["low"]), float(base["high"]))
    band = [band_of] * len(times) if band_of else []
    chart = charts.line_chart([_dt(t) for t in times], [charts.Series(sp.name, [v for _, v in sp.points], charts.BLUE)],
                              band=band, markers=markers, label=f"{sp.key}: newest {len(times)} points",
                              band_title="baseline range (low to high) of the newest anomaly", height=240,
                              titles=[_dt(t, "%Y-%m-%d %H:%M:%S") for t in times])
    return render(request, "metric.html", p=p, nav="anomalies", s=sp, chart=chart, items=found.items,
                  markers=len(markers), band=band_of)


def _ask_form(request: Request, p: Page, question: str = "", answer: Any = None) -> Response:
    return render(request, "ask.html", p=p, nav="ask", question=question, a=answer)


@router.get("/p/{project}/ask", response_class=HTMLResponse)
def ask_page(request: Request, project: Project, who: Viewer) -> Response:
    """A question box; the answer comes from the catalogue (or the configured model), as ``argus ask``."""
    return _ask_form(request, open_page(request, project, who, filters=False))


@router.post("/p/{project}/ask", response_class=HTMLResponse)
async def ask_answer(request: Request, project: Project, who: Viewer) -> Response:
    """Answer a question (viewer: a question reads, it changes nothing but the remembered examples of a
    model answer, as ``POST /api/v1/projects/{project}/ask``); CSRF-protected like every form."""
    from argus.app.query import AskRequest, ask

    p = open_page(request, project, who, filters=False)
    form = await request.form()
    check_csrf(request, form)
    q = form.get("q")
    question = q.strip() if isinstance(q, str) else ""
    if not question or len(question) > 1000 or "\x00" in question:
        raise WebError(422, "ask a question (at most 1000 characters)")
    answer = await run_in_threadpool(call, ask, p.rt, AskRequest(question, project))
    return _ask_form(request, p, question, answer)


def incident_extras(p: Page, incident_id: int) -> dict[str, Any]:
    """What the incident page's runbook partial (``_incident_runbooks.html``) shows: the recommended
    runbooks (``argus incidents recommend``) and the postmortem, if one was drafted."""
    from argus.app import postmortem as pm
    from argus.app.runbooks import RecommendRequest, recommend

    recs = call(recommend, p.rt, RecommendRequest(incident_id, p.project))
    try:
        post = pm.get(p.rt, incident_id, p.project)
    except NotFoundError:
        post = None
    return {"recs": recs, "postmortem": post}


@router.post("/p/{project}/incidents/{incident_id}/postmortem")
async def postmortem_draft(request: Request, project: Project, incident_id: Id, who: Maintainer) -> Response:
    """Draft (or redraft) the incident's postmortem (maintainer, as ``argus incidents postmortem``)."""
    from argus.app import postmortem as pm

    p = open_page(request, project, who, Role.MAINTAINER, filters=False)
    form = await request.form()
    check_csrf(request, form)
    cause = form.get("cause")
    text = cause.strip()[:2000] if isinstance(cause, str) and cause.strip() and "\x00" not in cause else None
    await run_in_threadpool(call, pm.write, p.rt, pm.PostmortemRequest(incident_id, who.actor, project, text))
    return RedirectResponse(p.link(f"/incidents/{incident_id}", done="postmortem drafted") + "#postmortem",
                            status_code=303)
