"""The review queues: items awaiting a decision, each with the annotations the
caller may see side by side (:func:`labelwell.work.labels.visible_to`; raters
never get gold checks). ``GET /projects/{id}/review-queue``, the SDK, the
review page and the escalation inbox all list them through :func:`review_queue`.

``state`` names the queue:

* ``submitted``: items with an answer awaiting a reviewer's accept, reject or
  fix (annotation status ``submitted``); items whose answers disagree (results
  compared ignoring region ids, :func:`answer_key`) first, then by item id;
* ``review``, ``escalated``, ``resolved``: items in that consensus
  ``review_state`` (:mod:`labelwell.work.consensus`), by item id.

Paging is by position (:class:`QueuePosition`), never by offset, so a page
costs the same at the end of a million items as at the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, and_, case, cast, distinct, func, select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Annotation, Item, Project
from labelwell.work.actors import Actor
from labelwell.work.labels import visible_to
from labelwell.work.policies import Permission, audience, authorize

QUEUES = ("submitted", "review", "escalated", "resolved")

#: items looked at per request of the ``submitted`` queue at most: a page may
#: hold fewer than ``limit`` items and still have a next position
SCAN_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """Where a page of a queue ended: after item ``after``; in the ``submitted``
    queue, ``agreeing`` once every disagreement has been listed."""

    after: int = 0
    agreeing: bool = False


@dataclass(frozen=True)
class QueueEntry:
    """An item awaiting a decision, with its annotations side by side."""

    item: Item
    annotations: list[Annotation]
    disagree: bool = False


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry] = field(default_factory=list)
    #: where the next page starts; None at the end of the queue
    next: QueuePosition | None = None


def answer_key(result: dict[str, Any] | None) -> bytes:
    """A result's identity ignoring region ids (two annotators never share them)
    and the order of regions."""

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "id"}
        if isinstance(v, list):
            return sorted(
                (strip(x) for x in v), key=lambda x: orjson.dumps(x, option=orjson.OPT_SORT_KEYS)
            )
        return v

    return orjson.dumps(strip(result or {}), option=orjson.OPT_SORT_KEYS)


def disagree(annotations: list[Annotation]) -> bool:
    return len({answer_key(a.result) for a in annotations}) > 1


def review_queue(
    session: Session,
    actor: Actor,
    project_id: int,
    state: str = "review",
    *,
    position: QueuePosition | None = None,
    limit: int = 50,
) -> QueuePage:
    """A page of the queue ``state`` from ``position``; reviewers and managers."""
    project = authorize(session, actor, project_id, Permission.review)
    if state not in QUEUES:
        raise InvalidInput(f"state: must be one of {', '.join(QUEUES)}", field="state")
    position = position or QueuePosition()
    shown = _shown(session, actor, project)
    if state == "submitted":
        return _submitted(session, shown, position, limit)
    items = list(
        session.scalars(
            select(Item)
            .where(
                Item.project_id == project.id,
                Item.review_state == state,
                Item.id > position.after,
            )
            .order_by(Item.id)
            .limit(limit)
        )
    )
    by_item = _annotations(session, [i.id for i in items], shown)
    entries = [QueueEntry(i, by_item[i.id], disagree(by_item[i.id])) for i in items]
    after = QueuePosition(items[-1].id) if len(items) == limit else None
    return QueuePage(entries, after)


def _shown(session: Session, actor: Actor, project: Project) -> ColumnElement[bool]:
    """The annotations a queue shows ``actor``: those they may see, less gold
    checks for raters (scored against the gold answer, never reviewed by them)."""
    rule = and_(Annotation.project_id == project.id, visible_to(session, actor, project))
    if not audience(session, actor, project.id).sees_gold:
        rule = and_(rule, Annotation.is_gold_check.is_(False))
    return rule


def _annotations(
    session: Session, item_ids: list[int], shown: ColumnElement[bool]
) -> dict[int, list[Annotation]]:
    by_item: dict[int, list[Annotation]] = {i: [] for i in item_ids}
    if item_ids:
        for a in session.scalars(
            select(Annotation)
            .where(shown, Annotation.item_id.in_(item_ids))
            .order_by(Annotation.id)
        ):
            by_item[a.item_id].append(a)
    return by_item


def _submitted(
    session: Session, shown: ColumnElement[bool], position: QueuePosition, limit: int
) -> QueuePage:
    """The ``submitted`` queue in two passes over item ids: the disagreements,
    then the others. Items whose shown results are all the same JSON cannot
    disagree, so the first pass only looks at items with two results or more."""
    pending = func.sum(case((Annotation.status == "submitted", 1), else_=0)) > 0
    variants = func.count(distinct(cast(Annotation.result, Text))) > 1
    entries: list[QueueEntry] = []
    agreeing, after, scanned = position.agreeing, position.after, 0
    while True:
        batch = max(limit - len(entries), 100)
        candidates = list(
            session.scalars(
                select(Annotation.item_id)
                .where(shown, Annotation.item_id > after)
                .group_by(Annotation.item_id)
                .having(pending if agreeing else and_(pending, variants))
                .order_by(Annotation.item_id)
                .limit(batch)
            )
        )
        by_item = _annotations(session, candidates, shown)
        items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(candidates)))}
        for item_id in candidates:
            scanned += 1
            after = item_id
            split = disagree(by_item[item_id])
            if split != agreeing:
                entries.append(QueueEntry(items[item_id], by_item[item_id], split))
                if len(entries) == limit:
                    return QueuePage(entries, QueuePosition(after, agreeing))
        if len(candidates) < batch:  # this pass is over
            if agreeing:
                return QueuePage(entries, None)
            agreeing, after = True, 0
        if scanned >= SCAN_LIMIT:
            return QueuePage(entries, QueuePosition(after, agreeing))
