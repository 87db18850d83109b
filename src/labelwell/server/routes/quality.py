"""Quality: the project report, the review and escalation queues, adjudication."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, status

from labelwell.quality.registry import AGGREGATORS
from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_position
from labelwell.server.schemas import (
    AdjudicateRequest,
    Page,
    PathId,
    QualityReportPublic,
    ReviewAnnotationPublic,
    ReviewItemForReviewer,
    ReviewItemPublic,
)
from labelwell.server.views import review_page
from labelwell.store.tables import Annotation
from labelwell.work import consensus
from labelwell.work import review_queue as queues
from labelwell.work.policies import audience
from labelwell.work.quality_report import quality_report

router = APIRouter(tags=["quality"])


@router.get("/projects/{project_id}/quality", response_model=QualityReportPublic)
def report(
    project_id: PathId,
    ctx: Ctx,
    method: str = Query(
        "mv",
        max_length=40,
        description=f"an aggregation method ({', '.join(AGGREGATORS.names())}) or auto",
    ),
    max_labels: int = Query(1000, ge=0, le=1_000_000),
) -> QualityReportPublic:
    """Agreement, gold accuracy, anomalies, aggregated labels and backlog (managers)."""
    with ctx.db.read_session() as s:
        found = quality_report(s, ctx.actor, project_id, method=method, max_labels=max_labels)
    return QualityReportPublic.model_validate(found)


@router.get(
    "/projects/{project_id}/review-queue",
    response_model=Page[ReviewItemPublic] | Page[ReviewItemForReviewer],
)
def review_queue(
    project_id: PathId,
    ctx: Ctx,
    state: Literal["submitted", "review", "escalated", "resolved"] = "review",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> Page[ReviewItemPublic] | Page[ReviewItemForReviewer]:
    """Items awaiting a decision, with the annotations the caller may see side by
    side: ``submitted`` (answers awaiting accept, reject or fix; disagreements
    first; a page may hold fewer than ``limit`` items and still have a
    ``next_cursor``), or in consensus ``review``, ``escalated`` or ``resolved``.
    Reviewers and managers; reviewers get no gold flags or model names."""
    with ctx.db.read_session() as s:
        found = queues.review_queue(
            s, ctx.actor, project_id, state, position=decode_position(cursor), limit=limit
        )
        return review_page(found, audience(s, ctx.actor, project_id))


@router.post(
    "/items/{item_id}/adjudicate",
    response_model=ReviewAnnotationPublic,
    status_code=status.HTTP_201_CREATED,
)
def adjudicate(item_id: PathId, body: AdjudicateRequest, ctx: Ctx) -> Annotation:
    """Settle an item: reviewers for items in review, managers for escalated ones."""
    with ctx.db.session() as s:
        return consensus.adjudicate(s, ctx.actor, item_id, body.result, note=body.note)
