"""Workforce cost: pay rates, cost per project, budgets and the payroll CSV
(:mod:`labelwell.work.cost`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from labelwell.server.deps import Ctx
from labelwell.server.schemas import MAX_ID, Page, PathId, page_of
from labelwell.server.schemas_people import (
    BudgetPublic,
    BudgetSet,
    PresetPublic,
    ProjectCostPublic,
    RateCreate,
    RatePublic,
)
from labelwell.server.streaming import content_disposition
from labelwell.work import cost

router = APIRouter(tags=["cost"])


@router.get("/rates", response_model=Page[RatePublic])
def list_rates(ctx: Ctx) -> Page[RatePublic]:
    """Pay rates for every project, and those of the projects you manage."""
    with ctx.db.read_session() as s:
        return page_of(cost.list_rates(s, ctx.actor), RatePublic.model_validate)


@router.get("/rates/presets", response_model=Page[PresetPublic])
def list_presets(ctx: Ctx) -> Page[PresetPublic]:
    """Example rates (US dollars, the middle of a typical market range)."""
    return page_of(cost.PRESETS, PresetPublic.model_validate)


@router.post("/rates", response_model=RatePublic, status_code=status.HTTP_201_CREATED)
def add_rate(body: RateCreate, ctx: Ctx) -> RatePublic:
    """Add a rate per hour or per accepted label, for every project (admins) or
    a project you manage, optionally for one role or skill."""
    with ctx.db.session() as s:
        rate = cost.add_rate(
            s,
            ctx.actor,
            basis=body.basis,
            amount=body.amount,
            name=body.name,
            project_id=body.project_id,
            role=body.role,
            skill=body.skill,
        )
    return RatePublic.model_validate(rate)


@router.delete("/rates/{rate_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_rate(rate_id: PathId, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        cost.remove_rate(s, ctx.actor, rate_id)


@router.get("/projects/{project_id}/cost", response_model=ProjectCostPublic)
def project_cost(project_id: PathId, ctx: Ctx) -> ProjectCostPublic:
    """Hours, accepted labels and pay per annotator, cost per accepted label,
    and the budget (managers)."""
    with ctx.db.read_session() as s:
        return ProjectCostPublic.of(cost.project_cost(s, ctx.actor, project_id))


@router.put("/projects/{project_id}/budget", response_model=BudgetPublic)
def set_budget(project_id: PathId, body: BudgetSet, ctx: Ctx) -> BudgetPublic:
    """Set the spend at which the project's queue stops (``cap``: null removes
    it); the spend is counted again from every label."""
    with ctx.db.session() as s:
        return BudgetPublic.of(cost.set_budget(s, ctx.actor, project_id, body.cap))


@router.get("/payroll.csv", response_class=Response)
def payroll(
    ctx: Ctx,
    start: date = Query(description="First day of the period (UTC)."),
    end: date = Query(description="Last day of the period (UTC), included."),
    project_id: int | None = Query(default=None, ge=1, le=MAX_ID),
) -> Response:
    """A CSV for payroll: period, person, hours, accepted labels and amount, over
    the projects you manage (or one)."""
    since = datetime.combine(start, time.min, tzinfo=UTC)
    until = datetime.combine(end, time.min, tzinfo=UTC) + timedelta(days=1)
    with ctx.db.read_session() as s:
        rows = cost.payroll(s, ctx.actor, since, until, project_id)
    name = f"payroll-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        cost.payroll_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition(name)},
    )
