"""Request and response schemas of review inside the workspace: labels returned
to their annotator, an item's history, comments and mentions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from labelwell.server.schemas import Public, Strict
from labelwell.work.comments import MAX_BODY, CommentView
from labelwell.work.item_history import Revision
from labelwell.work.returned import Returned, returned_item_data


class OwnLabelPublic(Public):
    """One of your labels: the item as you saw it and the revision of your answer."""

    annotation_id: int
    item_id: int
    data: dict[str, Any]
    media: list[str]
    result: dict[str, Any]
    revision: int


class ReturnedPublic(OwnLabelPublic):
    """One of your labels a reviewer rejected: the item, your answer, and why."""

    comment: str
    reviewer: str
    rejected_at: datetime

    @classmethod
    def of(cls, entry: Returned) -> ReturnedPublic:
        a = entry.annotation
        return cls(
            annotation_id=a.id,
            item_id=a.item_id,
            data=returned_item_data(entry),
            media=entry.item.media or [],
            result=a.result,
            revision=a.revision,
            comment=entry.comment,
            reviewer=entry.reviewer,
            rejected_at=entry.rejected_at,
        )


class RedoRequest(Strict):
    result: dict[str, Any]
    time_spent_ms: int | None = Field(default=None, ge=0)


class ReviewEventPublic(Public):
    decision: str
    comment: str
    reviewer: str
    fixed_annotation_id: int | None
    created_at: datetime


class RevisionPublic(Public):
    """A stored label of the item: ``kind`` annotation or prediction; ``source``
    human, consensus, model or labeling_function; ``supersedes_id`` the revision
    it replaced. ``status`` and ``is_current`` for managers only."""

    kind: str
    id: int
    source: str
    agent: str
    result: dict[str, Any]
    created_at: datetime
    revision: int
    supersedes_id: int | None
    status: str | None
    is_current: bool | None
    reviews: list[ReviewEventPublic]

    @classmethod
    def of(cls, r: Revision) -> RevisionPublic:
        return cls(
            kind=r.kind,
            id=r.id,
            source=r.source,
            agent=r.agent,
            result=r.result,
            created_at=r.created_at,
            revision=r.revision,
            supersedes_id=r.supersedes_id,
            status=r.status,
            is_current=r.is_current,
            reviews=[ReviewEventPublic(**vars(e)) for e in r.reviews],
        )


class CommentCreate(Strict):
    body: str = Field(max_length=MAX_BODY, description="Text; @email mentions a project member.")


class CommentPublic(Public):
    id: int
    item_id: int
    project_id: int
    author: str
    body: str
    mentions: list[str]
    created_at: datetime

    @classmethod
    def of(cls, c: CommentView) -> CommentPublic:
        return cls(**vars(c))


class MentionPublic(Public):
    comment: CommentPublic
    seen: bool


class MentionsPublic(Public):
    data: list[MentionPublic]
    count: int
    unread: int


class MentionsRead(Public):
    marked: int
