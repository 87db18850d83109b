"""One item as the data manager opens it: its data, every answer side by side
(current and earlier revisions, people's, models' and consensus), the model
predictions and the gold answer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import NotFound
from labelwell.store.tables import Annotation, GoldAnswer, Item, Prediction, Project
from labelwell.work import labels
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.published import published

MAX_ANSWERS = 1000


@dataclass(frozen=True, slots=True)
class ItemDetail:
    project: Project
    item: Item
    annotations: list[Annotation]
    predictions: list[Prediction]
    gold: GoldAnswer | None


def item_detail(session: Session, actor: Actor, project_id: int, item_id: int) -> ItemDetail:
    """Managers only (the page shows gold answers and every person's answers)."""
    project = authorize(session, actor, project_id, Permission.manage)
    item = session.scalar(select(Item).where(Item.id == item_id, published()))
    if item is None or item.project_id != project_id:
        raise NotFound(f"no item {item_id} in project {project_id}")
    answers = labels.list_annotations(
        session, actor, project_id, item_id=item_id, include_history=True, limit=MAX_ANSWERS
    )
    return ItemDetail(
        project,
        item,
        answers,
        labels.list_predictions(session, actor, item_id),
        session.get(GoldAnswer, item_id),
    )
