"""Users, passwords (argon2id) and tokens (stored as SHA-256, shown once).

A token is ``api`` (made for a script; lives until revoked) or ``session`` (made
by a login; ends at its ``expires_at``, which use moves forward up to the
session's absolute lifetime, see :func:`touch_token`)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound, Unauthorized
from labelwell.store.db import rows_changed
from labelwell.store.raw import Statement, Unit, loads, raw_of, read_one, when
from labelwell.store.tables import ROLES, ApiToken, User, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor, Bearer
from labelwell.work.passwords import check_password, hash_password, verify_password
from labelwell.work.policies import GlobalPermission, authorize_global, may

__all__ = ["hash_password", "verify_password"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
TOKEN_PREFIX = "lw_"
TOKEN_KINDS = ("api", "session")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    email: str,
    *,
    role: str = "annotator",
    password: str | None = None,
    name: str = "",
    skills: list[str] | None = None,
    locale: str = "en",
    actor: Actor | None = None,
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"email: {email!r} is not an email address", field="email")
    if role not in ROLES:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(ROLES)}", field="role")
    if password is not None:
        check_password(password, email=email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password) if password else None,
        skills=sorted(set(skills or [])),
        locale=locale,
    )
    audit.created(
        session,
        actor,
        "user.create",
        user,
        target_type="user",
        details={"email": email, "role": role},
    )
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


WRONG_LOGIN = "wrong email or password"


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with this email and password. Unknown emails, inactive
    users and users without a password verify a stand-in hash, so every
    refusal takes as long as a wrong password."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.is_active else None
    if not verify_password(stored, password) or user is None:
        raise Unauthorized(WRONG_LOGIN)
    return user


def set_password(session: Session, user: User, password: str, *, actor: Actor | None) -> None:
    """Set ``user``'s password (policy-checked) and end their web sessions."""
    check_password(password, email=user.email)
    user.password_hash = hash_password(password)
    _end_sessions(session, user.id)
    audit.record(
        session, actor or Actor.of(user), "user.set_password", target_type="user", target_id=user.id
    )


WRONG_CURRENT = "current_password: wrong password"


def check_current_password(session: Session, user_id: int, current: str) -> str:
    """The email of ``user_id`` when ``current`` is their password (a user
    without one never matches); InvalidInput naming ``current_password`` else."""
    user = get_user(session, user_id)
    if not verify_password(user.password_hash, current):
        raise InvalidInput(WRONG_CURRENT, field="current_password", details={"rule": "wrong"})
    return user.email


def new_password_hash(password: str, *, email: str) -> str:
    """The hash of a new password, once it meets the policy."""
    check_password(password, email=email)
    return hash_password(password)


def change_password(session: Session, user_id: int, password_hash: str, *, keep: str) -> None:
    """Store a user's own new password (see :func:`check_current_password` and
    :func:`new_password_hash`); their web sessions end except the one changing
    it (``keep``, a token)."""
    user = get_user(session, user_id)
    user.password_hash = password_hash
    _end_sessions(session, user.id, keep=hash_token(keep))
    audit.record(
        session, Actor.of(user), "user.change_password", target_type="user", target_id=user.id
    )


def end_user_sessions(session: Session, user_id: int) -> None:
    """End every web session of a user (their API tokens are untouched)."""
    _end_sessions(session, user_id)


def list_live_sessions(session: Session, user_id: int) -> list[ApiToken]:
    """A user's web sessions that have not ended."""
    return list(
        session.scalars(
            select(ApiToken).where(
                ApiToken.user_id == user_id,
                ApiToken.kind == "session",
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > utcnow(),
            )
        )
    )


def _end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    query = (
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.kind == "session")
        .where(ApiToken.revoked_at.is_(None))
    )
    if keep is not None:
        query = query.where(ApiToken.token_hash != keep)
    session.execute(query.values(revoked_at=utcnow()))


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly created token: ``token`` is the only time the secret is visible."""

    id: int
    token: str
    prefix: str
    user_id: int
    kind: str = "api"
    expires_at: datetime | None = None


def create_token(
    session: Session,
    user: User,
    *,
    name: str = "",
    actor: Actor | None = None,
    kind: str = "api",
    expires_at: datetime | None = None,
) -> IssuedToken:
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token[:10],
        kind=kind,
        expires_at=expires_at,
    )
    audit.created(
        session,
        actor or Actor.of(user),
        "token.create",
        row,
        target_type="token",
        details={"user_id": user.id, "name": name},
    )
    return IssuedToken(row.id, token, row.prefix, user.id, kind, expires_at)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lasts: ``max_age_s`` at most, ``idle_s`` unused."""

    max_age_s: int
    idle_s: int

    def expiry(self, created_at: datetime, now: datetime) -> datetime:
        """When a session made at ``created_at`` and used at ``now`` ends."""
        return min(
            created_at + timedelta(seconds=self.max_age_s), now + timedelta(seconds=self.idle_s)
        )


