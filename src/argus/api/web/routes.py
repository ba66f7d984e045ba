"""The dashboard's pages: server-rendered HTML (Jinja2) over the same use cases as the JSON API.

Every page is a route of the app that declares the role it needs (like the API's routes, so the route
walk of ``tests/api`` checks it), resolves the project through :func:`argus.api.routers._read.in_project`
(the caller's organisation only; a project outside a token's scope is 404, exactly as in the API) and
renders frozen read models. The caller comes from the session cookie (:mod:`.session`) or, for
scripts, an ``Authorization: Bearer`` token; without either a page answers 401 with the sign-in form.
Forms that change something (quarantine, mark fixed, feedback) need the role the CLI/API needs
(maintainer) and the session's CSRF token; they redirect back (POST → 303 → GET).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from markupsafe import Markup

from argus.api.deps import ROLE_ATTR, Caller, caller, runtime
from argus.api.problems import ApiProblem
from argus.api.routers._read import in_project, org_runtime
from argus.api.web import charts, session
from argus.app.runtime import Runtime
from argus.core.enums import Role
from argus.core.errors import InputError, NotFoundError

T = TypeVar("T")
router = APIRouter(include_in_schema=False, tags=["dashboard"])
TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 50
RANGES = {"all": None, "1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30),
          "90d": timedelta(days=90)}
Project = Annotated[str, PathParam(max_length=100)]
Id = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
Text = Annotated[str | None, Query(max_length=500)]

#: Response headers of every dashboard page: no framing, no sniffing, assets only from the server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class WebError(Exception):
    """A page that cannot be shown: rendered as the error page with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class LoginRequired(Exception):
    """No session and no token: the sign-in form, with 401."""


def environment(request: Request) -> Any:
    env = getattr(request.app.state, "web_env", None)
    if env is None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                          trim_blocks=True, lstrip_blocks=True)
        env.filters.update(dt=_dt, dur=_dur, pct=_pct, short=_short)
        request.app.state.web_env = env
    return env


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
    html = environment(request).get_template(name).render(request=request, **ctx)
    return secure(HTMLResponse(html, status))


def secure(resp: Response) -> Response:
    for k, v in SECURITY_HEADERS.items():
        resp.headers.setdefault(k, v)
    return resp


