"""Weak supervision: the LF summary of a project's stored votes. The server reads
votes; it never runs labeling-function code (that runs in the CLI, the SDK user's
process or on Dask)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import ConfigDict

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public
from labelwell.work.weak import lf_summary

router = APIRouter(tags=["weak"])


class LFSummaryRowPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    name: str
    version: str
    polarity: list[str]
    coverage: float
    overlaps: float
    conflicts: float
    correct: int
    incorrect: int
    empirical_accuracy: float | None
    learned_accuracy: float | None
    accuracy_n: int
    accuracy_low: float
    accuracy_high: float
    few_votes: bool


class WeakSummaryPublic(Public):
    model_config = ConfigDict(from_attributes=True)
    project_id: int
    control: str
    n_items: int
    n_labeled: int
    label_sources: dict[str, int]
    coverage: float
    overlap: float
    conflict: float
    lfs: list[LFSummaryRowPublic]
    min_accuracy_votes: int
    label_model: str | None
    label_model_reason: str | None


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