def create_session(
    session: Session, user: User, policy: SessionPolicy, *, name: str
) -> IssuedToken:
    """A login's token: a ``session`` that ends (see :class:`SessionPolicy`).
    The user's ended sessions are removed meanwhile (logins only, never on the
    annotator's loop)."""
    now = utcnow()
    prune_sessions(session, user_id=user.id)
    return create_token(
        session, user, name=name, kind="session", expires_at=policy.expiry(now, now)
    )


def prune_sessions(session: Session, *, user_id: int | None = None) -> int:
    """Remove ended web sessions (expired or revoked), of ``user_id`` or of
    everyone; API tokens stay, revoked or not. Returns how many went."""
    query = delete(ApiToken).where(
        ApiToken.kind == "session",
        or_(ApiToken.revoked_at.is_not(None), ApiToken.expires_at <= utcnow()),
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return rows_changed(session, query)


def touch_token(session: Session, token: str, policy: SessionPolicy) -> None:
    """Record that ``token`` was used now; a live session's end moves forward.

    Callers throttle this (once a minute per token), so the annotator's loop
    does not write per request; an ended or revoked token stays ended."""
    if not token.startswith(TOKEN_PREFIX):
        return
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        return
    row.last_used_at = now
    if row.kind == "session":
        row.expires_at = policy.expiry(row.created_at, now)


_TOKEN_OWNER = Statement(
    "SELECT u.id, u.email, u.role, CAST(u.skills AS TEXT), u.is_active, t.revoked_at,"
    " t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"
)


def resolve_token(work: Session | Unit, token: str) -> Actor:
    """The active user owning ``token``; Unauthorized for unknown or revoked ones."""
    return _token_actor(raw_of(work).one(_TOKEN_OWNER, (bearer_hash(Bearer(token)),)))


def token_actor(engine: Engine, token: str) -> Actor:
    """:func:`resolve_token` for a request: one indexed lookup on a pooled
    connection, outside any unit of work."""
    return _token_actor(read_one(engine, _TOKEN_OWNER, (bearer_hash(Bearer(token)),)))


def bearer_hash(bearer: Bearer) -> str:
    """The stored hash of a bearer's token (``Unauthorized`` when malformed)."""
    if not bearer.token.startswith(TOKEN_PREFIX):
        raise Unauthorized("malformed API token")
    return hash_token(bearer.token)


def actor_of(work: Session | Unit, who: Actor | Bearer) -> Actor:
    """``who`` itself, or the active user owning the bearer's token."""
    return who if isinstance(who, Actor) else resolve_token(work, who.token)


INVALID_TOKEN = "invalid or revoked API token, or an expired session"


def _token_actor(row: tuple[Any, ...] | None) -> Actor:
    if row is None or row[5] is not None or not row[4]:
        raise Unauthorized(INVALID_TOKEN)
    expires_at = when(row[6])
    if expires_at is not None and expires_at <= utcnow():
        raise Unauthorized(INVALID_TOKEN)
    return Actor(row[0], row[1], row[2], tuple(loads(row[3]) or ()))


def revoke_token(
    session: Session, actor: Actor, token_id: int, *, user_id: int | None = None
) -> None:
    """Revoke one of ``actor``'s tokens; admins may revoke anyone's."""
    row = session.get(ApiToken, token_id)
    if row is None or (
        row.user_id != actor.id and not may(actor, GlobalPermission.manage_accounts)
    ):
        raise NotFound(f"no token {token_id}")
    if user_id is not None and row.user_id != user_id:
        raise NotFound(f"no token {token_id} for user {user_id}")
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow()))
    audit.record(session, actor, "token.revoke", target_type="token", target_id=token_id)


def list_tokens(session: Session, actor: Actor, user_id: int | None = None) -> list[ApiToken]:
    """``actor``'s tokens, or (admins only) those of ``user_id``, newest first."""
    if user_id is not None and user_id != actor.id:
        if not may(actor, GlobalPermission.manage_accounts):
            raise NotFound(f"no user {user_id}")
        email_of(session, user_id)
    owner = actor.id if user_id is None else user_id
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == owner).order_by(ApiToken.id.desc())
        )
    )


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    """Every user (admins and managers, who add members to projects)."""
    authorize_global(actor, GlobalPermission.list_users)
    return list(session.scalars(select(User).order_by(User.id)))


def end_session(session: Session, actor: Actor, token: str) -> None:
    """Revoke ``actor``'s own token whose secret is ``token`` (logging out)."""
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.user_id == actor.id
        )
    )
    if row is not None:
        revoke_token(session, actor, row.id)


def email_of(session: Session, user_id: int) -> str:
    email = session.scalar(select(User.email).where(User.id == user_id))
    if email is None:
        raise NotFound(f"no user {user_id}")
    return email
