"""Login, the current user, API tokens, users and their passwords."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from labelwell.errors import InvalidInput
from labelwell.server.deps import CallerDep, Ctx
from labelwell.server.login import change_own_password, log_in
from labelwell.server.schemas import (
    LoginRequest,
    Page,
    PasswordChange,
    PasswordReset,
    PasswordSet,
    PathId,
    ResetLink,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
    page_of,
)
from labelwell.store.db import Database
from labelwell.store.tables import User
from labelwell.work import accounts, password_resets
from labelwell.work.policies import GlobalPermission, authorize_global

router = APIRouter(tags=["accounts"])


def _issued(issued: accounts.IssuedToken) -> TokenIssued:
    return TokenIssued(
        id=issued.id,
        token=issued.token,
        prefix=issued.prefix,
        user_id=issued.user_id,
        kind=issued.kind,
        expires_at=issued.expires_at,
    )


@router.post("/auth/login", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
async def login(body: LoginRequest, request: Request) -> TokenIssued:
    """Exchange an email and password for a session token (it ends after the
    server's session lifetime or idle timeout; scripts use ``POST /tokens``).
    Too many failed tries answer 429 with ``Retry-After``."""
    issued, _ = await log_in(request, body.email, body.password, name="login")
    return _issued(issued)


@router.post("/auth/reset", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(body: PasswordReset, request: Request) -> None:
    """Set a password with a one-time password link's secret."""
    db: Database = request.app.state.db
    with db.session() as s:
        password_resets.use_reset(s, body.token, body.password)


@router.get("/me", response_model=UserPublic)
def me(ctx: Ctx) -> User:
    with ctx.db.read_session() as s:
        return accounts.get_user_by_email(s, ctx.actor.email)


@router.post("/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, ctx: Ctx) -> TokenIssued:
    with ctx.db.session() as s:
        if body.email and body.email.strip().lower() != ctx.actor.email:
            authorize_global(ctx.actor, GlobalPermission.manage_accounts)
        user = accounts.get_user_by_email(s, body.email or ctx.actor.email)
        issued = accounts.create_token(s, user, name=body.name, actor=ctx.actor)
    return _issued(issued)


@router.get("/tokens", response_model=Page[TokenPublic])
def list_tokens(ctx: Ctx) -> Page[TokenPublic]:
    with ctx.db.read_session() as s:
        return page_of(accounts.list_tokens(s, ctx.actor), TokenPublic.model_validate)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: PathId, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        accounts.revoke_token(s, ctx.actor, token_id)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, ctx: Ctx) -> User:
    """Create a user with a password (admins); ``POST /people`` creates one
    with a one-time invite link instead, so no account is left unable to log in."""
    authorize_global(ctx.actor, GlobalPermission.manage_accounts)
    if body.password is None:
        raise InvalidInput(
            "password: required here; POST /people creates the user with a one-time "
            "invite link to set one",
            field="password",
        )
    with ctx.db.session() as s:
        return accounts.create_user(
            s,
            body.email,
            role=body.role,
            password=body.password,
            name=body.name,
            skills=body.skills,
            locale=body.locale,
            actor=ctx.actor,
        )


@router.get("/users", response_model=Page[UserPublic])
def list_users(ctx: Ctx) -> Page[UserPublic]:
    with ctx.db.read_session() as s:
        return page_of(accounts.list_users(s, ctx.actor), UserPublic.model_validate)


@router.get("/users/{user_id}/tokens", response_model=Page[TokenPublic])
def list_user_tokens(user_id: PathId, ctx: Ctx) -> Page[TokenPublic]:
    """A user's tokens and sessions (admins, or the user themself)."""
    with ctx.db.read_session() as s:
        return page_of(accounts.list_tokens(s, ctx.actor, user_id), TokenPublic.model_validate)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_user_token(user_id: PathId, token_id: PathId, ctx: Ctx) -> None:
    """Revoke one of a user's tokens or sessions (admins, or the user themself)."""
    with ctx.db.session() as s:
        accounts.revoke_token(s, ctx.actor, token_id, user_id=user_id)


@router.put("/users/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_my_password(body: PasswordChange, request: Request, who: CallerDep) -> None:
    """Change your own password (the current one first); your other web sessions
    end, this one and your API tokens keep working. Wrong current passwords count
    as failed logins (429 with ``Retry-After`` after too many)."""
    await change_own_password(request, who.token, body.current_password, body.password)


@router.put("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(user_id: PathId, body: PasswordSet, ctx: Ctx) -> None:
    """Set a user's password (admins); the user's web sessions end."""
    authorize_global(ctx.actor, GlobalPermission.manage_accounts)
    with ctx.db.session() as s:
        accounts.set_password(s, accounts.get_user(s, user_id), body.password, actor=ctx.actor)


@router.post(
    "/users/{user_id}/reset-link", response_model=ResetLink, status_code=status.HTTP_201_CREATED
)
def reset_link(user_id: PathId, request: Request, ctx: Ctx) -> ResetLink:
    """A one-time link that lets the user set a new password (admins)."""
    authorize_global(ctx.actor, GlobalPermission.manage_accounts)
    with ctx.db.session() as s:
        user = accounts.get_user(s, user_id)
        issued = password_resets.issue_reset(
            s, user, ttl_s=ctx.settings.reset_link_ttl_s, actor=ctx.actor
        )
    base = str(request.base_url).rstrip("/")
    return ResetLink(url=base + issued.path, expires_at=issued.expires_at)
