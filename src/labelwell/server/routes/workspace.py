"""The annotator's own view of a project beside the task: progress and the
latest submissions to go back to (edited through ``PATCH /annotations/{id}``,
which writes a new revision)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelwell.server.deps import Ctx
from labelwell.server.schemas import Page, PathId, Public, fields_of, page_of
from labelwell.work import workspace

router = APIRouter(tags=["tasks"])


class ProgressPublic(Public):
    done_today: int
    left: int
    left_capped: bool


class SubmissionPublic(fields_of(workspace.Submission)): ...  # type: ignore[misc]


@router.get("/projects/{project_id}/my/progress", response_model=ProgressPublic)
def my_progress(
    project_id: PathId,
    ctx: Ctx,
    utc_offset_minutes: int = Query(
        0,
        ge=-workspace.MAX_UTC_OFFSET,
        le=workspace.MAX_UTC_OFFSET,
        description="Your time zone's offset east of UTC: today starts at your midnight.",
    ),
) -> workspace.Progress:
    """Items you submitted today and items left for you (counted up to 1000)."""
    with ctx.db.read_session() as s:
        return workspace.progress(s, ctx.actor, project_id, utc_offset_minutes=utc_offset_minutes)


@router.get("/projects/{project_id}/my/recent", response_model=Page[SubmissionPublic])
def my_recent(
    project_id: PathId,
    ctx: Ctx,
    limit: int = Query(workspace.RECENT_LIMIT, ge=1, le=workspace.RECENT_LIMIT),
) -> Page[SubmissionPublic]:
    """Your latest submitted items, newest first, with your current label of
    each and whether you may still edit it (the project's ``edit_own_minutes``)."""
    with ctx.db.read_session() as s:
        rows = workspace.recent_submissions(s, ctx.actor, project_id, limit=limit)
    return page_of(rows, SubmissionPublic.model_validate)
