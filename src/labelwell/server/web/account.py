"""The logged-in user's own account: changing their password from the form on
the projects page (:func:`labelwell.server.login.change_own_password`, the same
rules as ``PUT /api/v1/users/me/password``). The form posts here; the answer is
a redirect back to the projects page naming the outcome, which the page shows
(:func:`password_notice`)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from labelwell.errors import Busy, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from labelwell.server.login import change_own_password
from labelwell.server.web.session import checked_session_token

router = APIRouter(include_in_schema=False)

#: an outcome of the form: its message and whether it is good news
OUTCOMES: dict[str, tuple[str, bool]] = {
    "changed": ("account.changed", True),
    "wrong": ("account.wrong", False),
    "mismatch": ("reset.mismatch", False),
    "short": ("reset.short", False),
    "long": ("reset.short", False),
    "common": ("reset.common", False),
    "email": ("reset.email", False),
    "throttled": ("account.throttled", False),
    "busy": ("login.busy", False),
    "stale": ("account.stale", False),
}


def password_notice(outcome: str | None) -> tuple[str, bool] | None:
    """The message key (and whether it is good news) the projects page shows."""
    return OUTCOMES.get(outcome or "")


def _back(outcome: str) -> Response:
    return RedirectResponse(f"/projects?password={outcome}#account", status_code=303)


@router.post("/account/password")
async def change_password(
    request: Request,
    current_password: str = Form(..., max_length=1000),
    password: str = Form(..., max_length=1000),
    confirm: str = Form(..., max_length=1000),
    csrf: str = Form(""),
) -> Response:
    try:
        token = checked_session_token(request, csrf=csrf)
    except Unauthorized:
        return RedirectResponse("/login?next=/projects", status_code=303)
    except Forbidden:
        return _back("stale")
    if password != confirm:
        return _back("mismatch")
    try:
        await change_own_password(request, token, current_password, password)
    except Unauthorized:
        return RedirectResponse("/login?next=/projects", status_code=303)
    except TooManyRequests:
        return _back("throttled")
    except Busy:
        return _back("busy")
    except InvalidInput as exc:
        rule = str(exc.details.get("rule"))
        return _back(rule if rule in OUTCOMES else "short")
    return _back("changed")
