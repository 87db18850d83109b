"""Items assigned to chosen annotators, the rule written once.

A manager may assign items to chosen people (the data manager's bulk action).
The queue then serves each person the items assigned to them before any other,
and an item that has assignees to its assignees only; an item with none goes to
anyone, as before. Gold items are not slot-based and are drawn as always.

* SQL fragments the queue's candidate statements are built from
  (:mod:`.statements`); PostgreSQL's ``labelwell_next_task`` (migration 0018)
  runs the same ones, which ``tests/store/test_queue_functions.py`` checks;
* :func:`served_to`, the same rule for ORM queries (the workspace's
  "n left for you");
* :func:`assign` and :func:`unassign`, the only writers of ``item_assignees``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, delete, exists, insert, or_, select
from sqlalchemy.orm import Session

from labelwell.store.db import rows_changed
from labelwell.store.tables import ItemAssignee, utcnow

#: the item is assigned to nobody (the primary key (item_id, user_id) answers)
UNASSIGNED = "NOT EXISTS (SELECT 1 FROM item_assignees ia WHERE ia.item_id = i.id)"
#: the items assigned to ``{user}`` in ``{project}`` (ix_item_assignees_user)
MINE = (
    "FROM item_assignees ia JOIN items i ON i.id = ia.item_id"
    " WHERE ia.user_id = {user} AND ia.project_id = {project}"
)

#: rows written per statement
CHUNK = 2_000


def sql(fragment: str, user: str = "?", project: str = "?") -> str:
    """A fragment with the caller and project as parameter markers (by default)
    or PL/pgSQL variables."""
    return fragment.format(user=user, project=project)


def served_to(user_id: int) -> ColumnElement[bool]:
    """The rule for ORM queries over ``items``: assigned to nobody, or to ``user_id``."""
    from labelwell.store.tables import Item

    anyone = exists().where(ItemAssignee.item_id == Item.id)
    mine = exists().where(ItemAssignee.item_id == Item.id, ItemAssignee.user_id == user_id)
    return or_(~anyone, mine)


def assign(
    session: Session, project_id: int, item_ids: Sequence[int], user_ids: Sequence[int]
) -> int:
    """Assign the items (of ``project_id``, checked by the caller) to each person;
    returns the assignments added (those already there are kept)."""
    added = 0
    now = utcnow()
    for user_id in sorted(set(user_ids)):
        for start in range(0, len(item_ids), CHUNK):
            part = list(item_ids[start : start + CHUNK])
            have = set(
                session.scalars(
                    select(ItemAssignee.item_id).where(
                        ItemAssignee.user_id == user_id, ItemAssignee.item_id.in_(part)
                    )
                )
            )
            rows = [
                {"item_id": i, "user_id": user_id, "project_id": project_id, "assigned_at": now}
                for i in part
                if i not in have
            ]
            if rows:
                session.execute(insert(ItemAssignee), rows)
            added += len(rows)
    return added


def unassign(
    session: Session, item_ids: Sequence[int], user_ids: Sequence[int] | None = None
) -> int:
    """Take the items away from these people (from everyone when ``user_ids`` is
    None); returns the assignments removed. The items go back to anyone."""
    removed = 0
    for start in range(0, len(item_ids), CHUNK):
        part = list(item_ids[start : start + CHUNK])
        condition: ColumnElement[bool] = ItemAssignee.item_id.in_(part)
        if user_ids is not None:
            condition = and_(condition, ItemAssignee.user_id.in_(sorted(set(user_ids))))
        removed += rows_changed(session, delete(ItemAssignee).where(condition))
    return removed
