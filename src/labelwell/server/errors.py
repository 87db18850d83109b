"""Domain errors to HTTP, in one place. Every error body is
``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from labelwell.errors import (
    Busy,
    Conflict,
    Forbidden,
    InvalidInput,
    LabelwellError,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from labelwell.server.schemas import ErrorDetail, ErrorPublic
from labelwell.store.db import lost_connection

STATUS: list[tuple[type[LabelwellError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (Busy, 503),
    (TooManyRequests, 429),
]


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body of every error answer, in the shape of :class:`ErrorPublic`."""
    error = ErrorDetail(code=code, message=message, details=details or {})
    return ErrorPublic(error=error).model_dump()


#: every API operation documents its errors with this shape (FastAPI's own 422
#: schema, ``{"detail": [...]}``, is never sent)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorPublic, "description": "Refused: bad token, role, input or state"},
    503: {
        "model": ErrorPublic,
        "description": "The database is out of reach; retry after ``Retry-After`` seconds",
    },
}


def status_of(exc: LabelwellError) -> int:
    """The HTTP status of a domain error, for the API and the pages alike."""
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


#: seconds a client should wait before retrying after the database connection was lost
RETRY_AFTER_LOST_S = 1
_RETRIED = "labelwell.retried"


def _unavailable() -> JSONResponse:
    return JSONResponse(
        error_body(
            "database_unavailable",
            "the database connection was lost; retry the request in a moment",
        ),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_LOST_S)},
    )


async def _lost_connection(request: Request, exc: Exception) -> Response:
    """A lost database connection is a 503 with Retry-After; a GET (an idempotent
    read) runs once more first, on a fresh connection (the pool drops connections
    opened before the loss). Any other database error stays a 500."""
    if not lost_connection(exc):
        raise exc
    db = getattr(request.app.state, "db", None)
    if db is not None:
        db.drop_pooled_connections()
    route = request.scope.get("route")
    handler = getattr(route, "get_route_handler", None)
    if request.method == "GET" and handler is not None and not request.scope.get(_RETRIED):
        request.scope[_RETRIED] = True
        try:
            return await handler()(request)
        except Exception as again:
            if lost_connection(again):
                return _unavailable()
            for kind in type(again).__mro__:  # the handler the app has for it, as Starlette picks
                mapped = request.app.exception_handlers.get(kind)
                if mapped is not None and mapped is not _lost_connection:
                    return await mapped(request, again)  # type: ignore[no-any-return]
            raise
    return _unavailable()


def install(app: FastAPI) -> None:
    for kind in (sqlalchemy.exc.DBAPIError, sqlalchemy.exc.DisconnectionError):
        app.add_exception_handler(kind, _lost_connection)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    else:
        app.add_exception_handler(psycopg.Error, _lost_connection)

    @app.exception_handler(LabelwellError)
    async def _domain(_: Request, exc: LabelwellError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 503:
            headers = {"Retry-After": "1"}
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        field = _field_path(tuple(first.get("loc", ())))
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        details = {
            "field": field,
            "errors": [
                {"field": _field_path(tuple(e.get("loc", ()))), "message": e.get("msg")}
                for e in errors[:20]
            ],
        }
        return JSONResponse(error_body("invalid_input", message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            401: "unauthorized",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
