"""People: admins manage everyone, managers the annotators and reviewers of
their projects (:mod:`labelwell.work.people`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from labelwell.server.deps import Ctx
from labelwell.server.schemas import Page, PathId
from labelwell.server.schemas_people import (
    Invite,
    PersonCreate,
    PersonCreated,
    PersonDetail,
    PersonPassword,
    PersonPublic,
    PersonUpdate,
)
from labelwell.work import people
from labelwell.work.password_resets import IssuedReset

router = APIRouter(tags=["people"])


def _invite(request: Request, issued: IssuedReset) -> Invite:
    return Invite(url=str(request.base_url).rstrip("/") + issued.path, expires_at=issued.expires_at)


@router.get("/people", response_model=Page[PersonPublic])
def list_people(ctx: Ctx) -> Page[PersonPublic]:
    """The people you manage (admins: everyone), with their projects and labels."""
    with ctx.db.read_session() as s:
        data = [PersonPublic.of(r.user, r) for r in people.list_people(s, ctx.actor)]
    return Page(data=data, count=len(data))


@router.post("/people", response_model=PersonCreated, status_code=status.HTTP_201_CREATED)
def create_person(body: PersonCreate, request: Request, ctx: Ctx) -> PersonCreated:
    """Create a person who can log in: with a password, or else with a one-time
    invite link (in the answer, shown once) to set it. Managers add annotators
    and reviewers to a project they manage (``project_id``)."""
    with ctx.db.session() as s:
        created = people.create_person(
            s,
            ctx.actor,
            body.email,
            role=body.role,
            name=body.name,
            skills=body.skills,
            locale=body.locale,
            password=body.password,
            project_id=body.project_id,
            project_role=body.project_role,
            invite_ttl_s=ctx.settings.reset_link_ttl_s,
        )
        user = PersonPublic.of(created.user)
    invite = _invite(request, created.invite) if created.invite else None
    return PersonCreated(user=user, invite=invite)


@router.get("/people/{user_id}", response_model=PersonDetail)
def get_person(user_id: PathId, ctx: Ctx) -> PersonDetail:
    """A person's projects, throughput, gold accuracy and quality flags."""
    with ctx.db.read_session() as s:
        return PersonDetail.of(people.person(s, ctx.actor, user_id))


@router.patch("/people/{user_id}", response_model=PersonPublic)
def update_person(user_id: PathId, body: PersonUpdate, ctx: Ctx) -> PersonPublic:
    """Change a person's role, skills or name, or deactivate (``is_active``:
    false) or reactivate them."""
    with ctx.db.session() as s:
        user = people.update_person(
            s,
            ctx.actor,
            user_id,
            role=body.role,
            skills=body.skills,
            name=body.name,
            is_active=body.is_active,
        )
        return PersonPublic.of(user)


@router.post("/people/{user_id}/invite", response_model=Invite, status_code=status.HTTP_201_CREATED)
def invite_person(user_id: PathId, request: Request, ctx: Ctx) -> Invite:
    """A new one-time link with which the person sets their password (earlier
    links stop working)."""
    with ctx.db.session() as s:
        issued = people.invite(s, ctx.actor, user_id, ttl_s=ctx.settings.reset_link_ttl_s)
    return _invite(request, issued)


@router.put("/people/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_person_password(user_id: PathId, body: PersonPassword, ctx: Ctx) -> None:
    """Set a person's password; their web sessions end."""
    with ctx.db.session() as s:
        people.set_password(s, ctx.actor, user_id, body.password)
