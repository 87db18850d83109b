"""Request and response schemas of review inside the workspace: labels returned
to their annotator, an item's history, comments and mentions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from labelwell.server.schemas import Public, Strict, fields_of
from labelwell.work.comments import MAX_BODY, CommentView
from labelwell.work.item_history import ReviewEvent, Revision
from labelwell.work.returned import Returned, returned_item_data
from labelwell.work.workspace import OwnLabel


class OwnLabelPublic(fields_of(OwnLabel)):  # type: ignore[misc]
    """One of your labels: the item as you saw it and the revision of your answer."""


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


class ReviewEventPublic(fields_of(ReviewEvent)): ...  # type: ignore[misc]


class RevisionPublic(fields_of(Revision, required=True)):  # type: ignore[misc]
    """A stored label of the item: ``kind`` annotation or prediction; ``source``
    human, consensus, model or labeling_function; ``supersedes_id`` the revision
    it replaced. ``status`` and ``is_current`` for managers only."""

    reviews: list[ReviewEventPublic]


class CommentCreate(Strict):
    body: str = Field(max_length=MAX_BODY, description="Text; @email mentions a project member.")


class CommentPublic(fields_of(CommentView)): ...  # type: ignore[misc]


class MentionPublic(Public):
    comment: CommentPublic
    seen: bool


class MentionsPublic(Public):
    data: list[MentionPublic]
    count: int
    unread: int


class MentionsRead(Public):
    marked: int