def _dt(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    v = value if value.tzinfo else value.replace(tzinfo=UTC)
    return v.astimezone(UTC).strftime(fmt)


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _short(text: str | None, n: int = 80) -> str:
    if not text:
        return ""
    return text if len(text) <= n else text[: n - 1] + "…"


# --- who is asking ---------------------------------------------------------------------------------


def page_caller(role: Role) -> Any:
    """Dependency: the caller of the session cookie (or Bearer token) with at least ``role``."""

    def dep(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> Caller:
        who: Caller | None = None
        sess = session.current(request)
        if sess is not None:
            who = session.caller_of(rt, sess.token_id)
            if who is None:  # the token was revoked or expired: the session ends with it
                raise LoginRequired()
            request.state.caller = who  # the audit trail names the token
        elif request.headers.get("authorization"):
            who = caller(request, rt)  # 401 problem for a bad token, as the API
        else:
            raise LoginRequired()
        if not who.allows(role):
            request.state.auth_failure = "role too low"
            raise WebError(403, f"this needs role {role.value} or higher (your token has {who.role.value})")
        return who

    setattr(dep, ROLE_ATTR, role)
    return Depends(dep)


Viewer = Annotated[Caller, page_caller(Role.VIEWER)]
Maintainer = Annotated[Caller, page_caller(Role.MAINTAINER)]


@dataclass
class Page:
    """What every page template gets: who, which project, the filters and how to link with them."""

    request: Request
    who: Caller
    project: str
    rt: Runtime
    branch: str | None = None
    range: str = "all"
    q: str | None = None
    since: datetime | None = None
    newest: datetime | None = None
    projects: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        sess = session.current(self.request)
        return sess.csrf if sess is not None else ""

    @property
    def can_maintain(self) -> bool:
        return self.who.allows(Role.MAINTAINER)

    def link(self, path: str = "", **params: Any) -> str:
        """``/p/<project><path>`` with the current filters, overridden by ``params`` (None drops one)."""
        base: dict[str, Any] = {"branch": self.branch, "range": None if self.range == "all" else self.range}
        base.update(params)
        query = urlencode({k: v for k, v in base.items() if v not in (None, "")})
        return f"/p/{self.project}{path}" + (f"?{query}" if query else "")

    def here(self, **params: Any) -> str:
        """This page's address with the current filters, overridden by ``params``."""
        prefix = f"/p/{self.project}"
        path = self.request.url.path
        return self.link(path[len(prefix):] if path.startswith(prefix) else "", **params)


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a use case; its not-found and bad-input errors become the error page."""
    try:
        return fn(*args, **kwargs)
    except NotFoundError as exc:
        raise WebError(404, str(exc)) from exc
    except InputError as exc:
        raise WebError(400, str(exc)) from exc


def open_page(request: Request, project: str, who: Caller, role: Role = Role.VIEWER, *, branch: str | None = None,
              range_: str | None = None, q: str | None = None, filters: bool = True) -> Page:
    """Check ``who`` may see ``project`` (404 outside its reach, as the API) and read the filters."""
    from argus.app.dashboard import org_projects, page_context

    try:
        rt = in_project(request, project, who, role)
    except ApiProblem as exc:
        raise WebError(exc.status, exc.detail) from exc
    rng = range_ if range_ in RANGES else "all"
    newest, branches = call(page_context, rt, project, with_branches=filters)
    delta = RANGES[rng]
    since = newest - delta if (delta is not None and newest is not None) else None
    projects = (who.project_slug,) if who.project_slug else org_projects(rt, who.org_slug)
    return Page(request, who, project, rt, branch or None, rng, q or None, since, newest, projects, branches)


def check_csrf(request: Request, form: Any) -> None:
    """A form posted with the session cookie must carry the session's CSRF token (a Bearer caller has
    no ambient credential to abuse and needs none)."""
    sess = session.current(request)
    if sess is None:
        return
    if not session.csrf_ok(sess.csrf, form.get("csrf")):
        raise WebError(403, "the form's CSRF token is missing or wrong: reload the page and try again")


# --- pages ------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Viewer) -> Response:
    from argus.app.dashboard import org_projects

    rt = org_runtime(request, who)
    projects = (who.project_slug,) if who.project_slug else org_projects(rt, who.org_slug)
    if len(projects) >= 1:
        return RedirectResponse(f"/p/{projects[0]}", status_code=303)
    sess = session.current(request)
    return render(request, "empty.html", who=who, signed_in=sess.csrf if sess is not None else None)


@router.get("/p/{project}", response_class=HTMLResponse)
def overview_page(request: Request, project: Project, who: Viewer, branch: Text = None,
                  range: Text = None) -> Response:
    from argus.app.dashboard import DashFilter, overview

    p = open_page(request, project, who, branch=branch, range_=range)
    o = call(overview, p.rt, DashFilter(project, p.branch, p.since))
    labels = [d.day.isoformat() for d in o.days]
    runs_chart = charts.bar_chart(labels, [charts.Series("passed runs' tests", [d.passed for d in o.days], charts.GREEN),
                                           charts.Series("failed", [d.failed for d in o.days], charts.VERMILLION),
                                           charts.Series("skipped", [d.skipped for d in o.days], charts.GREY)],
                                  label="test outcomes per day")
    runs_per_day = charts.bar_chart(labels, [charts.Series("runs", [d.runs for d in o.days], charts.BLUE)],
                                    label="runs per day")
    pass_chart = charts.line_chart(labels, [charts.Series("pass rate", [None if d.pass_rate is None else d.pass_rate * 100
                                                                        for d in o.days], charts.BLUE)],
                                   unit="%", y_max=100, label="pass rate per day")
    ci_chart = charts.line_chart(labels, [charts.Series("CI time", [d.duration_s / 60 for d in o.days], charts.PURPLE)],
                                 unit=" min", y_min=0, label="CI time per day")
    return render(request, "overview.html", p=p, nav="overview", o=o, runs_chart=runs_chart,
                  runs_per_day=runs_per_day, pass_chart=pass_chart, ci_chart=ci_chart)


@router.get("/p/{project}/tests", response_class=HTMLResponse)
def tests_page(request: Request, project: Project, who: Viewer, q: Text = None, cursor: Text = None,
               branch: Text = None, range: Text = None) -> Response:
    from argus.app.dashboard import DashFilter, outcome_grid
    from argus.app.runs import TestsRequest, list_tests

    p = open_page(request, project, who, branch=branch, range_=range, q=q)
    page = call(list_tests, p.rt, TestsRequest(project, PAGE_SIZE, cursor, p.since, None, history=0, search=p.q))
    grid = call(outcome_grid, p.rt, DashFilter(project, p.branch, p.since), [t.id for t in page.items], 20)
    rows = []
    for t in page.items:
        cells = []
        for run, cell in zip(grid.runs, grid.cells.get(t.id, ()), strict=False):
            if cell is None:
                cells.append(charts.Cell("absent", f"{_dt(run.started_at)} · did not run · commit {(run.commit_sha or '?')[:10]}"))
                continue
            first, final, attempts, dur = cell
            outcome = "flaky" if first in ("failed", "error") and final == "passed" else final
            cells.append(charts.Cell(outcome, f"{_dt(run.started_at)} · {outcome} · commit {(run.commit_sha or '?')[:10]}"
                                              f" · branch {run.branch or '?'}"
                                              + (f" · {attempts} attempts" if attempts > 1 else "") + f" · {_dur(dur)}",
                                     p.link(f"/tests/{t.id}")))
        rows.append((t, charts.strip(cells, cell_w=10, height=20, label="outcome in the project's latest runs")))
    return render(request, "tests.html", p=p, nav="tests", rows=rows, next_cursor=page.next_cursor, cursor=cursor)


@router.get("/p/{project}/tests/find", response_class=HTMLResponse)
def find_test(request: Request, project: Project, who: Viewer,
              identity: Annotated[str | None, Query(max_length=1000)] = None) -> Response:
    from argus.app.dashboard import find_test_id

    p = open_page(request, project, who, filters=False)  # the project first: a foreign caller gets 404
    if not identity:
        raise WebError(422, "name the test (?identity=...)")
    return RedirectResponse(p.link(f"/tests/{call(find_test_id, p.rt, project, identity)}"), status_code=303)


@router.get("/p/{project}/tests/{test_id}", response_class=HTMLResponse)
def test_page(request: Request, project: Project, test_id: Id, who: Viewer, branch: Text = None,
              range: Text = None,
              runs: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    from argus.app.dashboard import DashFilter, test_detail

    p = open_page(request, project, who, branch=branch, range_=range)
    t = call(test_detail, p.rt, DashFilter(project, p.branch, p.since), test_id, runs)
    cells = []
    for o in t.outcomes:
        outcome = "flaky" if o.outcome in ("failed", "error") and o.final_outcome == "passed" else o.final_outcome
        env = ", ".join(f"{k}={v}" for k, v in sorted(o.environment.items()))
        cells.append(charts.Cell(outcome, f"run {o.run_id} · {_dt(o.started_at)} · {outcome} · commit "
                                          f"{(o.commit_sha or '?')[:10]} · branch {o.branch or '?'} · {env}"
                                          + (f" · {o.attempts} attempts" if o.attempts > 1 else "")
                                          + f" · {_dur(o.duration_s)}"))
    strip = charts.strip(cells, label="outcome per run, oldest first")
    labels = [_dt(o.started_at, "%m-%d %H:%M") for o in t.outcomes]
    titles = [f"run {o.run_id} ({(o.commit_sha or '?')[:8]}, {o.final_outcome})" for o in t.outcomes]
    duration = charts.line_chart(
        labels,
        [charts.Series("duration", [o.duration_s for o in t.outcomes], charts.BLUE),
         charts.Series("baseline median", [o.baseline[1] if o.baseline else None for o in t.outcomes], charts.GREY,
                       dashed=True)],
        band=[(o.baseline[0], o.baseline[2]) if o.baseline else None for o in t.outcomes],
        unit=" s", y_min=0, label="duration per run with the baseline band", titles=titles, width=1000,
        height=220)
    refs = t.shown.refs
    return render(request, "test.html", p=p, nav="tests", t=t, strip=strip, duration=duration, refs=refs)


@router.get("/p/{project}/flaky", response_class=HTMLResponse)
def flaky_page(request: Request, project: Project, who: Viewer, cursor: Text = None, kind: Text = None,
               state: Text = None, sort: Text = None, branch: Text = None,
               range: Text = None) -> Response:
    from argus.app.pages import FlakyRequest, list_flaky
    from argus.report.quarantine import ExportFormat

    p = open_page(request, project, who, branch=branch, range_=range)
    k = kind if kind in ("flaky_test", "broken_test") else None
    page = call(list_flaky, p.rt, FlakyRequest(project, PAGE_SIZE, cursor, kind=k, state=state or None))
    items = list(page.items)
    if sort == "wasted":
        items.sort(key=lambda v: (-v.wasted_s, -v.probability))
    return render(request, "flaky.html", p=p, nav="flaky", items=items, next_cursor=page.next_cursor,
                  cursor=cursor, kind=k, state=state, sort=sort, formats=[f.value for f in ExportFormat],
                  message=request.query_params.get("done"))


@router.post("/p/{project}/flaky/state")
async def flaky_state(request: Request, project: Project, who: Maintainer) -> Response:
    """Quarantine, un-quarantine (back to active) or mark fixed a test (maintainer, as the CLI's use case)."""
    from argus.analysis.flaky.lifecycle import LifecycleState
    from argus.app.flaky import SetStateRequest, set_state

    p = open_page(request, project, who, Role.MAINTAINER, filters=False)
    form = await request.form()
    check_csrf(request, form)
    test, state, note = form.get("test"), form.get("state"), form.get("note")
    if not isinstance(test, str) or not test or len(test) > 1000 or "\x00" in test:
        raise WebError(422, "name the test")
    try:
        target = LifecycleState(str(state))
    except ValueError:
        raise WebError(422, f"state {str(state)[:40]!r}: use active, quarantined or fixed") from None
    text = note if isinstance(note, str) and note.strip() else None
    note_text = f"{text or 'set in the dashboard'} (by {who.actor})"[:2000]
    await run_in_threadpool(call, set_state, p.rt, SetStateRequest(test, target, note_text, project))
    back = form.get("back")
    where = back if isinstance(back, str) and back.startswith(f"/p/{project}") and "//" not in back \
        else p.link("/flaky")
    sep = "&" if "?" in where else "?"
    return RedirectResponse(f"{where}{sep}done={target.value}", status_code=303)


QUARANTINE_FILES = {"pytest": "quarantine.args", "conftest": "conftest.py", "json": "quarantine.json",
                    "text": "quarantine.txt"}


@router.get("/p/{project}/flaky/quarantine/{fmt}")
def quarantine_file(request: Request, project: Project, fmt: Annotated[str, PathParam(max_length=20)],
                    who: Viewer) -> Response:
    """The quarantine list in each form ``argus flaky quarantine -f FORMAT`` writes."""
    from argus.app.flaky import QuarantineRequest, quarantine
    from argus.report.quarantine import ExportFormat, export

    p = open_page(request, project, who, filters=False)
    try:
        form = ExportFormat(fmt)
    except ValueError:
        raise WebError(404, f"no quarantine format {fmt[:20]!r}") from None
    q = call(quarantine, p.rt, QuarantineRequest(project))
    done = export(q.tests, form, project=project, now=datetime.now(UTC))
    name = QUARANTINE_FILES.get(form.value, f"quarantine-{form.value}.txt")
    media = "application/json" if form is ExportFormat.JSON else "text/plain; charset=utf-8"
    return secure(PlainTextResponse(done.text, media_type=media,
                                    headers={"Content-Disposition": f'attachment; filename="{name}"'}))


@router.get("/p/{project}/clusters", response_class=HTMLResponse)
def clusters_page(request: Request, project: Project, who: Viewer, cursor: Text = None, q: Text = None,
                  branch: Text = None, range: Text = None) -> Response:
    from argus.app.dashboard import cluster_sparklines
    from argus.app.pages import ClustersRequest, list_clusters

    p = open_page(request, project, who, branch=branch, range_=range, q=q)
    page = call(list_clusters, p.rt, ClustersRequest(project, PAGE_SIZE, cursor, p.since, samples=1))
    items = [c for c in page.items if not p.q or p.q.lower() in c.template.lower()
             or p.q.lower() in (c.failure_type or "").lower()]
    sparks = call(cluster_sparklines, p.rt, project, [c.id for c in items])
    rows = [(c, charts.sparkline(sparks.get(c.id, ()), label=f"failures per day of cluster {c.id}, last 14 days",
                                 colour=charts.VERMILLION if c.trend.value == "up" else charts.BLUE)) for c in items]
    return render(request, "clusters.html", p=p, nav="clusters", rows=rows, next_cursor=page.next_cursor,
                  cursor=cursor)


@router.get("/p/{project}/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, project: Project, cluster_id: Id, who: Viewer) -> Response:
    from argus.app.dashboard import cluster_sparklines
    from argus.app.failures import ShowRequest, show_cluster

    p = open_page(request, project, who)
    shown = call(show_cluster, p.rt, ShowRequest(cluster_id, project))
    spark = call(cluster_sparklines, p.rt, project, [cluster_id], 30)
    chart = charts.bar_chart([f"day {i - 29}" if i < 29 else "newest day" for i in range(30)],
                             [charts.Series("failures", spark.get(cluster_id, ()), charts.VERMILLION)],
                             label="failures per day, last 30 days of data", height=140)
    return render(request, "cluster.html", p=p, nav="clusters", d=shown.detail, c=shown.detail.cluster,
                  runs=shown.runs, chart=chart)


@router.get("/p/{project}/gates", response_class=HTMLResponse)
def gates_page(request: Request, project: Project, who: Viewer, cursor: Text = None, verdict: Text = None,
               branch: Text = None, range: Text = None) -> Response:
    from argus.app.dashboard import DashFilter, GateHistoryRequest, gate_history, quality_trends

    p = open_page(request, project, who, branch=branch, range_=range)
    v = verdict if verdict in ("pass", "warn", "fail") else None
    page = call(gate_history, p.rt, GateHistoryRequest(project, PAGE_SIZE, cursor, verdict=v))
    trends = call(quality_trends, p.rt, DashFilter(project, p.branch, p.since))

    def trend_chart(points: Any, name: str, unit: str, colour: str) -> Markup:
        return charts.line_chart(
            [_dt(t.at, "%m-%d") for t in points],
            [charts.Series(name, [t.value for t in points], colour),
             charts.Series("baseline (rolling median)", [t.baseline for t in points], charts.GREY, dashed=True)],
            unit=unit, label=f"{name} per build with its baseline",
            titles=[f"{(t.commit_sha or '?')[:10]} on {t.branch or '?'}" for t in points])

    coverage = trend_chart(trends.coverage, "line coverage", "%", charts.GREEN)
    vulns = trend_chart(trends.vulnerabilities, "critical+high vulnerabilities", "", charts.VERMILLION)
    return render(request, "gates.html", p=p, nav="gates", items=page.items, next_cursor=page.next_cursor,
                  cursor=cursor, verdict=v, coverage=coverage, vulns=vulns, trends=trends)


@router.get("/p/{project}/review", response_class=HTMLResponse)
def review_page(request: Request, project: Project, who: Viewer, cursor: Text = None, kind: Text = None,
                show: Text = None) -> Response:
    from argus.app.dashboard import ReviewRequest, calibration_by_kind, review_queue

    p = open_page(request, project, who)
    page = call(review_queue, p.rt, ReviewRequest(project, PAGE_SIZE, cursor, kind=kind or None,
                                                  pending_only=show != "all"))
    cals = call(calibration_by_kind, p.rt, project)
    diagrams = [(c, charts.reliability([charts.Bin(b.lower, b.upper, b.count, b.mean_confidence, b.accuracy)
                                        for b in c.report.bins], label=f"reliability of {c.kind}")) for c in cals]
    return render(request, "review.html", p=p, nav="review", items=page.items, next_cursor=page.next_cursor,
                  cursor=cursor, kind=kind, show=show, diagrams=diagrams, message=request.query_params.get("done"))


@router.post("/p/{project}/review/{insight_id}")
async def review_feedback(request: Request, project: Project, insight_id: Id, who: Maintainer) -> Response:
    """Accept, reject or correct an insight (maintainer, as ``POST /api/v1/insights/{id}/feedback``)."""
    from argus.app.insights import FeedbackRequest, record_feedback
    from argus.core.enums import FeedbackVerdict

    p = open_page(request, project, who, Role.MAINTAINER, filters=False)
    form = await request.form()
    check_csrf(request, form)
    try:
        verdict = FeedbackVerdict(str(form.get("verdict")))
    except ValueError:
        raise WebError(422, "verdict: use accepted, rejected or corrected") from None
    note = form.get("note")
    text = note.strip()[:10_000] if isinstance(note, str) and note.strip() and "\x00" not in note else None
    if verdict is FeedbackVerdict.CORRECTED and not text:
        raise WebError(422, "a correction needs a note saying what is right")
    await run_in_threadpool(call, record_feedback, p.rt,
                            FeedbackRequest(insight_id, verdict, who.actor, text, project))
    return RedirectResponse(f"/p/{project}/review?done={verdict.value}", status_code=303)


@router.get("/p/{project}/changes", response_class=HTMLResponse)
def changes_page(request: Request, project: Project, who: Viewer, cursor: Text = None, fixes: Text = None,
                 branch: Text = None, range: Text = None) -> Response:
    from argus.app.dashboard import change_risks
    from argus.app.pages import ChangesRequest, list_changes

    p = open_page(request, project, who, branch=branch, range_=range)
    page = call(list_changes, p.rt, ChangesRequest(project, PAGE_SIZE, cursor, p.since, fixes_only=fixes == "1"))
    risks = call(change_risks, p.rt, project, [c.sha for c in page.items])
    return render(request, "changes.html", p=p, nav="changes", items=page.items, next_cursor=page.next_cursor,
                  cursor=cursor, fixes=fixes == "1", risks=risks)


INCIDENT_ACTIONS = {"acknowledged": "Acknowledge", "resolved": "Resolve"}


@router.get("/p/{project}/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, project: Project, who: Viewer, cursor: Text = None, state: Text = None,
                   service: Text = None, priority: Text = None) -> Response:
    from argus.analysis.incidents.schemas import IncidentState
    from argus.app.dashboard import IncidentsRequest, incident_list

    p = open_page(request, project, who, filters=False)
    st = state if state in {s.value for s in IncidentState} else None
    pr = priority if priority in ("P0", "P1", "P2", "P3") else None
    page = call(incident_list, p.rt, IncidentsRequest(project, PAGE_SIZE, cursor, state=st, service=service or None,
                                                      priority=pr))
    return render(request, "incidents.html", p=p, nav="incidents", items=page.items, next_cursor=page.next_cursor,
                  cursor=cursor, state=st, service=service or None, priority=pr,
                  states=[s.value for s in IncidentState])


@router.get("/p/{project}/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, project: Project, incident_id: Id, who: Viewer) -> Response:
    from argus.analysis.incidents.schemas import TRANSITIONS, IncidentState
    from argus.app.incidents import show_incident

    p = open_page(request, project, who, filters=False)
    d = call(show_incident, p.rt, incident_id, project)
    legal = {t.value for t in TRANSITIONS.get(IncidentState(d.incident.state), frozenset())}
    actions = [(k, label) for k, label in INCIDENT_ACTIONS.items() if k in legal] \
        if d.incident.merged_into is None else []
    from argus.api.web.capabilities import incident_extras

    return render(request, "incident.html", p=p, nav="incidents", d=d, i=d.incident, actions=actions,
                  message=request.query_params.get("done"), **incident_extras(p, incident_id),
                  **_hypotheses(p, incident_id, project))


def _hypotheses(p: Page, incident_id: int, project: str) -> dict[str, Any]:
    """The latest investigation and the recorded cause, for ``_incident_hypotheses.html``."""
    from argus.app import investigation

    return {"inv": call(investigation.show, p.rt, incident_id, project),
            "accepted": call(investigation.accepted, p.rt, incident_id, project)}


@router.post("/p/{project}/incidents/{incident_id}/cause")
async def incident_cause(request: Request, project: Project, incident_id: Id, who: Maintainer) -> Response:
    """Accept a hypothesis as the incident's cause (maintainer; as ``argus incidents cause``)."""
    from argus.app.investigation import record_cause

    p = open_page(request, project, who, Role.MAINTAINER, filters=False)
    form = await request.form()
    check_csrf(request, form)
    hyp = form.get("hypothesis")
    if not isinstance(hyp, str) or not hyp.strip() or len(hyp) > 300 or "\x00" in hyp:
        raise WebError(422, "hypothesis: give a key of the latest investigation")
    await run_in_threadpool(call, record_cause, p.rt, incident_id, hyp.strip(), who.actor,
                            "accepted in the dashboard", project)
    return RedirectResponse(p.link(f"/incidents/{incident_id}", done="cause recorded"), status_code=303)


@router.post("/p/{project}/incidents/{incident_id}/transition")
async def incident_transition(request: Request, project: Project, incident_id: Id, who: Maintainer) -> Response:
    """Acknowledge or resolve an incident (maintainer, as ``argus incidents ack|resolve`` and the API)."""
    from argus.analysis.incidents.schemas import IncidentState
    from argus.app.incidents import TransitionRequest, transition

    p = open_page(request, project, who, Role.MAINTAINER, filters=False)
    form = await request.form()
    check_csrf(request, form)
    target = form.get("state")
    if target not in INCIDENT_ACTIONS:
        raise WebError(422, f"state {str(target)[:40]!r}: use {' or '.join(INCIDENT_ACTIONS)}")
    note = form.get("note")
    text = note.strip()[:2000] if isinstance(note, str) and note.strip() and "\x00" not in note else None
    await run_in_threadpool(call, transition, p.rt,
                            TransitionRequest(incident_id, IncidentState(str(target)), who.actor,
                                              text or "set in the dashboard", project))
    return RedirectResponse(p.link(f"/incidents/{incident_id}", done=str(target)), status_code=303)


@router.get("/p/{project}/events")
async def live_events(request: Request, project: Project, who: Viewer) -> Response:
    """New insights as Server-Sent Events for the page's live panel: the API's event stream
    (``GET /api/v1/projects/{project}/events``), authenticated by the session cookie."""
    from argus.api.routers.events import events

    try:
        return await events(request, project, who, last_event_id=request.headers.get("last-event-id"),
                            after=None, max_events=None)
    except ApiProblem as exc:
        raise WebError(exc.status, exc.detail) from exc


# --- errors and sign-in -----------------------------------------------------------------------------


def safe_next(value: object) -> str:
    """A same-site path to go to after signing in (anything else: ``/``)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and len(value) <= 2000 and not any(c in value for c in "\r\n\x00"):
        return value
    return "/"


def login_page(request: Request, status: int = 200, *, next_path: str = "/", error: str | None = None) -> Response:
    """The sign-in form with a fresh double-submit CSRF token (cookie + hidden field)."""
    import secrets

    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", status, csrf=token, next_path=safe_next(next_path), error=error)
    session.set_cookie(request, resp, session.LOGIN_CSRF_COOKIE, token, 3600)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Cookie realm="argus dashboard"'
    return resp


def install_handlers(app: Any) -> None:
    async def on_login_required(request: Request, exc: Exception) -> Response:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        resp = login_page(request, 401, next_path=path if request.method == "GET" else "/")
        if request.cookies.get(session.SESSION_COOKIE):  # a stale or revoked session: forget it
            session.clear_cookie(request, resp, session.SESSION_COOKIE)
        return resp

    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        sess = session.current(request)
        resp = render(request, "error.html", exc.status, code=exc.status, message=exc.message,
                      signed_in=sess.csrf if sess is not None else None)
        for k, v in exc.headers.items():
            resp.headers[k] = v
        return resp

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(WebError, on_web_error)
