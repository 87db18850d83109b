"""Request context: the database and the authenticated actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from labelwell.errors import Unauthorized
from labelwell.server.web.session import cookie_actor, session_token
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.work.accounts import resolve_token
from labelwell.work.actors import Actor

bearer = HTTPBearer(auto_error=False, description="API token: `Authorization: Bearer lw_...`")


@dataclass(slots=True)
class Context:
    db: Database
    actor: Actor
    settings: Settings


def get_db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials:
        if session_token(request) is not None:
            return cookie_actor(request)  # the web app's session; CSRF-checked
        raise Unauthorized("missing API token: send `Authorization: Bearer <token>`")
    db: Database = request.app.state.db
    with db.read_session() as session:
        return resolve_token(session, credentials.credentials)


async def context(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Context:
    # async: it only assembles values, so it needs no hop to the thread pool.
    return Context(db=request.app.state.db, actor=actor, settings=request.app.state.settings)


Ctx = Annotated[Context, Depends(context)]
