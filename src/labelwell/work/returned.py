"""Labels returned to their annotator: a reviewer rejected them with a comment
(:func:`labelwell.work.labels.review_annotation`), and the annotator redoes them
as a new revision that goes back to the ``submitted`` review queue.

``GET /projects/{id}/returned`` and the workspace's "returned to me" list read
:func:`returned_to`; ``POST /annotations/{id}/redo`` calls :func:`redo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, NotFound
from labelwell.store.tables import Annotation, Item, Review, User
from labelwell.work.actors import Actor
from labelwell.work.labels import new_revision
from labelwell.work.policies import Permission, authorize, rater_data


@dataclass(frozen=True)
class Returned:
    """One of the caller's labels a reviewer rejected, with why and by whom."""

    annotation: Annotation
    item: Item
    comment: str
    reviewer: str
    rejected_at: Any


def returned_to(
    session: Session, actor: Actor, project_id: int, *, after: int = 0, limit: int = 50
) -> list[Returned]:
    """The caller's current labels in ``project_id`` that a reviewer rejected, by
    annotation id from ``after``; each with the latest rejection's comment."""
    authorize(session, actor, project_id, Permission.annotate)
    rows = list(
        session.scalars(
            select(Annotation)
            .where(
                Annotation.project_id == project_id,
                Annotation.user_id == actor.id,
                Annotation.is_current.is_(True),
                Annotation.status == "rejected",
                Annotation.id > after,
            )
            .order_by(Annotation.id)
            .limit(limit)
        )
    )
    ids = [a.id for a in rows]
    reviews: dict[int, tuple[Review, str]] = {}
    if ids:
        for review, email in session.execute(
            select(Review, User.email)
            .outerjoin(User, User.id == Review.reviewer_id)
            .where(Review.annotation_id.in_(ids), Review.decision == "reject")
            .order_by(Review.id)
        ):
            reviews[review.annotation_id] = (review, email or "")
    items = {
        i.id: i for i in session.scalars(select(Item).where(Item.id.in_({a.item_id for a in rows})))
    }
    found = []
    for a in rows:
        if a.id not in reviews:  # rejected otherwise than by a review: nothing to say why
            continue
        review, email = reviews[a.id]
        found.append(Returned(a, items[a.item_id], review.comment, email, review.created_at))
    return found


def returned_item_data(entry: Returned) -> dict[str, Any]:
    """The item's data as the annotator sees it (responses without model names)."""
    return rater_data(entry.item.data)


def redo(
    session: Session,
    actor: Actor,
    annotation_id: int,
    result: dict[str, Any],
    *,
    time_spent_ms: int | None = None,
) -> Annotation:
    """The annotator's new answer to a returned label: a new revision, back in the
    ``submitted`` review queue; the rejected one is kept (``is_current`` false)."""
    old = session.get(Annotation, annotation_id)
    if old is None or old.user_id != actor.id:
        raise NotFound(f"no annotation {annotation_id} of yours")
    project = authorize(session, actor, old.project_id, Permission.annotate)
    if not old.is_current:
        raise Conflict(f"annotation {annotation_id} has a newer revision; redo that one")
    if old.status != "rejected":
        raise Conflict(f"annotation {annotation_id} was not returned to you (it is {old.status})")
    return new_revision(
        session,
        actor,
        project,
        old,
        result,
        time_spent_ms=time_spent_ms,
        status="submitted",
        note={"redo_of": old.id},
        action="annotation.redo",
    )
