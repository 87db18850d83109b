"""Request context: the database and the authenticated actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from labelwell.errors import Unauthorized
from labelwell.server.units import in_database_thread
from labelwell.server.web.session import (
    checked_session_token,
    cookie_actor,
    record_use,
    session_token,
    touch_due,
)
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.work.accounts import token_actor
from labelwell.work.actors import Actor

bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer lw_...`")


@dataclass(slots=True)
class Context:
    db: Database
    actor: Actor
    settings: Settings


def get_db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


async def _actor(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    if credentials is None or not credentials.credentials:
        if session_token(request) is None:
            raise Unauthorized("missing API token: send `Authorization: Bearer <token>`")
        return await _off_the_loop(request, cookie_actor, request)  # CSRF-checked session
    db: Database = request.app.state.db
    return await _off_the_loop(request, token_actor, db.engine, credentials.credentials)


async def _off_the_loop(request: Request, read: Callable[..., Actor], *args: Any) -> Actor:
    """The caller's token lookup. SQLite in WAL mode reads without waiting on a
    writer, so it runs inline; on PostgreSQL a pool checkout or a lock can wait,
    so it runs in a database thread and never stalls the event loop."""
    if request.app.state.db.dialect == "sqlite":
        return read(*args)
    return await in_database_thread(read, *args)


async def _record_use(request: Request, token: str) -> None:
    """Record the token's use when due (at most once a minute per token and
    process, see :class:`~labelwell.server.web.session.TokenTouches`)."""
    if touch_due(request, token):
        state = request.app.state
        await anyio.to_thread.run_sync(record_use, state.db, state.settings, token)


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    return session_token(request)


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    actor = await _actor(request, credentials)
    await _record_use(request, _token(request, credentials) or "")
    return actor


async def context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Context:
    # One level of dependencies (it runs on every request), async: no thread hop.
    state = request.app.state
    actor = await _actor(request, credentials)
    await _record_use(request, _token(request, credentials) or "")
    return Context(db=state.db, actor=actor, settings=state.settings)


Ctx = Annotated[Context, Depends(context)]


@dataclass(slots=True)
class Caller:
    """The caller's credential, not yet resolved: routes that open a unit of
    work anyway resolve it there (:func:`labelwell.work.accounts.resolve_token`),
    saving a connection checkout per request."""

    db: Database
    token: str


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is not None and credentials.credentials:
        token = credentials.credentials
    elif session_token(request) is not None:
        token = checked_session_token(request)  # the web app's session; CSRF-checked
    else:
        raise Unauthorized("missing API token: send `Authorization: Bearer <token>`")
    await _record_use(request, token)
    return Caller(db=request.app.state.db, token=token)


CallerDep = Annotated[Caller, Depends(caller)]
