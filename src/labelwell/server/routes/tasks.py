"""The annotator's loop: next task, submit, skip.

Next task and submit are the hottest routes of the server: they run their unit
of work through :func:`labelwell.server.units.write_unit` and write their JSON
through their declared response models once (pydantic-core, without FastAPI's
second validation), so the OpenAPI schema is what they send."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from starlette.background import BackgroundTask

from labelwell.server.deps import CallerDep, Ctx
from labelwell.server.schemas import (
    PathId,
    SkipRequest,
    SubmitRequest,
    SubmittedPublic,
    TaskPublic,
)
from labelwell.server.units import write_unit
from labelwell.store.raw import Unit
from labelwell.work import assist, queue
from labelwell.work.actors import Bearer

router = APIRouter(tags=["tasks"])
JSON = "application/json"
#: the annotator's loop, also answered by server/hot_lane.py
NEXT_PATH = "/projects/{project_id}/tasks/next"
SUBMIT_PATH = "/assignments/{assignment_id}/submit"


@router.post(
    NEXT_PATH,
    response_model=TaskPublic,
    responses={204: {"description": "Nothing left to label for you"}},
)
async def next_task(project_id: PathId, who: CallerDep) -> Response:
    """Lease the next item to label. Asking again returns the same live lease."""
    task = await write_unit(who.db, _next_task, who.token, project_id)
    if task is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return _json(TaskPublic, task)


@router.post(
    SUBMIT_PATH,
    response_model=SubmittedPublic,
    responses={
        200: {"model": SubmittedPublic, "description": "A retry with the same idempotency key"}
    },
    status_code=status.HTTP_201_CREATED,
)
async def submit(assignment_id: PathId, body: SubmitRequest, who: CallerDep) -> Response:
    """Store the label for a lease (validated against the ontology). Optional:
    an ``idempotency_key`` makes a retry safe; ``suggestion`` records whether a
    machine suggestion was accepted, edited or rejected."""
    done, created = await write_unit(who.db, _submit, who.token, assignment_id, body)
    # after the commit and the response: the flywheel may queue a retrain job for
    # `labelwell worker` (assist settings); the server never retrains itself
    retrain = (
        BackgroundTask(assist.after_submit, who.db, done.project_id)
        if created and done.flywheel
        else None
    )
    # SubmittedPublic has no ``details``, ``is_gold_check``, ``status`` or
    # ``is_current``, which would tell a gold item from the others
    return _json(
        SubmittedPublic,
        done,
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        background=retrain,
    )


def _json(
    model: type[BaseModel],
    record: object,
    status_code: int = status.HTTP_200_OK,
    background: BackgroundTask | None = None,
) -> Response:
    """``record``'s attributes in the shape of ``model``, the route's response model."""
    body = model.model_validate(record, from_attributes=True).model_dump_json()
    return Response(body, status_code=status_code, media_type=JSON, background=background)


def _next_task(unit: Unit, token: str, project_id: int) -> queue.Task | None:
    return queue.next_task(unit, Bearer(token), project_id)


def _submit(
    unit: Unit, token: str, assignment_id: int, body: SubmitRequest
) -> tuple[queue.Submitted, bool]:
    return queue.submit(
        unit,
        Bearer(token),
        assignment_id,
        body.result,
        time_spent_ms=body.time_spent_ms,
        idempotency_key=body.idempotency_key,
        suggestion=body.suggestion.model_dump() if body.suggestion else None,
    )


@router.post("/assignments/{assignment_id}/skip", status_code=status.HTTP_204_NO_CONTENT)
def skip(assignment_id: PathId, body: SkipRequest, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        queue.skip(s, ctx.actor, assignment_id, body.reason)
