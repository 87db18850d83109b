"""Domain errors to HTTP, in one place. Every error body is
``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _status_of(exc: LabelwellError) -> int:
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


def install(app: FastAPI) -> None:
    @app.exception_handler(LabelwellError)
    async def _domain(_: Request, exc: LabelwellError) -> JSONResponse:
        status = _status_of(exc)
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
