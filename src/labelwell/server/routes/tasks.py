"""The annotator's loop: next task, submit, skip.

Next task and submit are the hottest routes of the server: they run their unit
of work through :func:`labelwell.server.units.write_unit` and write their JSON
with orjson directly (the declared response models document the shapes)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Response, status
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


@router.post(
    "/projects/{project_id}/tasks/next",
    response_model=TaskPublic,
    responses={204: {"description": "Nothing left to label for you"}},
)
async def next_task(project_id: PathId, who: CallerDep) -> Response:
    """Lease the next item to label. Asking again returns the same live lease."""
    task = await write_unit(who.db, _next_task, who.token, project_id)
    if task is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return Response(orjson.dumps(task), media_type=JSON)  # a dataclass: orjson writes it


@router.post(
    "/assignments/{assignment_id}/submit",
    response_model=SubmittedPublic,
    responses={200: {"description": "A retry with the same idempotency key"}},
    status_code=status.HTTP_201_CREATED,
)
async def submit(assignment_id: PathId, body: SubmitRequest, who: CallerDep) -> Response:
    """Store the label for a lease (validated against the ontology). Optional:
    an ``idempotency_key`` makes a retry safe; ``suggestion`` records whether a
    machine suggestion was accepted, edited or rejected."""
    done, created = await write_unit(who.db, _submit, who.token, assignment_id, body)
    # after the commit and the response: the flywheel may retrain (assist settings)
    retrain = (
        BackgroundTask(assist.after_submit, who.db, done.project_id)
        if created and done.flywheel
        else None
    )
    return Response(
        orjson.dumps(_public(done)),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        media_type=JSON,
        background=retrain,
    )


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


def _public(done: queue.Submitted) -> dict[str, Any]:
    """The fields of :class:`SubmittedPublic`: never ``details``,
    ``is_gold_check``, ``status`` or ``is_current``, which would tell a gold item
    from the others (consensus and review never touch a gold answer)."""
    return {
        "id": done.id,
        "item_id": done.item_id,
        "project_id": done.project_id,
        "assignment_id": done.assignment_id,
        "source": done.source,
        "agent": done.agent,
        "result": done.result,
        "guideline_version": done.guideline_version,
        "time_spent_ms": done.time_spent_ms,
        "revision": done.revision,
        "supersedes_id": done.supersedes_id,
        "created_at": done.created_at,
        "feedback": done.feedback,
    }


@router.post("/assignments/{assignment_id}/skip", status_code=status.HTTP_204_NO_CONTENT)
def skip(assignment_id: PathId, body: SkipRequest, ctx: Ctx) -> None:
    with ctx.db.session() as s:
        queue.skip(s, ctx.actor, assignment_id, body.reason)
