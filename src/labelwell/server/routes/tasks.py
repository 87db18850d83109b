"""The annotator's loop: next task, submit, skip."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response, status

from labelwell.server.deps import Ctx
from labelwell.server.schemas import (
    PathId,
    SkipRequest,
    SubmitRequest,
    SubmittedPublic,
    TaskPublic,
)
from labelwell.work import assist, queue

router = APIRouter(tags=["tasks"])


@router.post(
    "/projects/{project_id}/tasks/next",
    response_model=TaskPublic,
    responses={204: {"description": "Nothing left to label for you"}},
)
def next_task(project_id: PathId, ctx: Ctx) -> queue.Task | Response:
    """Lease the next item to label. Asking again returns the same live lease."""
    with ctx.db.session() as s:
        task = queue.next_task(s, ctx.actor, project_id)
    if task is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return task


@router.post(
    "/assignments/{assignment_id}/submit",
    response_model=SubmittedPublic,
    responses={200: {"description": "A retry with the same idempotency key"}},
    status_code=status.HTTP_201_CREATED,
)
def submit(
    assignment_id: PathId,
    body: SubmitRequest,
    ctx: Ctx,
    response: Response,
    background: BackgroundTasks,
) -> queue.Submitted:
    """Store the label for a lease (validated against the ontology). Optional:
    an ``idempotency_key`` makes a retry safe; ``suggestion`` records whether a
    machine suggestion was accepted, edited or rejected."""
    with ctx.db.session() as s:
        annotation, created = queue.submit(
            s,
            ctx.actor,
            assignment_id,
            body.result,
            time_spent_ms=body.time_spent_ms,
            idempotency_key=body.idempotency_key,
            suggestion=body.suggestion.model_dump() if body.suggestion else None,
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    else:  # after the commit and the response: the flywheel may retrain (assist settings)
        background.add_task(assist.after_submit, ctx.db, annotation.project_id)
    return annotation


@router.post("/assignments/{assignment_id}/skip", status_code=status.HTTP_204_NO_CONTENT)
def skip(assignment_id: PathId, body: SkipRequest, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        queue.skip(s, ctx.actor, assignment_id, body.reason)
