"""The annotator's loop, dispatched without the framework's per-request machinery.

Next task and submit are nearly every request a labeling server gets. Profiled
under load (``benchmarks/bench_submit.py``, docs/benchmarks.md), FastAPI's
dispatch of them (route matching, solving the dependencies, two exit stacks,
the exception middleware's wrapper) took more of a server process's CPU than
the queue's own work. This ASGI middleware answers those two routes itself,
through the same code the FastAPI routes run:

* the same checks, in FastAPI's order: the app's :func:`refuse_unstorable`,
  then the caller (:func:`labelwell.server.deps.caller`: a bearer token, or the
  session cookie with its CSRF token);
* the same route functions (:mod:`labelwell.server.routes.tasks`), called with
  the path's id and the body parsed as FastAPI parses it;
* the app's own exception handlers for whatever they raise, as Starlette's
  ``ExceptionMiddleware`` would.

Whatever the lane does not answer itself goes on to the FastAPI routes, which
stay the documented and general path: a path id out of range, a body that is
not JSON or does not validate (the 422 is FastAPI's), a ``root_path``. Those
checks come before anything is written, so handing over is always safe; the
body already read is handed over with the request.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelwell.server.deps import bearer, caller
from labelwell.server.request_checks import refuse_unstorable
from labelwell.server.routes import tasks
from labelwell.server.schemas import MAX_ID, SubmitRequest


def _path(prefix: str, route: str) -> re.Pattern[str]:
    """The route's path under ``prefix``, its one ``{id}`` a run of digits."""
    head, _, rest = route.partition("{")
    tail = rest.partition("}")[2]
    return re.compile(re.escape(prefix + head) + "([0-9]{1,19})" + re.escape(tail))


class HotLane:
    """Answers ``POST {prefix}/projects/{id}/tasks/next`` and
    ``POST {prefix}/assignments/{id}/submit`` (the paths of
    :mod:`labelwell.server.routes.tasks`); passes every other request on."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self._next = _path(prefix, tasks.NEXT_PATH)
        self._submit = _path(prefix, tasks.SUBMIT_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        found = self._next.fullmatch(path) or self._submit.fullmatch(path)
        if found is None or not 1 <= int(found.group(1)) <= MAX_ID:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await _answer(request, found.re is self._next, int(found.group(1)))
        except Exception as exc:
            handler = _handler(scope["app"].exception_handlers, exc)
            if handler is None:
                raise  # a 500, from the server-error middleware outside
            handled = handler(request, exc)
            response = await handled if inspect.isawaitable(handled) else handled
        if response is None:  # FastAPI answers; it reads the body from here again
            await self.app(scope, _replay(await request.body(), receive), send)
            return
        await response(scope, receive, send)


async def _answer(request: Request, is_next: bool, id_: int) -> Response | None:
    """The route's response, or None where FastAPI should answer."""
    await refuse_unstorable(request)
    who = await caller(request, await bearer(request))
    if is_next:
        return await tasks.next_task(id_, who)
    body = await _submit_request(request)
    if body is None:
        return None
    return await tasks.submit(id_, body, who)


async def _submit_request(request: Request) -> SubmitRequest | None:
    """The body as FastAPI reads a JSON body parameter (``json.loads``, then
    the model), or None where it would not (its 422 is the one to send)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (kind == "application/json" or kind.endswith("+json")):
        return None
    try:
        return SubmitRequest.model_validate(json.loads(await request.body()))
    except (ValueError, ValidationError):  # JSONDecodeError is a ValueError
        return None


def _handler(
    handlers: dict[Any, Callable[..., Any]], exc: Exception
) -> Callable[[Request, Exception], Response | Awaitable[Response]] | None:
    """The app's handler for ``exc``, looked up by class as Starlette's
    ``ExceptionMiddleware`` does; ``Exception`` itself is left to the
    server-error middleware."""
    for kind in type(exc).__mro__:
        if kind is Exception:
            return None
        if kind in handlers:
            return handlers[kind]
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` with the body already read in front of it."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
