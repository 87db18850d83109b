"""Quality: the project report, the review and escalation queues, adjudication."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, status

from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_cursor, next_cursor
from labelwell.server.schemas import (
    AdjudicateRequest,
    Page,
    PathId,
    QualityReportPublic,
    ReviewAnnotationPublic,
    ReviewItemPublic,
)
from labelwell.store.tables import Annotation
from labelwell.work import consensus
from labelwell.work.quality_report import quality_report

router = APIRouter(tags=["quality"])


@router.get("/projects/{project_id}/quality", response_model=QualityReportPublic)
def report(
    project_id: PathId,
    ctx: Ctx,
    method: str = Query("mv", max_length=40, description="mv, wmv, ds, onecoin, glad, mace"),
    max_labels: int = Query(1000, ge=0, le=1_000_000),
) -> QualityReportPublic:
    """Agreement, gold accuracy, anomalies, aggregated labels and backlog (managers)."""
    with ctx.db.read_session() as s:
        found = quality_report(s, ctx.actor, project_id, method=method, max_labels=max_labels)
    return QualityReportPublic.model_validate(found)


@router.get("/projects/{project_id}/review-queue", response_model=Page[ReviewItemPublic])
def review_queue(
    project_id: PathId,
    ctx: Ctx,
    state: Literal["review", "escalated", "resolved"] = "review",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> Page[ReviewItemPublic]:
    """Items awaiting review or escalation, with every current annotation side by side
    (reviewers and managers)."""
    with ctx.db.read_session() as s:
        entries = consensus.review_queue(
            s, ctx.actor, project_id, state, after=decode_cursor(cursor), limit=limit
        )
        data = [
            ReviewItemPublic(
                id=e.item.id,
                external_id=e.item.external_id,
                data=e.item.data,
                media=e.item.media or [],
                status=e.item.status,
                review_state=e.item.review_state,
                annotations=[ReviewAnnotationPublic.model_validate(a) for a in e.annotations],
            )
            for e in entries
        ]
    return Page(data=data, count=len(data), next_cursor=next_cursor([d.id for d in data], limit))


@router.post(
    "/items/{item_id}/adjudicate",
    response_model=ReviewAnnotationPublic,
    status_code=status.HTTP_201_CREATED,
)
def adjudicate(item_id: PathId, body: AdjudicateRequest, ctx: Ctx) -> Annotation:
    """Settle an item: reviewers for items in review, managers for escalated ones."""
    with ctx.db.session() as s:
        return consensus.adjudicate(s, ctx.actor, item_id, body.result, note=body.note)
