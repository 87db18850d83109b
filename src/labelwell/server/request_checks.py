"""Checks every request gets before its route runs, whatever the route: no NUL
character in any string of a JSON body, a form or the query. PostgreSQL cannot
store NUL in text or JSONB; refusing it on every database keeps SQLite and
PostgreSQL alike, with a 422 naming the field instead of a 500 from the driver."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from labelwell.errors import InvalidInput

NUL_ESCAPE = b"\\u0000"


def nul_field(value: Any, path: str = "") -> str | None:
    """Where the first NUL character in a decoded JSON value is (``result.note[1]``;
    a key holding one names its object), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, child in value.items():
            if "\x00" in key:
                return path or "body"
            found = nul_field(child, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = nul_field(child, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _refuse(field: str) -> InvalidInput:
    return InvalidInput(f"{field}: must not contain a NUL character (\\u0000)", field=field)


async def refuse_nul(request: Request) -> None:
    """A dependency of the whole app: a NUL in a query parameter, a form field or a
    JSON body's strings (keys too) is a 422 naming where it is."""
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            raise _refuse(key.replace("\x00", "\\u0000"))
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        body = await request.body()
        if NUL_ESCAPE not in body:  # the only way JSON text can hold a NUL
            return
        try:
            decoded: Any = json.loads(body)
        except ValueError:
            return  # the route's own parsing answers malformed JSON
        found = nul_field(decoded)
        if found is not None:
            raise _refuse(found or "body")
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for key, value in form.multi_items():
            if "\x00" in key or (isinstance(value, str) and "\x00" in value):
                raise _refuse(key.replace("\x00", "\\u0000"))
