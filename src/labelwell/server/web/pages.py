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
    Forbidden,
    LabelwellError,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from labelwell.formats.registry import fitting_exporters
from labelwell.schema import CONTROL_TYPES
from labelwell.server.login import log_in
from labelwell.server.views import item_view
from labelwell.server.web import charts
from labelwell.server.web.account import password_notice
from labelwell.server.web.i18n import LANGUAGES, catalogue_for, translator
from labelwell.server.web.review import review_queue
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
from labelwell.work import accounts, items, labels, projects, stats
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, allowed, audience, authorize, project_role

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

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
    an error page for NotFound/Forbidden (same rules as the API)."""
    actor = optional_actor(request)
    if actor is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    try:
        return build(actor)
    except (NotFound, Forbidden) as exc:
        status = 404 if isinstance(exc, NotFound) else 403
        return render(request, "error.html", actor, status=status, message=exc.message)


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
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session(response, request, issued.token)
    if LANG_COOKIE not in request.cookies and locale in LANGUAGES:
        set_lang(response, request, locale)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    try:
        actor = cookie_actor(request, csrf=csrf)
    except Forbidden as exc:
        return render(request, "error.html", None, status=403, message=exc.message)
    except Unauthorized:
        return RedirectResponse("/login", status_code=303)
    token = session_token(request) or ""
    with request.app.state.db.session() as s:
        digest = accounts.hash_token(token)
        for row in accounts.list_tokens(s, actor):
            if row.token_hash == digest:
                accounts.revoke_token(s, actor, row.id)
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
def project_list(request: Request, password: str | None = None) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            rows = [
                {
                    "id": p.id,
                    "name": p.name,
                    "description": p.description,
                    "role": project_role(s, actor, p.id),
                    "types": sorted({c["type"] for c in p.ontology.get("controls", [])}),
                }
                for p in projects.list_projects(s, actor)
            ]
        can_create = actor.role in ("admin", "manager")
        return render(
            request,
            "projects.html",
            actor,
            projects=rows,
            can_create=can_create,
            password_notice=password_notice(password),
        )

    return _page(request, build)


@router.get("/projects/new")
def new_project(request: Request) -> Response:
    def build(actor: Actor) -> Response:
        if actor.role not in ("admin", "manager"):
            raise Forbidden("creating projects needs the admin or manager role")
        return render(request, "new_project.html", actor, boot={"types": sorted(CONTROL_TYPES)})

    return _page(request, build)


@router.get("/projects/{project_id}/label")
def label_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.annotate)
            guideline = projects.current_guideline(s, project_id)
            role = project_role(s, actor, project_id)
            boot = {
                "project": {"id": project.id, "name": project.name, "ontology": project.ontology},
                "guideline": {
                    "version": guideline.version if guideline else None,
                    "text": guideline.text if guideline else "",
                },
                "i18n": catalogue_for(_lang(request)),
            }
        return render(request, "label.html", actor, project=project, role=role, boot=boot)

    return _page(request, build)


@router.get("/projects/{project_id}/review")
def review_page(request: Request, project_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.review)
            role = project_role(s, actor, project_id)
            rows = []
            after = 0
            while len(rows) < 5000:
                page = labels.list_annotations(s, actor, project_id, after=after, limit=1000)
                rows.extend(page)
                if len(page) < 1000:
                    break
                after = page[-1].id
            seen = audience(s, actor, project_id)
            queue = review_queue(rows, show_gold=seen.sees_gold)[:200]
            for entry in queue:
                entry.data = item_view(items.get_item(s, actor, entry.item_id), seen).data
            boot = {
                "project": {"id": project.id, "name": project.name, "ontology": project.ontology},
                "queue": [
                    {
                        "item_id": e.item_id,
                        "data": e.data,
                        "disagree": e.disagree,
                        "annotations": e.annotations,
                    }
                    for e in queue
                ],
                "i18n": catalogue_for(_lang(request)),
            }
        can_adjudicate = allowed(role, Permission.manage, project)
        return render(
            request, "review.html", actor, project=project, boot=boot, can_adjudicate=can_adjudicate
        )

    return _page(request, build)


@router.get("/projects/{project_id}/escalations")
def escalations_page(request: Request, project_id: int) -> Response:
    """The expert's inbox of escalated items; only those who may adjudicate an
    escalation (``consensus.adjudicate``: the manage permission) get it."""

    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            project = authorize(s, actor, project_id, Permission.manage)
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
                [{"id": u.id, "email": u.email} for u in accounts.list_users(s)]
                if actor.role in ("admin", "manager")
                else []
            )
            times = []
            after = 0
            while len(times) < 20000:
                page = labels.list_annotations(s, actor, project_id, after=after, limit=1000)
                times.extend(a.created_at for a in page)
                if len(page) < 1000:
                    break
                after = page[-1].id
        titled = [
            (t("manage.items_by_status"), sorted(st.by_status.items())),
            (t("manage.throughput"), [(a.email, a.submitted) for a in st.annotators]),
            (t("manage.time"), [(a.email, (a.median_time_ms or 0) / 1000) for a in st.annotators]),
        ]
        dashboard = [(title, charts.bar_chart(title, bars)) for title, bars in titled]
        dashboard.append(
            (t("manage.progress"), charts.cumulative_chart(t("manage.progress"), times))
        )
        boot = {
            "project": {"id": project.id, "name": project.name},
            "settings": project.settings or {},
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
            dashboard=dashboard,
            boot=boot,
        )

    return _page(request, build)
