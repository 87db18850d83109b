"""What the annotator's workspace shows beside the task: their progress (done
today, left for them) and their latest submissions, to go back to and edit.

Both answer the same for gold and regular items: an annotator never learns
which of their items were gold checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Annotation, Assignment, Item, utcnow
from labelwell.work.actors import Actor
from labelwell.work.labels import own_edit_closed
from labelwell.work.policies import Permission, authorize
from labelwell.work.published import published
from labelwell.work.queue.assignees import served_to
from labelwell.work.queue.records import annotator_view

#: how many of their latest submissions the workspace lists to go back to
RECENT_LIMIT = 10
#: "left for you" is counted up to this many (a count over a million items on
#: every submit would cost more than the task itself); beyond it the page says "1000+"
LEFT_COUNT_CAP = 1000
#: the widest UTC offset of a time zone, in minutes (UTC+14:00)
MAX_UTC_OFFSET = 14 * 60


@dataclass(frozen=True, slots=True)
class Progress:
    """``done_today``: items the annotator submitted since their midnight;
    ``left``: items they may still be given, their live lease included, at most
    :data:`LEFT_COUNT_CAP`, with ``left_capped`` when there are more.

    Gold items they have not had count as left like any other, so each submit
    takes one off whatever the item was: a count of regular items only would
    stay put after a gold check and tell it apart. Others may take an open
    item first, and gold checks come at the project's gold ratio (the queue
    may end with some never served), so ``left`` is an upper bound."""

    done_today: int
    left: int
    left_capped: bool


def progress(
    session: Session, actor: Actor, project_id: int, *, utc_offset_minutes: int = 0
) -> Progress:
    """The annotator's progress in a project; "today" starts at midnight in the
    time zone ``utc_offset_minutes`` east of UTC (the browser's)."""
    authorize(session, actor, project_id, Permission.annotate)
    if not -MAX_UTC_OFFSET <= utc_offset_minutes <= MAX_UTC_OFFSET:
        raise InvalidInput(
            f"utc_offset_minutes: must be between -{MAX_UTC_OFFSET} and {MAX_UTC_OFFSET}",
            field="utc_offset_minutes",
        )
    now = utcnow()
    shift = timedelta(minutes=utc_offset_minutes)
    midnight = (now + shift).replace(hour=0, minute=0, second=0, microsecond=0) - shift
    mine = (Assignment.user_id == actor.id, Assignment.project_id == project_id)
    done_today = session.scalar(
        select(func.count()).where(
            *mine, Assignment.status == "submitted", Assignment.finished_at >= midnight
        )
    )
    holding = session.scalar(
        select(func.count()).where(
            *mine, Assignment.status == "leased", Assignment.expires_at > now
        )
    )
    # the queue's own rules for its candidates (statements.CANDIDATE and
    # GOLD_CANDIDATES): published, never given to this annotator, and open and
    # assigned to nobody or to them (regular) or out of staging (gold)
    seen = exists().where(Assignment.item_id == Item.id, Assignment.user_id == actor.id)
    open_ids = (
        select(Item.id)
        .where(
            Item.project_id == project_id,
            or_(
                and_(Item.is_gold.is_(False), Item.status == "open", served_to(actor.id)),
                and_(Item.is_gold.is_(True), Item.status.in_(("open", "full", "done"))),
            ),
            ~seen,
            published(),
        )
        .limit(LEFT_COUNT_CAP + 1)
        .subquery()
    )
    open_left = session.scalar(select(func.count()).select_from(open_ids)) or 0
    left = open_left + (holding or 0)
    return Progress(
        done_today=done_today or 0,
        left=min(left, LEFT_COUNT_CAP),
        left_capped=left > LEFT_COUNT_CAP,
    )


@dataclass(frozen=True, slots=True)
class OwnLabel:
    """One of your labels: the item as you saw it and the revision of your answer."""

    annotation_id: int
    item_id: int
    data: dict[str, Any]
    media: list[str]
    result: dict[str, Any]
    revision: int


@dataclass(frozen=True, slots=True)
class Submission(OwnLabel):
    """One of the annotator's latest submissions: the item as they saw it and
    the current revision of their label, with whether they may still edit it
    (:func:`~labelwell.work.labels.own_edit_closed`)."""

    submitted_at: datetime
    editable: bool
    closed_reason: str | None


def recent_submissions(
    session: Session, actor: Actor, project_id: int, *, limit: int = RECENT_LIMIT
) -> list[Submission]:
    """The annotator's latest ``limit`` submitted items in a project, newest
    first (by when they submitted; an edit does not move an item up)."""
    project = authorize(session, actor, project_id, Permission.annotate)
    if not 1 <= limit <= RECENT_LIMIT:
        raise InvalidInput(f"limit: must be between 1 and {RECENT_LIMIT}", field="limit")
    rows = session.execute(
        select(Annotation, Item, Assignment.finished_at)
        .join(Assignment, Assignment.id == Annotation.assignment_id)
        .join(Item, Item.id == Annotation.item_id)
        .where(
            Assignment.user_id == actor.id,
            Assignment.project_id == project_id,
            Assignment.status == "submitted",
            Annotation.user_id == actor.id,
            Annotation.is_current.is_(True),
        )
        .order_by(Assignment.finished_at.desc(), Assignment.id.desc())
        .limit(limit)
    ).all()
    out = []
    for annotation, item, finished_at in rows:
        closed = own_edit_closed(session, project, annotation)
        out.append(
            Submission(
                annotation_id=annotation.id,
                item_id=item.id,
                data=annotator_view(item.data),
                media=list(item.media or []),
                result=annotation.result,
                revision=annotation.revision,
                submitted_at=finished_at or annotation.created_at,
                editable=closed is None,
                closed_reason=closed,
            )
        )
    return out
