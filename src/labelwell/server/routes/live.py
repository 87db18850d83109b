"""Live updates: a project's event stream (server-sent events) and presence.

The stream holds no database connection while it waits: it authorizes and
records presence in a short unit of work, then waits on the process's event
hub (:class:`~labelwell.work.events.hub.Hub`). Every heartbeat it checks that
its session or token is still live and ends the stream when it is not (logout,
expiry, revocation). No other route streams this long; the server gives
streams :data:`~labelwell.server.workers.GRACEFUL_SHUTDOWN_S` to end when it stops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from labelwell.errors import Unauthorized
from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public, Strict
from labelwell.server.units import in_database_thread
from labelwell.server.web.session import session_token
from labelwell.store.db import Database
from labelwell.store.raw import dumps
from labelwell.work import events, presence
from labelwell.work.accounts import token_actor
from labelwell.work.actors import Actor
from labelwell.work.events import Event, Viewer
from labelwell.work.events.hub import Hub, Subscription

router = APIRouter(tags=["live"])

#: a stream ends after an hour at most (requests are bounded in time; the
#: browser's EventSource reconnects at once and resumes after its last event)
MAX_STREAM_S = 3600.0

Page = Literal["workspace", "review", "dashboard", "data"]


class PresentPublic(Public):
    user_id: int
    name: str
    email: str
    page: str
    seen_at: datetime


class PresencePublic(Public):
    data: list[PresentPublic]
    count: int | None


class HeartbeatIn(Strict):
    page: Page = "workspace"


def _public(view: presence.PresenceView) -> PresencePublic:
    return PresencePublic(
        data=[
            PresentPublic(
                user_id=p.user_id, name=p.name, email=p.email, page=p.page, seen_at=p.seen_at
            )
            for p in view.people
        ],
        count=view.count,
    )


@router.get("/projects/{project_id}/presence", response_model=PresencePublic)
def who_is_here(project_id: PathId, ctx: Ctx) -> PresencePublic:
    """Who worked in the project in the last minute (managers: names and pages;
    others: a count, or nothing for annotators in a blind project)."""
    with ctx.db.read_session() as s:
        return _public(presence.present(s, ctx.actor, project_id))


@router.post("/projects/{project_id}/presence", response_model=PresencePublic)
def heartbeat(project_id: PathId, body: HeartbeatIn, ctx: Ctx) -> PresencePublic:
    """Say that the caller has a page of the project open (every 20 s)."""
    with ctx.db.session() as s:
        return _public(presence.beat(s, ctx.actor, project_id, body.page))


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.events
    return hub


def _open(db: Database, actor: Actor, project_id: int, page: str) -> Viewer:
    with db.session() as s:
        seen = presence.viewer(s, actor, project_id)
        presence.beat(s, actor, project_id, page)
        return seen


def _beat(db: Database, actor: Actor, project_id: int, page: str) -> None:
    with db.session() as s:
        presence.beat(s, actor, project_id, page)


def _frame(event_id: str | None, kind: str, payload: object) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {kind}\ndata: {dumps(payload)}\n\n"


@router.get(
    "/projects/{project_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def live_events(
    project_id: PathId,
    request: Request,
    ctx: Ctx,
    page: Page = Query("dashboard", description="The page that listens (for presence)."),
    for_s: float = Query(
        MAX_STREAM_S,
        gt=0,
        le=MAX_STREAM_S,
        description="End the stream after this many seconds (a browser reconnects "
        "and resumes after its last event).",
    ),
    last_event_id: str | None = Header(None, max_length=64),
) -> StreamingResponse:
    """What changes in the project, as it commits (``text/event-stream``):
    ``annotation.submitted``, ``annotation.reviewed``, ``items.changed``,
    ``import.published``, ``job.finished`` and ``presence``, each with ids and
    counts for the page to refetch through the usual routes; annotators receive
    counts only. A ``reset`` event asks the page to refetch everything (events
    were missed); ``end`` says the stream ends (the session ended). Reconnects
    resume after ``Last-Event-ID`` where the server still knows it. A stream
    ends after ``for_s`` seconds (an hour at most)."""
    viewer = await in_database_thread(_open, ctx.db, ctx.actor, project_id, page)
    hub = hub_of(request)
    subscription = await hub.subscribe(project_id, ctx.actor.id)
    try:
        backlog = await hub.backlog(project_id, last_event_id) if last_event_id else []
    except BaseException:
        hub.unsubscribe(subscription)
        raise
    token = _token(request)
    stream = _stream(ctx, hub, subscription, viewer, backlog, token, page, for_s)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _token(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return session_token(request) or ""


async def _stream(
    ctx: Ctx,
    hub: Hub,
    subscription: Subscription,
    viewer: Viewer,
    backlog: list[Event] | None,
    token: str,
    page: str,
    for_s: float,
) -> AsyncIterator[str]:
    heartbeat_s = ctx.settings.live_heartbeat_s
    ends_at = time.monotonic() + for_s
    try:
        yield "retry: 3000\n\n"
        if backlog is None:
            yield _frame(None, "reset", {})
        for event in backlog or ():
            payload = events.visible(event, viewer)
            if payload is not None:
                yield _frame(event.id, event.kind, payload)
        # the stream subscribed before it read the backlog: an event may be in both
        resumed = {event.id for event in backlog or ()}
        beat_at = time.monotonic()
        while (left := ends_at - time.monotonic()) > 0:
            try:
                event = await asyncio.wait_for(subscription.queue.get(), min(heartbeat_s, left))
            except TimeoutError:
                if time.monotonic() >= ends_at:
                    return
                if not await _live(ctx.db, token):
                    yield _frame(None, "end", {"reason": "session"})
                    return
                if time.monotonic() - beat_at >= presence.HEARTBEAT_S:
                    beat_at = time.monotonic()
                    await in_database_thread(
                        _beat, ctx.db, ctx.actor, subscription.project_id, page
                    )
                yield ": heartbeat\n\n"
                continue
            if subscription.overflowed:  # this stream fell behind: start afresh
                while not subscription.queue.empty():
                    subscription.queue.get_nowait()
                subscription.overflowed = False
                yield _frame(None, "reset", {})
                continue
            if event.id in resumed:  # sent from the backlog already
                continue
            payload = events.visible(event, viewer)
            if payload is not None:
                yield _frame(event.id, event.kind, payload)
    finally:
        hub.unsubscribe(subscription)


async def _live(db: Database, token: str) -> bool:
    try:
        await in_database_thread(token_actor, db.engine, token)
    except Unauthorized:
        return False
    return True
