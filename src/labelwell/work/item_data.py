"""What every stored JSON value must be, whatever the database: integers that fit
in 64 bits, strings that are valid Unicode (no lone surrogates) and hold no NUL
character. PostgreSQL refuses NUL in text and JSONB, orjson refuses the other two;
checking here keeps both databases alike and the error a 422 naming line and field."""

from __future__ import annotations

from typing import Any

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow

INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
    return None


def value_problem(value: Any, path: str) -> tuple[str, str] | None:
    """The first ``(field, reason)`` in a decoded JSON value that cannot be stored."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            problem = text_problem(node)
            if problem:
                return where, problem
        elif isinstance(node, bool) or node is None or isinstance(node, float):
            continue
        elif isinstance(node, int):
            if not INT_MIN <= node <= INT_MAX:
                return where, "is an integer beyond 64 bits (from -2^63 to 2^63-1)"
        elif isinstance(node, dict):
            children = []
            for key, child in node.items():
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem:
                        return where, f"has a key that {problem}"
                children.append((child, f"{where}.{key}" if where else str(key)))
            stack.extend(reversed(children))
        elif isinstance(node, list | tuple):
            stack.extend(reversed([(c, f"{where}[{i}]") for i, c in enumerate(node)]))
    return None


def check_row(row: ImportRow, where: str) -> None:
    """Raise :class:`InvalidInput` naming the row's line and field when any of its
    values cannot be stored."""
    parts: list[tuple[Any, str]] = [
        (row.data, "data"),
        (row.external_id, "external_id"),
        (row.media, "media"),
        (row.predictions, "predictions"),
        (row.annotations, "annotations"),
        (row.gold, "gold"),
    ]
    for value, path in parts:
        found = value_problem(value, path)
        if found:
            field, problem = found
            raise InvalidInput(f"{where}: {field} {problem}", line=row.line, field=field)
