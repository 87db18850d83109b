"""What a pipeline asks the server while it runs (:mod:`labelwell.pipeline`):
the quality gate, answered now, for sensors and for ``labelwell pipeline run``."""

from __future__ import annotations

from fastapi import APIRouter

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public
from labelwell.work import quality_gate
from labelwell.work.quality_gate import GateThresholds

router = APIRouter(tags=["pipeline"])


class GatePublic(Public):
    state: str
    done: float
    items: int
    agreement: float | None
    gold_accuracy: float | None
    n_gold_answers: int
    reasons: list[str]
    flagged: list[dict[str, object]]


@router.post("/projects/{project_id}/quality-gate", response_model=GatePublic)
def check_gate(project_id: PathId, body: GateThresholds, ctx: Ctx) -> GatePublic:
    """``waiting`` until ``min_done`` of the items are done, then ``passed`` or
    ``failed`` against the agreement and gold accuracy thresholds (a failure
    publishes ``quality_gate.failed`` and ``annotator.flagged`` to the webhooks)."""
    with ctx.db.session() as s:
        found = quality_gate.check(s, ctx.actor, project_id, body)
    return GatePublic.model_validate(found, from_attributes=True)
