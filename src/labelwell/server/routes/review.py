"""Review inside the workspace: labels returned to their annotator and redone,
an item's history, its comment thread and the mentions that notify people."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from labelwell.server.deps import Ctx
from labelwell.server.pagination import decode_cursor, next_cursor
from labelwell.server.schemas import AnnotationForRater, AnnotationPublic, Page, PathId, page_of
from labelwell.server.schemas_review import (
    CommentCreate,
    CommentPublic,
    MentionPublic,
    MentionsPublic,
    MentionsRead,
    RedoRequest,
    ReturnedPublic,
    RevisionPublic,
)
from labelwell.server.views import annotation_view
from labelwell.work import comments, item_history, returned
from labelwell.work.policies import audience

router = APIRouter(tags=["review"])


@router.get("/projects/{project_id}/returned", response_model=Page[ReturnedPublic])
def list_returned(
    project_id: PathId,
    ctx: Ctx,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> Page[ReturnedPublic]:
    """Your labels a reviewer rejected, each with the reviewer's comment."""
    with ctx.db.read_session() as s:
        found = returned.returned_to(
            s, ctx.actor, project_id, after=decode_cursor(cursor), limit=limit
        )
        data = [ReturnedPublic.of(e) for e in found]
    ids = [e.annotation_id for e in data]
    return Page(data=data, count=len(data), next_cursor=next_cursor(ids, limit))


@router.post(
    "/annotations/{annotation_id}/redo",
    response_model=AnnotationPublic | AnnotationForRater,
    status_code=status.HTTP_201_CREATED,
)
def redo(
    annotation_id: PathId, body: RedoRequest, ctx: Ctx
) -> AnnotationPublic | AnnotationForRater:
    """Answer a returned label again: a new revision, back in the review queue."""
    with ctx.db.session() as s:
        new = returned.redo(
            s, ctx.actor, annotation_id, body.result, time_spent_ms=body.time_spent_ms
        )
        return annotation_view(new, audience(s, ctx.actor, new.project_id))


@router.get("/items/{item_id}/history", response_model=Page[RevisionPublic])
def history(item_id: PathId, ctx: Ctx) -> Page[RevisionPublic]:
    """Every revision of the item's labels you may see, oldest first, with reviews."""
    with ctx.db.read_session() as s:
        return page_of(
            item_history.item_history(s, ctx.actor, item_id), RevisionPublic.model_validate
        )


@router.get("/items/{item_id}/comments", response_model=Page[CommentPublic])
def list_comments(item_id: PathId, ctx: Ctx) -> Page[CommentPublic]:
    """The item's comment thread, oldest first."""
    with ctx.db.read_session() as s:
        return page_of(comments.list_comments(s, ctx.actor, item_id), CommentPublic.model_validate)


@router.post(
    "/items/{item_id}/comments",
    response_model=CommentPublic,
    status_code=status.HTTP_201_CREATED,
)
def add_comment(item_id: PathId, body: CommentCreate, ctx: Ctx) -> CommentPublic:
    """Post to the item's thread; ``@email`` notifies that project member."""
    with ctx.db.session() as s:
        return CommentPublic.model_validate(comments.add_comment(s, ctx.actor, item_id, body.body))


@router.get("/me/mentions", response_model=MentionsPublic)
def mentions(ctx: Ctx, limit: int = Query(50, ge=1, le=500)) -> MentionsPublic:
    """Comments that mention you, newest first, and how many are unread."""
    with ctx.db.read_session() as s:
        found = comments.list_mentions(s, ctx.actor, limit=limit)
        unread = comments.unread_mentions(s, ctx.actor)
    data = [
        MentionPublic(comment=CommentPublic.model_validate(m.comment), seen=m.seen) for m in found
    ]
    return MentionsPublic(data=data, count=len(data), unread=unread)


@router.post("/me/mentions/read", response_model=MentionsRead)
def read_mentions(ctx: Ctx) -> MentionsRead:
    """Mark your mentions read (the notification count goes to 0)."""
    with ctx.db.session() as s:
        return MentionsRead(marked=comments.read_mentions(s, ctx.actor))
