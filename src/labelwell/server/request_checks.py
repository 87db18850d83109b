"""Checks every request gets before its route runs, whatever the route: no NUL
character in any string of a JSON body, a form or the query; in a JSON body also
no lone surrogate and no integer beyond 64 bits. None of these can be stored
(PostgreSQL refuses NUL in text and JSONB, the JSON encoder the other two);
refusing them on every database keeps SQLite and PostgreSQL alike, with a 422
naming the field instead of a 500 from the driver."""

from __future__ import annotations

import json
import re

from fastapi import Request

from labelwell.errors import InvalidInput
from labelwell.work.item_data import value_problem

#: what JSON text must contain for a decoded value to hold one of the refused
#: things: a NUL or surrogate escape, or a run of 19+ digits (2^63 has 19)
_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|\d{19}")


def _nul(field: str) -> InvalidInput:
    return InvalidInput(f"{field}: must not contain a NUL character (\\u0000)", field=field)


async def refuse_unstorable(request: Request) -> None:
    """A dependency of the whole app: a 422 naming the query parameter, form field
    or JSON path (``result.note[1]``) that holds a value no database can store."""
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            raise _nul(key.replace("\x00", "\\u0000"))
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        body = await request.body()
        if not _SUSPECT.search(body):  # the common case: one scan of the bytes
            return
        try:
            decoded = json.loads(body)
        except ValueError:
            return  # the route's own parsing answers malformed JSON
        found = value_problem(decoded, "")
        if found is not None:
            field, problem = found
            field = field or "body"
            raise InvalidInput(f"{field} {problem}", field=field)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for key, entry in form.multi_items():
            if "\x00" in key or (isinstance(entry, str) and "\x00" in entry):
                raise _nul(key.replace("\x00", "\\u0000"))
