"""Annotations: read, revise (keeping the earlier revision), history, review."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_cursor, next_cursor
from labelwell.server.schemas import (
    MAX_ID,
    AnnotationPublic,
    AnnotationRevise,
    Page,
    PathId,
    ReviewCreate,
    ReviewPublic,
)
from labelwell.store.tables import Annotation, Review
from labelwell.work import labels

router = APIRouter(tags=["annotations"])


@router.get("/projects/{project_id}/annotations", response_model=Page[AnnotationPublic])
def list_annotations(
    project_id: PathId,
    ctx: Ctx,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    item_id: int | None = Query(None, ge=1, le=MAX_ID),
    include_history: bool = False,
) -> Page[AnnotationPublic]:
    """Annotations you may see: your own, and others' unless the project is blind."""
    with ctx.db.read_session() as s:
        rows = labels.list_annotations(
            s,
            ctx.actor,
            project_id,
            after=decode_cursor(cursor),
            limit=limit,
            item_id=item_id,
            include_history=include_history,
        )
        data = [AnnotationPublic.model_validate(r) for r in rows]
    return Page(data=data, count=len(data), next_cursor=next_cursor([a.id for a in data], limit))


@router.get("/annotations/{annotation_id}", response_model=AnnotationPublic)
def get_annotation(annotation_id: PathId, ctx: Ctx) -> Annotation:
    with ctx.db.read_session() as s:
        return labels.get_annotation(s, ctx.actor, annotation_id)


@router.patch("/annotations/{annotation_id}", response_model=AnnotationPublic)
def revise_annotation(annotation_id: PathId, body: AnnotationRevise, ctx: Ctx) -> Annotation:
    with ctx.db.session() as s:
        return labels.revise_annotation(
            s, ctx.actor, annotation_id, body.result, time_spent_ms=body.time_spent_ms
        )


@router.get("/annotations/{annotation_id}/revisions", response_model=Page[AnnotationPublic])
def revisions(annotation_id: PathId, ctx: Ctx) -> Page[AnnotationPublic]:
    with ctx.db.read_session() as s:
        data = [
            AnnotationPublic.model_validate(a)
            for a in labels.revisions(s, ctx.actor, annotation_id)
        ]
    return Page(data=data, count=len(data))


@router.post(
    "/annotations/{annotation_id}/reviews",
    response_model=ReviewPublic,
    status_code=status.HTTP_201_CREATED,
)
def review(annotation_id: PathId, body: ReviewCreate, ctx: Ctx) -> Review:
    with ctx.db.session() as s:
        return labels.review_annotation(
            s, ctx.actor, annotation_id, body.decision, comment=body.comment, result=body.result
        )
