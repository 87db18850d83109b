"""Weak supervision: the LF summary of a project's stored votes. The server reads
votes; it never runs labeling-function code (that runs in the CLI, the SDK user's
process or on Dask)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, fields_of
from labelwell.work.weak import lf_summary
from labelwell.work.weak.summary import LFSummaryRow, WeakSummary

router = APIRouter(tags=["weak"])


class LFSummaryRowPublic(fields_of(LFSummaryRow, required=True)): ...  # type: ignore[misc]


class WeakSummaryPublic(fields_of(WeakSummary, required=True)):  # type: ignore[misc]
    lfs: list[LFSummaryRowPublic]


@router.get("/projects/{project_id}/weak/summary", response_model=WeakSummaryPublic)
def summary(
    project_id: PathId,
    ctx: Ctx,
    control: str | None = Query(None, max_length=200, description="the choice control"),
) -> WeakSummaryPublic:
    """Coverage, overlaps, conflicts and empirical (with n and a 95% Wilson
    interval, flagged under a minimum n) and learned accuracy of every labeling
    function with stored votes (managers)."""
    with ctx.db.read_session() as s:
        found = lf_summary(s, ctx.actor, project_id, control=control)
    return WeakSummaryPublic.model_validate(found)
