"""Browser sessions: an HttpOnly cookie holding a session token, and CSRF tokens.

A web session is a token of kind ``session`` (named ``web session``): stored
server-side (hashed), revoked on logout, checked exactly like Bearer tokens, and
ended by the server after ``Settings.session_max_age_s`` or once unused for
``Settings.session_idle_s``. Use is recorded at most once a minute per token
and process (:class:`TokenTouches`), so busy pages do not write per request. The CSRF
token is derived from the session secret (``sha256("csrf:" + token)``): a page
on another origin can neither read the cookie nor compute it, so a
state-changing request must carry it in the ``X-CSRF-Token`` header (JS) or a
``csrf`` form field (HTML forms).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import Response

from labelwell.errors import Busy, Forbidden, Unauthorized
from labelwell.settings import Settings
from labelwell.store.db import Database, WriterBusy
from labelwell.work.accounts import SessionPolicy, token_actor, touch_token
from labelwell.work.actors import Actor

SESSION_COOKIE = "lw_session"
LOGIN_COOKIE = "lw_login"
LANG_COOKIE = "lw_lang"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: a token's use is written at most this often (per process)
TOUCH_EVERY_S = 60.0


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(settings.session_max_age_s, settings.session_idle_s)


class TokenTouches:
    """When this process last recorded each token's use (a bounded memory)."""

    def __init__(self, every_s: float = TOUCH_EVERY_S, *, max_keys: int = 100_000) -> None:
        self.every_s = every_s
        self.max_keys = max_keys
        self._last: OrderedDict[str, float] = OrderedDict()

    def due(self, token: str, now: float) -> bool:
        """Whether to record a use now (and, if so, remember that it was)."""
        last = self._last.get(token)
        if last is not None and now - last < self.every_s:
            return False
        self._last.pop(token, None)
        self._last[token] = now
        while len(self._last) > self.max_keys:
            self._last.popitem(last=False)
        return True


def touches_of(request: Request) -> TokenTouches:
    state = request.app.state
    touches: TokenTouches | None = getattr(state, "token_touches", None)
    if touches is None:
        touches = state.token_touches = TokenTouches()
    return touches


def touch_due(request: Request, token: str) -> bool:
    return touches_of(request).due(token, time.monotonic())


def record_use(db: Database, settings: Settings, token: str) -> None:
    """Record a use of ``token`` (a live session's end moves forward). Skipped
    when the SQLite writer is busy: the next due request records it."""
    try:
        with db.session(wait=False) as s:
            touch_token(s, token, session_policy(settings))
    except (WriterBusy, Busy):
        pass


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
    """The logged-in actor for a page (GET), or None. Pages run on a thread,
    so a due use is recorded here (the API records its own in ``deps``)."""
    try:
        actor = cookie_actor(request)
    except (Unauthorized, Forbidden):
        return None
    token = session_token(request)
    if token is not None and touch_due(request, token):
        record_use(request.app.state.db, request.app.state.settings, token)
    return actor


def _cookie_flags(request: Request) -> dict[str, object]:
    settings: Settings = request.app.state.settings
    return {"httponly": True, "samesite": "lax", "secure": settings.secure_cookies, "path": "/"}


def set_session(response: Response, request: Request, token: str) -> None:
    max_age = request.app.state.settings.session_max_age_s
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, **_cookie_flags(request))  # type: ignore[arg-type]


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
