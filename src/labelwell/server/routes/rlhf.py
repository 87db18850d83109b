"""Preference projects: the Bradley-Terry leaderboard of a project's own comparisons."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId
from labelwell.work.rlhf import project_leaderboard

router = APIRouter(tags=["rlhf"])


class LeaderboardRowPublic(BaseModel):
    rank: int
    model: str
    rating: float
    ci_low: float | None
    ci_high: float | None


class LeaderboardPublic(BaseModel):
    data: list[LeaderboardRowPublic]
    count: int
    n_battles: int


@router.get("/projects/{project_id}/leaderboard", response_model=LeaderboardPublic)
def leaderboard(
    project_id: PathId,
    ctx: Ctx,
    bootstrap: int = Query(100, ge=0, le=1000, description="bootstrap rounds (0: no intervals)"),
    seed: int = Query(0, ge=0, le=2**32 - 1),
    l2: float = Query(0.0, ge=0.0, le=1e6, description="L2 penalty (0: the Arena recipe)"),
) -> LeaderboardPublic:
    """Models ranked by Bradley-Terry rating with bootstrap 95% intervals, from every
    pairwise and ranking judgment in the project (managers)."""
    with ctx.db.read_session() as s:
        board = project_leaderboard(s, ctx.actor, project_id, bootstrap=bootstrap, seed=seed, l2=l2)
    rows = [LeaderboardRowPublic.model_validate(r, from_attributes=True) for r in board.rows]
    return LeaderboardPublic(data=rows, count=len(rows), n_battles=board.n_battles)
