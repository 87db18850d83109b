"""Labels returned to their annotator: a reviewer rejected them with a comment
(:func:`labelwell.work.labels.review_annotation`), and the annotator redoes them
as a new revision that goes back to the ``submitted`` review queue.

``GET /projects/{id}/returned`` and the workspace's "returned to me" list read
:func:`returned_to`; ``POST /annotations/{id}/redo`` calls :func:`redo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, NotFound
from labelwell.store.tables import Annotation, Item, Review, User, utcnow
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize, rater_data
from labelwell.work.projects import ontology_of


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
    item = session.get(Item, old.item_id)
    assert item is not None
    ontology_of(project).validate(result, item.data)
    session.execute(update(Annotation).where(Annotation.id == old.id).values(is_current=False))
    new = Annotation(
        item_id=old.item_id,
        project_id=old.project_id,
        user_id=actor.id,
        assignment_id=old.assignment_id,
        source=old.source,
        agent=old.agent,
        result=result,
        guideline_version=old.guideline_version,
        time_spent_ms=(old.time_spent_ms or 0) + (time_spent_ms or 0),
        status="submitted",
        is_gold_check=old.is_gold_check,
        revision=old.revision + 1,
        supersedes_id=old.id,
        is_current=True,
        details={**(old.details or {}), "redo_of": old.id},
        created_at=utcnow(),
    )
    session.add(new)
    session.flush()
    audit.record(
        session,
        actor,
        "annotation.redo",
        project_id=project.id,
        target_type="annotation",
        target_id=new.id,
        details={"supersedes": old.id, "revision": new.revision},
    )
    return new
