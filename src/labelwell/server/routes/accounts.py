"""Login, the current user, API tokens and users."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from labelwell.server.deps import Ctx
from labelwell.server.schemas import (
    LoginRequest,
    Page,
    PathId,
    TokenCreate,
    TokenIssued,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from labelwell.store.db import Database
from labelwell.store.tables import User
from labelwell.work import accounts
from labelwell.work.policies import require_global

router = APIRouter(tags=["accounts"])


@router.post("/auth/login", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def login(body: LoginRequest, request: Request) -> TokenIssued:
    """Exchange an email and password for a new API token."""
    db: Database = request.app.state.db
    with db.session() as s:
        user = accounts.authenticate(s, body.email, body.password)
        issued = accounts.create_token(s, user, name="login")
    return TokenIssued(
        id=issued.id, token=issued.token, prefix=issued.prefix, user_id=issued.user_id
    )


@router.get("/me", response_model=UserPublic)
def me(ctx: Ctx) -> User:
    with ctx.db.read_session() as s:
        return accounts.get_user_by_email(s, ctx.actor.email)


@router.post("/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, ctx: Ctx) -> TokenIssued:
    with ctx.db.session() as s:
        if body.email and body.email.strip().lower() != ctx.actor.email:
            require_global(ctx.actor, "admin")
        user = accounts.get_user_by_email(s, body.email or ctx.actor.email)
        issued = accounts.create_token(s, user, name=body.name, actor=ctx.actor)
    return TokenIssued(
        id=issued.id, token=issued.token, prefix=issued.prefix, user_id=issued.user_id
    )


@router.get("/tokens", response_model=Page[TokenPublic])
def list_tokens(ctx: Ctx) -> Page[TokenPublic]:
    with ctx.db.read_session() as s:
        rows = accounts.list_tokens(s, ctx.actor)
        data = [TokenPublic.model_validate(r) for r in rows]
    return Page(data=data, count=len(data))


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: PathId, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        accounts.revoke_token(s, ctx.actor, token_id)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, ctx: Ctx) -> User:
    require_global(ctx.actor, "admin")
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
    require_global(ctx.actor, "admin", "manager")
    with ctx.db.read_session() as s:
        data = [UserPublic.model_validate(u) for u in accounts.list_users(s)]
    return Page(data=data, count=len(data))
