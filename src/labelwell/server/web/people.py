"""The People pages: everyone an admin or manager manages, one person's account
and work, and workforce cost (rates, each project's cost and budget, payroll).
Data comes from the same services as ``/api/v1/people`` and ``/api/v1/rates``;
the pages' scripts act through those routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.server.schemas_people import PersonDetail, PersonPublic, PresetPublic, RatePublic
from labelwell.server.web.i18n import catalogue_for
from labelwell.server.web.pages import _lang, _page, render, templates
from labelwell.store.tables import ROLES, Project
from labelwell.work import cost, people
from labelwell.work.actors import Actor
from labelwell.work.policies import GlobalPermission, authorize_global, may

router = APIRouter(include_in_schema=False)
PREFIXES = ("people.",)


def may_manage_people(actor: Actor | None) -> bool:
    """Whether the People link shows in the top bar (admins and managers)."""
    return actor is not None and may(actor, GlobalPermission.list_users)


templates.env.globals["may_manage_people"] = may_manage_people


def _projects(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The projects whose people and cost ``actor`` manages."""
    ids = cost.managed_project_ids(session, actor)
    query = select(Project.id, Project.name).order_by(Project.name)
    if ids is not None:
        query = query.where(Project.id.in_(ids))
    return [{"id": pid, "name": name} for pid, name in session.execute(query)]


def _roles(actor: Actor) -> list[str]:
    return list(ROLES) if actor.is_admin else list(people.MANAGED_ROLES)


@router.get("/people")
def people_page(request: Request) -> Response:
    def build(actor: Actor) -> Response:
        authorize_global(actor, GlobalPermission.list_users)
        with request.app.state.db.read_session() as s:
            boot = {
                "people": [
                    PersonPublic.of(r.user, r).model_dump(mode="json")
                    for r in people.list_people(s, actor)
                ],
                "projects": _projects(s, actor),
                "roles": _roles(actor),
                "admin": actor.is_admin,
                "i18n": catalogue_for(_lang(request), PREFIXES),
            }
        return render(request, "people.html", actor, boot=boot, section="people")

    return _page(request, build)


@router.get("/people/cost")
def cost_page(request: Request) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            rates = cost.list_rates(s, actor)
            boot = {
                "rates": [RatePublic.model_validate(r).model_dump(mode="json") for r in rates],
                "presets": [
                    PresetPublic.model_validate(p).model_dump(mode="json") for p in cost.PRESETS
                ],
                "projects": _projects(s, actor),
                "roles": list(ROLES),
                "admin": actor.is_admin,
                "i18n": catalogue_for(_lang(request), PREFIXES),
            }
        return render(request, "people_cost.html", actor, boot=boot, section="cost")

    return _page(request, build)


@router.get("/people/{user_id}")
def person_page(request: Request, user_id: int) -> Response:
    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            person = people.person(s, actor, user_id)
            found = PersonDetail.of(person)
            boot = {
                "person": found.model_dump(mode="json"),
                "can_act": people.may_act(actor, person.user),
                "roles": _roles(actor),
                "self": user_id == actor.id,
                "i18n": catalogue_for(_lang(request), PREFIXES),
            }
        return render(request, "people_person.html", actor, boot=boot, person=found.user)

    return _page(request, build)
