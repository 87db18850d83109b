"""Cursor pagination: a cursor is the opaque form of the last id seen (and, in
the review queue, of the pass it was seen in)."""

from __future__ import annotations

import base64

from labelwell.errors import InvalidInput
from labelwell.work.review_queue import QueuePosition

#: ids are signed 64-bit integers on both databases
MAX_ID = 2**63 - 1


def encode_cursor(last_id: int, kind: str = "id") -> str:
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def _decode(cursor: str, kinds: tuple[str, ...]) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind not in kinds or not value.isascii() or not value.isdigit() or len(value) > 19:
            raise ValueError(raw)
        last_id = int(value)
        if last_id > MAX_ID:
            raise ValueError(raw)
        return kind, last_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor: not a cursor this API returned", field="cursor") from None


def decode_cursor(cursor: str | None) -> int:
    return _decode(cursor, ("id",))[1] if cursor else 0


def next_cursor(ids: list[int], limit: int) -> str | None:
    return encode_cursor(ids[-1]) if ids and len(ids) == limit else None


#: the review queue's second pass (items whose answers agree) marks its cursors
_AGREEING = "agree"


def encode_position(position: QueuePosition | None) -> str | None:
    if position is None:
        return None
    return encode_cursor(position.after, _AGREEING if position.agreeing else "id")


def decode_position(cursor: str | None) -> QueuePosition:
    if not cursor:
        return QueuePosition()
    kind, after = _decode(cursor, ("id", _AGREEING))
    return QueuePosition(after, agreeing=kind == _AGREEING)
