"""Server-rendered pages. Handlers are thin: they load what a page shows
through the same services as the API and hand it to a template; the pages'
scripts then call /api/v1 with the session cookie and the CSRF header."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from labelwell.errors import (
    Busy,
    Conflict,
    Forbidden,
    InvalidInput,
    LabelwellError,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from labelwell.formats.registry import IMPORTERS, fitting_exporters
from labelwell.schema import CONTROL_TYPES
from labelwell.schema.templates import SAMPLE_DATA, SAMPLE_IMAGE, TEMPLATES
from labelwell.server.errors import status_of
from labelwell.server.login import log_in
from labelwell.server.pagination import decode_position
from labelwell.server.views import review_page as review_view
from labelwell.server.web import charts
from labelwell.server.web.account import password_notice
from labelwell.server.web.i18n import LANGUAGES, catalogue_for, translator
from labelwell.server.web.session import (
    LANG_COOKIE,
    LOGIN_COOKIE,
    clear_session,
    cookie_actor,
    csrf_for,
    login_csrf,
    optional_actor,
    session_token,
    set_lang,
    set_login_csrf,
    set_session,
)
from labelwell.work import accounts, project_settings, projects, stats, webhooks
from labelwell.work.actors import Actor
from labelwell.work.consensus import adjudicator
from labelwell.work.guidelines import render_markdown
from labelwell.work.policies import (
    GlobalPermission,
    Permission,
    allowed,
    audience,
    authorize,
    authorize_global,
    may,
    project_role,
)
from labelwell.work.review_queue import review_queue

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
#: ``{{ text|markdown }}``: guidelines as sanitised HTML (labelwell.work.guidelines)
templates.env.filters["markdown"] = render_markdown

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _lang(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "en")
    return lang if lang in LANGUAGES else "en"


def render(
    request: Request, name: str, actor: Actor | None, *, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = _lang(request)
    token = session_token(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "actor": actor,
            "csrf": csrf_for(token) if token and actor else "",
            **context,
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(request: Request, build: Callable[[Actor], Response]) -> Response:
    """Run a page for the logged-in actor: to the login page if there is none,
    an error page with the API's status for a refusal or bad input."""
    actor = optional_actor(request)
    if actor is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    try:
        return build(actor)
    except (NotFound, Forbidden, InvalidInput, Conflict) as exc:
        return render(request, "error.html", actor, status=status_of(exc), message=exc.message)


@router.get("/")
def home(request: Request) -> Response:
    target = "/projects" if optional_actor(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "/projects") -> Response:
    if optional_actor(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = login_csrf(request)
    response = render(request, "login.html", None, form_csrf=token, next=_safe_next(next))
    set_login_csrf(response, request, token)
    return response


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/projects"


@router.post("/login")
async def login(
    request: Request,
    email: str = Form(..., max_length=320),
    password: str = Form(..., max_length=1000),
    csrf: str = Form(""),
    next: str = Form("/projects"),
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or csrf != expected:
        return render(
            request,
            "error.html",
            None,
            status=403,
            message="missing or wrong CSRF token: reload the login page",
        )
    try:
        issued, user = await log_in(request, email, password, name="web session")
        locale = user.locale
    except (Unauthorized, TooManyRequests, Busy) as exc:
        t = translator(_lang(request))
        token = login_csrf(request)
        status, error = 401, t("login.failed")
        if isinstance(exc, TooManyRequests):
            status, error = 429, t("login.throttled").format(seconds=exc.retry_after)
        elif isinstance(exc, Busy):
            status, error = 503, t("login.busy")
        response = render(
            request,
            "login.html",
            None,
            status=status,
            next=_safe_next(next),
            error=error,
            email=email,
            form_csrf=token,
        )
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        set_login_csrf(response, request, token)
        return response
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    set_session(redirect, request, issued.token)
    if LANG_COOKIE not in request.cookies and locale in LANGUAGES:
        set_lang(redirect, request, locale)
    redirect.delete_cookie(LOGIN_COOKIE, path="/")
    return redirect


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    try:
        actor = cookie_actor(request, csrf=csrf)
    except Forbidden as exc:
        return render(request, "error.html", None, status=403, message=exc.message)
    except Unauthorized:
        return RedirectResponse("/login", status_code=303)
    with request.app.state.db.session() as s:
        accounts.end_session(s, actor, session_token(request) or "")
    response = RedirectResponse("/login", status_code=303)
    clear_session(response, request)
    return response


@router.post("/lang")
def switch_language(request: Request, lang: str = Form(...), csrf: str = Form("")) -> Response:
    try:
        cookie_actor(request, csrf=csrf)
    except LabelwellError as exc:
        return render(request, "error.html", None, status=403, message=exc.message)
    response = RedirectResponse(request.headers.get("referer") or "/projects", status_code=303)
    if lang in LANGUAGES:
        set_lang(response, request, lang)
    return response


@router.get("/projects")
def project_list(request: Request, password: str | None = None, archived: bool = False) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            rows = []
            for p in projects.list_projects(s, actor, archived=archived):
                role = project_role(s, actor, p.id)
                rows.append(
                    {
                        "id": p.id,
                        "name": p.name,
                        "description": p.description,
                        "role": role,
                        "types": sorted({c["type"] for c in p.ontology.get("controls", [])}),
                        "can_review": allowed(role, Permission.review, p),
                        "can_escalate": allowed(role, adjudicator("escalated"), p),
                        "can_manage": allowed(role, Permission.manage, p),
                    }
                )
        return render(
            request,
            "projects.html",
            actor,
            projects=rows,
            archived=archived,
            can_create=may(actor, GlobalPermission.create_projects),
            password_notice=password_notice(password),
        )

    return _page(request, build)


@router.get("/projects/new")
def new_project(request: Request) -> Response:
    def build(actor: Actor) -> Response:
        authorize_global(actor, GlobalPermission.create_projects)
        boot = {
            "types": sorted(CONTROL_TYPES),
            "templates": [
                {"key": t.key, "ontology": t.ontology, "data": t.sample()} for t in TEMPLATES
            ],
            "sample": SAMPLE_DATA,
            "sample_image": SAMPLE_IMAGE,
            "i18n": catalogue_for(_lang(request), ("new.", "work.")),
        }
        return render(request, "new_project.html", actor, boot=boot)

    return _page(request, build)


@router.get("/projects/{project_id}/label")
def label_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.annotate)
            projects.check_active(project)
            guideline = projects.current_guideline(s, project_id)
            boot = {
                "project": {"id": project.id, "name": project.name, "ontology": project.ontology},
                "guideline": {
                    "version": guideline.version if guideline else None,
                    "text": guideline.text if guideline else "",
                },
                "i18n": catalogue_for(
                    _lang(request), ("work.", "help.", "review.", "rvw.", "guide.")
                ),
            }
        return render(request, "label.html", actor, project=project, boot=boot)

    return _page(request, build)


#: the review queues a reviewer picks from on the review page (escalations have their own)
REVIEW_STATES = ("submitted", "review", "resolved")
#: items on one page of the review queue; the page's script asks the API for more
REVIEW_PAGE = 100


@router.get("/projects/{project_id}/review")
def review_page(
    request: Request, project_id: int, state: str = "submitted", cursor: str | None = None
) -> Response:
    """A review queue (``state``) opened item by item in the workspace's tools:
    a page of ``GET /review-queue`` rendered in, the next ones asked by its script."""

    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.review)
            shown = state if state in REVIEW_STATES else "submitted"
            at = decode_position(cursor)
            found = review_queue(s, actor, project_id, shown, position=at, limit=REVIEW_PAGE)
            seen = audience(s, actor, project_id)
            can_adjudicate = allowed(seen.role, adjudicator("escalated"), project)
            boot = {
                "project": {"id": project.id, "name": project.name, "ontology": project.ontology},
                "state": shown,
                "queue": review_view(found, seen).model_dump(mode="json"),
                "limit": REVIEW_PAGE,
                "i18n": catalogue_for(_lang(request), ("work.", "review.", "rvw.")),
            }
        return render(
            request,
            "review.html",
            actor,
            project=project,
            boot=boot,
            can_adjudicate=can_adjudicate,
            states=REVIEW_STATES,
            state=shown,
        )

    return _page(request, build)


