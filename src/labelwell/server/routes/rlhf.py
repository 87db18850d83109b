"""Preference projects: the Bradley-Terry leaderboard of a project's own
comparisons, TRL training files with exporter options, the bias audit by
annotator group, and reward-model scores stored as predictions."""

from __future__ import annotations

from typing import Annotated, BinaryIO

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from labelwell.formats.trl import TrainingSetOptions
from labelwell.server.deps import Ctx
from labelwell.server.schemas import PathId, Public, SampleWarningPublic, fields_of
from labelwell.server.streaming import content_disposition, stream_writer
from labelwell.work.rlhf import (
    prepare_training_set,
    project_bias_audit,
    project_leaderboard,
    score_plan,
    store_reward_predictions,
    write_training_set,
)
from labelwell.work.rlhf.bias import ControlAudit
from labelwell.work.rlhf.leaderboard import LeaderboardRow
from labelwell.work.rlhf.reward import plan_saved_model_scoring

router = APIRouter(tags=["rlhf"])


class LeaderboardRowPublic(fields_of(LeaderboardRow)):  # type: ignore[misc]
    warnings: list[SampleWarningPublic] = []


class LeaderboardPublic(Public):
    data: list[LeaderboardRowPublic]
    count: int
    n_battles: int
    warnings: list[SampleWarningPublic] = []


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
    return LeaderboardPublic(
        data=rows, count=len(rows), n_battles=board.n_battles, warnings=board.warnings
    )


@router.get(
    "/projects/{project_id}/rlhf/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "application/x-ndjson": {},
                "application/vnd.apache.parquet": {},
                "application/zip": {},
            }
        }
    },
)
def training_set(
    project_id: PathId,
    ctx: Ctx,
    options: Annotated[TrainingSetOptions, Query()],
) -> StreamingResponse:
    """A TRL training file of the project's judgments (managers), streamed; a bad
    option is a 422 naming it."""
    with ctx.db.read_session() as s:
        job = prepare_training_set(s, ctx.actor, project_id, options)
    db = ctx.db

    def write(out: BinaryIO) -> None:
        with db.read_session() as s:
            write_training_set(s, job, out)

    return StreamingResponse(
        stream_writer(write),
        media_type=job.exporter.media_type,
        headers={"Content-Disposition": content_disposition(job.filename)},
    )


class GroupAuditPublic(fields_of(ControlAudit, required=True)): ...  # type: ignore[misc]


class SkippedAuditPublic(Public):
    control: str
    reason: str


class BiasAuditPublic(Public):
    project_id: int
    by: str
    alpha: float
    n_judgments: int
    annotators: dict[str, int]
    data: list[GroupAuditPublic]
    count: int
    skipped: list[SkippedAuditPublic]


@router.get("/projects/{project_id}/rlhf/bias-audit", response_model=BiasAuditPublic)
def bias_audit(
    project_id: PathId,
    ctx: Ctx,
    by: str = Query(
        "locale", max_length=120, description="locale, role, project_role, skills or skill:NAME"
    ),
    alpha: float = Query(0.05, gt=0, lt=1),
) -> BiasAuditPublic:
    """Preference and rating distributions by annotator group, each with its test
    (chi-square; Mann-Whitney or Kruskal-Wallis), Holm-adjusted (managers)."""
    with ctx.db.read_session() as s:
        audit = project_bias_audit(s, ctx.actor, project_id, by=by, alpha=alpha)
    rows = [GroupAuditPublic.model_validate(a, from_attributes=True) for a in audit.audits]
    return BiasAuditPublic(
        project_id=audit.project_id,
        by=audit.by,
        alpha=audit.alpha,
        n_judgments=audit.n_judgments,
        annotators=audit.annotators,
        data=rows,
        count=len(rows),
        skipped=[SkippedAuditPublic(**x) for x in audit.skipped],
    )


class RewardScoresCreate(BaseModel):
    model: str = Field(
        ..., max_length=100, description="a model under LABELWELL_HOME/reward-models"
    )


class RewardScoresPublic(Public):
    model_name: str
    model_version: str
    count: int
    n_done: int


@router.post("/projects/{project_id}/rlhf/reward-scores", response_model=RewardScoresPublic)
def reward_scores(project_id: PathId, body: RewardScoresCreate, ctx: Ctx) -> RewardScoresPublic:
    """Score the project's comparison items with a saved reward model and store the
    scores as predictions (managers); items this model version scored are skipped."""
    with ctx.db.read_session() as s:
        plan, folder = plan_saved_model_scoring(
            s, ctx.actor, project_id, ctx.settings.home, body.model
        )
    rewards = score_plan(plan, folder)
    with ctx.db.session() as s:
        count = store_reward_predictions(s, ctx.actor, plan, rewards)
    return RewardScoresPublic(
        model_name=plan.model_name,
        model_version=plan.model_version,
        count=count,
        n_done=plan.n_done,
    )
