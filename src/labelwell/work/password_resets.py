"""One-time links that set a password: issued by an admin (or by
``labelwell user create`` without a password), valid once and for a while;
only the SHA-256 of the link's secret is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelwell.errors import NotFound
from labelwell.store.tables import PasswordReset, User, utcnow
from labelwell.work import audit
from labelwell.work.accounts import hash_token, set_password
from labelwell.work.actors import Actor

RESET_PREFIX = "lwr_"
INVALID_LINK = "this password link is unknown, already used or expired; ask an admin for a new one"


def reset_path(secret: str) -> str:
    """The web page that takes the new password."""
    return f"/reset/{secret}"


@dataclass(frozen=True, slots=True)
class IssuedReset:
    """A new link: ``secret`` is visible this once."""

    secret: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return reset_path(self.secret)


def issue_reset(session: Session, user: User, *, ttl_s: int, actor: Actor | None) -> IssuedReset:
    """A new link for ``user``; their earlier unused links stop working."""
    now = utcnow()
    _retire(session, user.id)
    secret = f"{RESET_PREFIX}{secrets.token_urlsafe(32)}"
    row = PasswordReset(
        user_id=user.id,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        created_by=actor.id if actor else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "user.reset_link", target_type="user", target_id=user.id,
        details={"expires_at": row.expires_at.isoformat()},
    )
    return IssuedReset(secret, row.expires_at)


def reset_owner(session: Session, secret: str) -> User:
    """The user a live link belongs to; NotFound for unknown, used or expired links."""
    return _live(session, secret)[1]


def use_reset(session: Session, secret: str, password: str) -> User:
    """Set the password the link is for and spend the link."""
    row, user = _live(session, secret)
    set_password(session, user, password, actor=Actor.of(user))
    row.used_at = utcnow()
    _retire(session, user.id)
    return user


def _live(session: Session, secret: str) -> tuple[PasswordReset, User]:
    if not secret.startswith(RESET_PREFIX):
        raise NotFound(INVALID_LINK)
    digest = hash_token(secret)
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(INVALID_LINK)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotFound(INVALID_LINK)
    return row, user


def _retire(session: Session, user_id: int) -> None:
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
