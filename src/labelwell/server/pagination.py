"""Cursor pagination: a cursor is the opaque form of the last id seen."""

from __future__ import annotations

import base64

from labelwell.errors import InvalidInput

#: ids are signed 64-bit integers on both databases
MAX_ID = 2**63 - 1


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id" or not value.isascii() or not value.isdigit() or len(value) > 19:
            raise ValueError(raw)
        last_id = int(value)
        if last_id > MAX_ID:
            raise ValueError(raw)
        return last_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor: not a cursor this API returned", field="cursor") from None


def next_cursor(ids: list[int], limit: int) -> str | None:
    return encode_cursor(ids[-1]) if ids and len(ids) == limit else None
