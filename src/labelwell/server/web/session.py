"""Browser sessions: an HttpOnly cookie holding an API token, and CSRF tokens.

A web session *is* an API token (named ``web session``), so sessions are stored
server-side, revoked on logout and checked exactly like Bearer tokens. The CSRF
token is derived from the session secret (``sha256("csrf:" + token)``): a page
on another origin can neither read the cookie nor compute it, so a
state-changing request must carry it in the ``X-CSRF-Token`` header (JS) or a
``csrf`` form field (HTML forms).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from labelwell.errors import Forbidden, Unauthorized
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.work.accounts import token_actor
from labelwell.work.actors import Actor

SESSION_COOKIE = "lw_session"
LOGIN_COOKIE = "lw_login"
LANG_COOKIE = "lw_lang"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_MAX_AGE_S = 12 * 3600


def csrf_for(session_token: str) -> str:
    return hashlib.sha256(b"labelwell-csrf:" + session_token.encode()).hexdigest()[:40]


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_for(session_token), sent or "")


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def checked_session_token(request: Request, *, csrf: str | None = None) -> str:
    """The session cookie's token, once the CSRF token of a state-changing
    request (header, or ``csrf`` given by a form handler) matches it."""
    token = session_token(request)
    if token is None:
        raise Unauthorized("not logged in")
    if request.method not in SAFE_METHODS and not csrf_matches(
        token, csrf if csrf is not None else request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")
    return token


def cookie_actor(request: Request, *, csrf: str | None = None) -> Actor:
    """The actor of the session cookie; for a state-changing method the CSRF
    token (header, or ``csrf`` given by a form handler) must match."""
    token = checked_session_token(request, csrf=csrf)
    db: Database = request.app.state.db
    return token_actor(db.engine, token)


def optional_actor(request: Request) -> Actor | None:
    """The logged-in actor for a page (GET), or None."""
    try:
        return cookie_actor(request)
    except (Unauthorized, Forbidden):
        return None


def _cookie_flags(request: Request) -> dict[str, object]:
    settings: Settings = request.app.state.settings
    return {"httponly": True, "samesite": "lax", "secure": settings.secure_cookies, "path": "/"}


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE_S, **_cookie_flags(request))  # type: ignore[arg-type]


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, **_cookie_flags(request))  # type: ignore[arg-type]


def login_csrf(request: Request) -> str:
    """Double-submit token for the login form (there is no session yet)."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response: Response, request: Request, value: str) -> None:
    response.set_cookie(LOGIN_COOKIE, value, max_age=3600, **_cookie_flags(request))  # type: ignore[arg-type]


def set_lang(response: Response, request: Request, lang: str) -> None:
    flags = _cookie_flags(request)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, **flags)  # type: ignore[arg-type]
