"""An item's history: every revision of every label the caller may see, who made
it, when and how (``source``: human, consensus; a reviewer's fix and an
annotator's redo are human revisions that name what they replace), the reviews
of each, and, for managers, the model and labeling-function predictions.

Visibility is the annotations API's (:func:`labelwell.work.labels.visible_to`
without ``current``): annotators in blind projects see their own revisions only,
and raters never see others' answers on gold items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import NotFound
from labelwell.store.tables import Annotation, Assignment, Item, Prediction, Review, User
from labelwell.work.actors import Actor
from labelwell.work.labels import visible_to
from labelwell.work.policies import Permission, audience, authorize, project_role, rater_data


@dataclass(frozen=True)
class ReviewEvent:
    decision: str
    comment: str
    reviewer: str
    fixed_annotation_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class Revision:
    """One stored label: an annotation row, or a prediction (``source`` model or
    labeling_function, ``agent`` the model's name and version)."""

    kind: str  # annotation | prediction
    id: int
    source: str
    agent: str
    result: dict[str, Any]
    created_at: datetime
    revision: int = 1
    supersedes_id: int | None = None
    status: str | None = None
    is_current: bool | None = None
    reviews: list[ReviewEvent] = field(default_factory=list)


def open_item(session: Session, actor: Actor, item_id: int) -> Item:
    """The item if the caller may look into it: managers and reviewers any item of
    their project, annotators the items they were given (gold ones among them,
    so a missing answer never tells gold apart)."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    authorize(session, actor, item.project_id, Permission.view)
    if project_role(session, actor, item.project_id) == "annotator":
        given = session.scalar(
            select(Assignment.id)
            .where(Assignment.item_id == item_id, Assignment.user_id == actor.id)
            .limit(1)
        )
        if given is None:
            raise NotFound(f"no item {item_id}")
    return item


def item_history(session: Session, actor: Actor, item_id: int) -> list[Revision]:
    """The item's labels oldest first, each with its reviews."""
    item = open_item(session, actor, item_id)
    project = authorize(session, actor, item.project_id, Permission.view)
    seen = audience(session, actor, project.id)
    rows = list(
        session.scalars(
            select(Annotation)
            .where(
                Annotation.item_id == item_id,
                Annotation.project_id == project.id,
                visible_to(session, actor, project, current=False),
            )
            .order_by(Annotation.id)
        )
    )
    by_annotation: dict[int, list[ReviewEvent]] = {a.id: [] for a in rows}
    if rows:
        for review, email in session.execute(
            select(Review, User.email)
            .outerjoin(User, User.id == Review.reviewer_id)
            .where(Review.annotation_id.in_(list(by_annotation)))
            .order_by(Review.id)
        ):
            by_annotation[review.annotation_id].append(
                ReviewEvent(
                    review.decision,
                    review.comment,
                    email or "",
                    review.fixed_annotation_id,
                    review.created_at,
                )
            )
    found = [
        Revision(
            "annotation",
            a.id,
            a.source,
            a.agent,
            a.result,
            a.created_at,
            a.revision,
            a.supersedes_id,
            a.status if seen.sees_gold else None,
            a.is_current if seen.sees_gold else None,
            by_annotation[a.id],
        )
        for a in rows
    ]
    if seen.sees_models:
        for p in session.scalars(
            select(Prediction).where(Prediction.item_id == item_id).order_by(Prediction.id)
        ):
            agent = f"{p.model_name}@{p.model_version}" if p.model_version else p.model_name
            found.append(Revision("prediction", p.id, p.source, agent, p.result, p.created_at))
    found.sort(key=lambda r: (r.created_at, r.kind, r.id))
    return found


@dataclass(frozen=True)
class ItemShown:
    """An item as the caller may see it on its history page."""

    id: int
    project_id: int
    project_name: str
    ontology: dict[str, Any]
    data: dict[str, Any]
    media: list[str]


def item_shown(session: Session, actor: Actor, item_id: int) -> ItemShown:
    """The item for its history page: raters get the responses without model names."""
    item = open_item(session, actor, item_id)
    project = authorize(session, actor, item.project_id, Permission.view)
    seen = audience(session, actor, project.id)
    data = item.data if seen.sees_models else rater_data(item.data)
    return ItemShown(item.id, project.id, project.name, project.ontology, data, item.media or [])
