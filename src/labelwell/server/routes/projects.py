"""Projects, guidelines, members, stats and the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, status

from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_cursor, next_cursor
from labelwell.server.schemas import (
    AuditPublic,
    GuidelineCreate,
    GuidelinePublic,
    MemberPublic,
    MemberSet,
    Page,
    PathId,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
    StatsPublic,
    TimelinePublic,
    page_of,
)
from labelwell.store.tables import Guideline, Project
from labelwell.work import accounts, audit, projects, stats
from labelwell.work.policies import Permission, authorize

router = APIRouter(tags=["projects"])


@router.get("/projects", response_model=Page[ProjectPublic])
def list_projects(ctx: Ctx, archived: bool = False) -> Page[ProjectPublic]:
    """The active projects; ``archived=true``: the archived ones instead."""
    with ctx.db.read_session() as s:
        return page_of(
            projects.list_projects(s, ctx.actor, archived=archived), ProjectPublic.model_validate
        )


@router.post("/projects", response_model=ProjectPublic, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectCreate, ctx: Ctx) -> Project:
    settings = body.model_dump(exclude={"name", "ontology", "guidelines"}, exclude_none=True)
    with ctx.db.session() as s:
        return projects.create_project(
            s, ctx.actor, body.name, body.ontology, guidelines=body.guidelines, **settings
        )


@router.get("/projects/{project_id}", response_model=ProjectPublic)
def get_project(project_id: PathId, ctx: Ctx) -> Project:
    with ctx.db.read_session() as s:
        return authorize(s, ctx.actor, project_id, Permission.view)


@router.patch("/projects/{project_id}", response_model=ProjectPublic)
def update_project(project_id: PathId, body: ProjectUpdate, ctx: Ctx) -> Project:
    with ctx.db.session() as s:
        return projects.update_project(s, ctx.actor, project_id, body.model_dump(exclude_none=True))


@router.post("/projects/{project_id}/archive", response_model=ProjectPublic)
def archive_project(project_id: PathId, ctx: Ctx) -> Project:
    """Archive (managers): the project leaves the list and the queue; nothing is lost."""
    with ctx.db.session() as s:
        return projects.archive_project(s, ctx.actor, project_id)


@router.post("/projects/{project_id}/restore", response_model=ProjectPublic)
def restore_project(project_id: PathId, ctx: Ctx) -> Project:
    with ctx.db.session() as s:
        return projects.restore_project(s, ctx.actor, project_id)


@router.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_project(project_id: PathId, ctx: Ctx, confirm: str = Query(..., max_length=200)) -> None:
    """Delete the project and all it holds (managers); ``confirm`` repeats its name."""
    with ctx.db.session() as s:
        projects.delete_project(s, ctx.actor, project_id, confirm)


@router.patch("/projects/{project_id}/settings")
def merge_settings(
    project_id: PathId, ctx: Ctx, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    """Set keys of the project's free-form settings (``gold_feedback``,
    ``qualification``, ...), keeping the others; null removes a key (managers)."""
    with ctx.db.session() as s:
        return projects.merge_settings(s, ctx.actor, project_id, body)


@router.get("/projects/{project_id}/guidelines", response_model=Page[GuidelinePublic])
def list_guidelines(project_id: PathId, ctx: Ctx) -> Page[GuidelinePublic]:
    with ctx.db.read_session() as s:
        return page_of(
            projects.list_guidelines(s, ctx.actor, project_id), GuidelinePublic.model_validate
        )


@router.post(
    "/projects/{project_id}/guidelines",
    response_model=GuidelinePublic,
    status_code=status.HTTP_201_CREATED,
)
def add_guideline(project_id: PathId, body: GuidelineCreate, ctx: Ctx) -> Guideline:
    with ctx.db.session() as s:
        return projects.add_guideline(s, ctx.actor, project_id, body.text)


@router.get("/projects/{project_id}/members", response_model=Page[MemberPublic])
def list_members(project_id: PathId, ctx: Ctx) -> Page[MemberPublic]:
    with ctx.db.read_session() as s:
        data = [
            MemberPublic(user_id=u.id, email=u.email, role=m.role)
            for m, u in projects.list_members(s, ctx.actor, project_id)
        ]
    return Page(data=data, count=len(data))


@router.put("/projects/{project_id}/members/{user_id}", response_model=MemberPublic)
def set_member(project_id: PathId, user_id: PathId, body: MemberSet, ctx: Ctx) -> MemberPublic:
    with ctx.db.session() as s:
        member = projects.set_member(s, ctx.actor, project_id, user_id, body.role)
        return MemberPublic(
            user_id=member.user_id, email=accounts.email_of(s, user_id), role=member.role
        )


@router.delete("/projects/{project_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(project_id: PathId, user_id: PathId, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        projects.remove_member(s, ctx.actor, project_id, user_id)


@router.get("/projects/{project_id}/stats", response_model=StatsPublic)
def project_stats(project_id: PathId, ctx: Ctx) -> stats.ProjectStats:
    with ctx.db.read_session() as s:
        return stats.project_stats(s, ctx.actor, project_id)


@router.get("/projects/{project_id}/stats/timeline", response_model=TimelinePublic)
def annotation_timeline(
    project_id: PathId, ctx: Ctx, buckets: int = Query(60, ge=1, le=1000)
) -> stats.Timeline:
    """The current annotations counted in ``buckets`` equal intervals from the
    first to the last (managers); the console's chart of annotations over time."""
    with ctx.db.read_session() as s:
        return stats.annotation_timeline(s, ctx.actor, project_id, buckets=buckets)


@router.get("/projects/{project_id}/audit", response_model=Page[AuditPublic])
def audit_log(
    project_id: PathId, ctx: Ctx, cursor: str | None = None, limit: int = Query(100, ge=1, le=1000)
) -> Page[AuditPublic]:
    with ctx.db.read_session() as s:
        rows = audit.entries(s, ctx.actor, project_id, after=decode_cursor(cursor), limit=limit)
        data = [AuditPublic.model_validate(r) for r in rows]
    return Page(data=data, count=len(data), next_cursor=next_cursor([r.id for r in rows], limit))
