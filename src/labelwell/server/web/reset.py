"""The page a one-time password link opens: the user sets a new password
(``labelwell user reset-link``, ``labelwell user create`` without a password,
``POST /api/v1/users/{id}/reset-link``)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from labelwell.errors import InvalidInput, NotFound
from labelwell.server.web.i18n import LANGUAGES, translator
from labelwell.server.web.pages import render
from labelwell.server.web.session import LANG_COOKIE
from labelwell.store.db import Database
from labelwell.work import password_resets

router = APIRouter(include_in_schema=False)

#: which message explains a refused password (the policy's ``rule``)
_RULES = {
    "short": "reset.short",
    "long": "reset.short",
    "common": "reset.common",
    "email": "reset.email",
}


def _lang(request: Request, locale: str | None) -> str:
    chosen = request.cookies.get(LANG_COOKIE) or locale or "en"
    return chosen if chosen in LANGUAGES else "en"


def _page(
    request: Request, locale: str | None, *, status: int = 200, **context: object
) -> Response:
    lang = _lang(request, locale)
    response = render(
        request, "reset.html", None, status=status, t=translator(lang), lang=lang, **context
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is a secret
    return response


@router.get("/reset/{secret}")
def reset_page(request: Request, secret: str) -> Response:
    db: Database = request.app.state.db
    try:
        with db.read_session() as s:
            user = password_resets.reset_owner(s, secret)
            email, locale = user.email, user.locale
    except NotFound:
        return _page(request, None, status=404, invalid=True)
    return _page(request, locale, email=email)


@router.post("/reset/{secret}")
def reset_submit(
    request: Request,
    secret: str,
    password: str = Form(..., max_length=1000),
    confirm: str = Form(..., max_length=1000),
) -> Response:
    db: Database = request.app.state.db
    try:
        with db.read_session() as s:
            owner = password_resets.reset_owner(s, secret)
            email, locale = owner.email, owner.locale
    except NotFound:
        return _page(request, None, status=404, invalid=True)
    t = translator(_lang(request, locale))
    if password != confirm:
        return _page(request, locale, status=422, email=email, error=t("reset.mismatch"))
    try:
        with db.session() as s:
            password_resets.use_reset(s, secret, password)
    except NotFound:
        return _page(request, None, status=404, invalid=True)
    except InvalidInput as exc:
        message = t(_RULES.get(str(exc.details.get("rule")), "reset.short"))
        return _page(request, locale, status=422, email=email, error=message)
    return _page(request, locale, done=True)
