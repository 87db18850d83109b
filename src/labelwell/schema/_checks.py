"""Small shared pieces: how errors are worded, number checks, and a reader that
walks an ontology mapping while remembering the path it is at."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from typing import Any, NoReturn

from labelwell.errors import InvalidInput

# Integers beyond 2**53 cannot take part in float arithmetic exactly (and very large
# ones overflow it), so a coordinate, time or rating outside this range is refused.
MAX_INT = 2**53
NUMBER = (int, float)  # compared with ``type(x) in NUMBER``, so bool is not a number

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = 6
_short.maxdict = 6
_short.maxlevel = 3


def show(value: Any) -> str:
    """A short, always-safe repr for error messages (bounded length and depth)."""
    return _short.repr(value)


def fail(field: str | None, reason: str) -> NoReturn:
    """Raise the one error type of this package: ``field: reason``."""
    message = f"{field}: {reason}" if field else reason
    raise InvalidInput(message, field=field)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_number(value: Any) -> bool:
    """A JSON number within +-2**53 (so finite; ``bool`` is not a number here)."""
    return type(value) in NUMBER and -MAX_INT <= value <= MAX_INT


def is_int(value: Any) -> bool:
    return type(value) is int and -MAX_INT <= value <= MAX_INT


def expect_number(field: str, value: Any) -> NoReturn:
    """Fail with the reason ``value`` is not an acceptable number."""
    if type(value) is float and value - value != 0.0:
        fail(field, f"must be a finite number, got {show(value)}")
    if type(value) in NUMBER:
        fail(field, f"{show(value)} is out of range")
    fail(field, f"must be a number, got {json_type(value)} {show(value)}")


def expect_int(field: str, value: Any) -> NoReturn:
    if type(value) is int:
        fail(field, f"{show(value)} is out of range")
    fail(field, f"must be an integer, got {json_type(value)} {show(value)}")


def key_problem(
    field: str, obj: dict[str, Any], allowed: frozenset[str], needed: frozenset[str]
) -> NoReturn:
    """Explain why ``obj``'s keys are not acceptable (called only on failure)."""
    for key in obj:
        if key not in allowed:
            fail(f"{field}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(needed):
        if key not in obj:
            fail(f"{field}.{key}", "is missing")
    raise AssertionError("key_problem called on acceptable keys")  # pragma: no cover


_MISSING: Any = object()
_YAML_HINT = " (YAML reads unquoted yes/no/on/off/true/false and numbers as non-strings; quote it)"


class Reader:
    """Reads one mapping of an ontology, tracking its path so that every error
    names where it is (``controls[2].labels[0].name``) and refusing unknown keys."""

    def __init__(self, obj: Any, path: str, what: str) -> None:
        if not isinstance(obj, dict):
            fail(path or None, f"{what} must be a mapping, got {json_type(obj)} {show(obj)}")
        self.obj = obj
        self.path = path
        self.what = what
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.obj.get(key) is not None

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        value = self.obj.get(key)
        if value is None:
            if default is _MISSING:
                fail(self.at(key), "is missing")
            return default
        return value

    def string(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return check_name(value, self.at(key))

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """A free string (may be empty), e.g. a description."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            fail(self.at(key), f"must be a string, got {json_type(value)} {show(value)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            fail(self.at(key), f"must be true or false, got {show(value)}")
        return value

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not is_int(value):
            expect_int(self.at(key), value)
        if minimum is not None and value < minimum:
            fail(self.at(key), f"must be at least {minimum}, got {value}")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not is_number(value):
            expect_number(self.at(key), value)
        return value

    def names(self, key: str, default: Any = _MISSING, min_len: int = 1) -> Any:
        """A list of distinct non-empty strings."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        return check_names(value, self.at(key), min_len)

    def finish(self) -> None:
        for key in self.obj:
            if key not in self.used:
                fail(self.at(str(key)), f"unknown key for {self.what}")


def check_name(value: Any, field: str) -> str:
    if not isinstance(value, str):
        fail(field, f"must be a string, got {json_type(value)} {show(value)}{_YAML_HINT}")
    if not value.strip():
        fail(field, "must be a non-empty string")
    bad = _CONTROL.search(value)
    if bad:  # names become file lines (classes.txt, CoNLL tags) and CSV cells
        fail(field, f"may not contain the control character {bad.group()!r}")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_names(value: Any, field: str, min_len: int = 1) -> list[str]:
    if not isinstance(value, list):
        fail(field, f"must be a list, got {json_type(value)} {show(value)}")
    if len(value) < min_len:
        fail(field, f"must have at least {min_len} entr{'y' if min_len == 1 else 'ies'}")
    seen: set[str] = set()
    for i, item in enumerate(value):
        check_name(item, f"{field}[{i}]")
        if item in seen:
            fail(f"{field}[{i}]", f"duplicate {item!r}")
        seen.add(item)
    return list(value)


def drop_none(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if v is not None}
