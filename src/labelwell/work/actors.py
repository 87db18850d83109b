"""The acting user of a request or command, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass, field

from labelwell.store.tables import User


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    email: str
    role: str
    skills: tuple[str, ...] = field(default=())

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.email, user.role, tuple(user.skills or ()))


@dataclass(frozen=True, slots=True)
class Bearer:
    """An API token not resolved yet. Services that take ``Actor | Bearer``
    resolve it themselves: on PostgreSQL the queue does so in the same call as
    its work, a round trip fewer per request."""

    token: str
