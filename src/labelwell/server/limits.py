"""Bounded request bodies.

Every request body is held to the JSON cap (``Settings.max_body_bytes``),
whatever its content type. Only a route that takes files (a ``File``/
``UploadFile`` parameter, so a ``multipart/form-data`` body in the app's
OpenAPI schema) gets the upload cap (``Settings.max_upload_bytes``),
and only once its caller's token checks out, so an anonymous request cannot make
the server read a large body. Uploads are parsed by Starlette into temporary
files on disk (1 MB at most in memory per file). A body over its cap, with or
without a ``Content-Length`` (chunked), is answered 413 with the usual JSON
error, as soon as the cap is crossed.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import HTTPConnection
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelwell.errors import Unauthorized
from labelwell.server.errors import error_body
from labelwell.server.web.session import SESSION_COOKIE
from labelwell.store.db import Database
from labelwell.work.accounts import token_actor


def upload_routes(app: Any) -> list[tuple[str, re.Pattern[str]]]:
    """``(method, path pattern)`` of the routes that take files: those whose
    request body is ``multipart/form-data`` (a ``File``/``UploadFile`` parameter)."""
    routes = []
    for path, operations in app.openapi().get("paths", {}).items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "multipart/form-data" in content:
                routes.append((method.upper(), compile_path(path)[0]))
    return routes


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit
        self._upload_routes: list[tuple[str, re.Pattern[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = await self._limit(scope)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        started = answered = False

        async def bounded() -> Message:
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started and not answered:
                        answered = True
                        await _too_large(send, limit)
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            # once the 413 is sent, whatever the app makes of the cut body is dropped
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded, guarded)
        except Exception:
            if not answered:
                raise

    async def _limit(self, scope: Scope) -> int:
        if self._upload_routes is None:
            self._upload_routes = upload_routes(scope["app"])
        method, path = scope["method"], scope["path"]
        if not any(m == method and p.match(path) for m, p in self._upload_routes):
            return self.json_limit
        if await anyio.to_thread.run_sync(_authenticated, scope):
            return self.upload_limit
        return self.json_limit


def _authenticated(scope: Scope) -> bool:
    """Whether the request carries a live token (Bearer header or session cookie)."""
    connection = HTTPConnection(scope)
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        token = connection.cookies.get(SESSION_COOKIE, "")
    if not token:
        return False
    db: Database = connection.app.state.db
    try:
        token_actor(db.engine, token.strip())
    except Unauthorized:
        return False
    return True


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = orjson.dumps(error_body("too_large", f"request body larger than {limit} bytes"))
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
