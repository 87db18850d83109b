"""Domain errors. Services raise these; the server maps them to HTTP in one place
(``labelwell.server.errors``) and the CLI prints them as one line."""

from __future__ import annotations

from typing import Any


class LabelwellError(Exception):
    """Base of every error labelwell raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(LabelwellError):
    code = "not_found"


class Conflict(LabelwellError):
    code = "conflict"


class InvalidInput(LabelwellError):
    """Input that cannot be accepted. ``field`` names where (``entities[2].end``),
    ``line`` the 1-based line of a file when the input came from one."""

    code = "invalid_input"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        details = dict(details or {})
        if field is not None:
            details.setdefault("field", field)
        if line is not None:
            details.setdefault("line", line)
        super().__init__(message, details=details)
        self.field = field
        self.line = line


class Unauthorized(LabelwellError):
    code = "unauthorized"


class Forbidden(LabelwellError):
    code = "forbidden"


class TooManyRequests(LabelwellError):
    """Too many tries (failed logins); ``retry_after`` says in how many seconds to try again."""

    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class LeaseExpired(Conflict):
    code = "lease_expired"


class Busy(LabelwellError):
    """The store could not take the write lock in time; the request may be retried."""

    code = "busy"