@router.get("/projects/{project_id}/escalations")
def escalations_page(request: Request, project_id: int) -> Response:
    """The expert's inbox of escalated items; only those who may adjudicate an
    escalation (:func:`~labelwell.work.consensus.adjudicator`) get it."""

    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, adjudicator("escalated"))
            boot = {
                "project": {"id": project.id, "name": project.name, "ontology": project.ontology},
                "i18n": catalogue_for(_lang(request), ("work.", "review.", "esc.")),
            }
        return render(request, "escalations.html", actor, project=project, boot=boot)

    return _page(request, build)


@router.get("/projects/{project_id}/manage")
def manage_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        t = translator(_lang(request))
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.manage)
            st = stats.project_stats(s, actor, project_id)
            guideline = projects.current_guideline(s, project_id)
            members = [
                {"user_id": u.id, "email": u.email, "role": m.role}
                for m, u in projects.list_members(s, actor, project_id)
            ]
            users = (
                [{"id": u.id, "email": u.email} for u in accounts.list_users(s, actor)]
                if may(actor, GlobalPermission.list_users)
                else []
            )
            timeline = stats.annotation_timeline(s, actor, project_id)
        titled: list[tuple[str, list[tuple[str, float]]]] = [
            (t("manage.items_by_status"), sorted(st.by_status.items())),
            (t("manage.throughput"), [(a.email, a.submitted) for a in st.annotators]),
            (t("manage.time"), [(a.email, (a.median_time_ms or 0) / 1000) for a in st.annotators]),
        ]
        dashboard = [(title, charts.bar_chart(title, bars)) for title, bars in titled]
        dashboard.append(
            (t("manage.progress"), charts.cumulative_chart(t("manage.progress"), timeline))
        )
        boot = {
            "project": {"id": project.id, "name": project.name},
            "settings": project_settings.settings_of(project).model_dump(mode="json"),
            "i18n": catalogue_for(_lang(request), ("imp.",)),
        }
        return render(
            request,
            "manage.html",
            actor,
            project=project,
            stats=st,
            guideline=guideline,
            members=members,
            users=users,
            exporters=[
                f for f, (ok, _) in fitting_exporters(projects.ontology_of(project)).items() if ok
            ],
            importers=sorted(IMPORTERS),
            dashboard=dashboard,
            can_manage_accounts=may(actor, GlobalPermission.manage_accounts),
            webhook_events=list(webhooks.EVENTS),
            boot=boot,
        )

    return _page(request, build)
