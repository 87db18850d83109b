"""Annotations: read, revise (keeping the earlier revision), history, review.

Raters get :class:`AnnotationForRater` and managers :class:`AnnotationPublic`
(:func:`labelwell.server.views.annotation_view`)."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_cursor
from labelwell.server.schemas import (
    MAX_ID,
    AnnotationForRater,
    AnnotationPublic,
    AnnotationRevise,
    Page,
    PathId,
    ReviewCreate,
    ReviewPublic,
)
from labelwell.server.views import annotation_page, annotation_view
from labelwell.store.tables import Review
from labelwell.work import labels
from labelwell.work.policies import audience

router = APIRouter(tags=["annotations"])

AnnotationShown = AnnotationPublic | AnnotationForRater
PageShown = Page[AnnotationPublic] | Page[AnnotationForRater]


@router.get("/projects/{project_id}/annotations", response_model=PageShown)
def list_annotations(
    project_id: PathId,
    ctx: Ctx,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    item_id: int | None = Query(None, ge=1, le=MAX_ID),
    include_history: bool = False,
) -> PageShown:
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
        return annotation_page(rows, audience(s, ctx.actor, project_id), limit)


@router.get("/annotations/{annotation_id}", response_model=AnnotationShown)
def get_annotation(annotation_id: PathId, ctx: Ctx) -> AnnotationShown:
    with ctx.db.read_session() as s:
        annotation = labels.get_annotation(s, ctx.actor, annotation_id)
        return annotation_view(annotation, audience(s, ctx.actor, annotation.project_id))


@router.patch("/annotations/{annotation_id}", response_model=AnnotationShown)
def revise_annotation(annotation_id: PathId, body: AnnotationRevise, ctx: Ctx) -> AnnotationShown:
    with ctx.db.session() as s:
        new = labels.revise_annotation(
            s, ctx.actor, annotation_id, body.result, time_spent_ms=body.time_spent_ms
        )
        return annotation_view(new, audience(s, ctx.actor, new.project_id))


@router.get("/annotations/{annotation_id}/revisions", response_model=PageShown)
def revisions(annotation_id: PathId, ctx: Ctx) -> PageShown:
    with ctx.db.read_session() as s:
        chain = labels.revisions(s, ctx.actor, annotation_id)
        return annotation_page(chain, audience(s, ctx.actor, chain[0].project_id))


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
