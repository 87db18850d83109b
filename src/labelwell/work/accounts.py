"""Users, passwords (argon2id) and API tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, NotFound, Unauthorized
from labelwell.store.raw import Statement, Unit, loads, raw_of, read_one
from labelwell.store.tables import ROLES, ApiToken, User, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor, Bearer

_hasher = PasswordHasher()
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
TOKEN_PREFIX = "lw_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    if password is not None and len(password) < 8:
        raise InvalidInput("password: must be at least 8 characters", field="password")
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
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        details={"email": email, "role": role},
    )
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    return user


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly created token: ``token`` is the only time the secret is visible."""

    id: int
    token: str
    prefix: str
    user_id: int


def create_token(
    session: Session, user: User, *, name: str = "", actor: Actor | None = None
) -> IssuedToken:
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), prefix=token[:10])
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor or Actor.of(user),
        "token.create",
        target_type="token",
        target_id=row.id,
        details={"user_id": user.id, "name": name},
    )
    return IssuedToken(row.id, token, row.prefix, user.id)


_TOKEN_OWNER = Statement(
    "SELECT u.id, u.email, u.role, CAST(u.skills AS TEXT), u.is_active, t.revoked_at"
    " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"
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


INVALID_TOKEN = "invalid or revoked API token"


def _token_actor(row: tuple[Any, ...] | None) -> Actor:
    if row is None or row[5] is not None or not row[4]:
        raise Unauthorized(INVALID_TOKEN)
    return Actor(row[0], row[1], row[2], tuple(loads(row[3]) or ()))


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and not actor.is_admin):
        raise NotFound(f"no token {token_id}")
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow()))
    audit.record(session, actor, "token.revoke", target_type="token", target_id=token_id)


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id)))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def email_of(session: Session, user_id: int) -> str:
    email = session.scalar(select(User.email).where(User.id == user_id))
    if email is None:
        raise NotFound(f"no user {user_id}")
    return email
