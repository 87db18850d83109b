"""Assigning a selection of the item table to chosen annotators, and taking it
back: the bulk actions over :mod:`labelwell.work.queue.assignees`, audited as
every action is (:mod:`.actions`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.store.tables import Item, Member, User
from labelwell.work.actors import Actor
from labelwell.work.data_manager.actions import Outcome, Selection, _chunks, _record, selected_ids
from labelwell.work.policies import Permission, authorize
from labelwell.work.queue import assignees

#: people one assignment names, at most
MAX_ASSIGNEES = 100


def _annotators(session: Session, project_id: int, user_ids: list[int]) -> list[int]:
    """The people to assign to: 1 to ``MAX_ASSIGNEES`` active members of the
    project; ``InvalidInput`` naming the first id that is not one."""
    if not 1 <= len(set(user_ids)) <= MAX_ASSIGNEES:
        raise InvalidInput(f"user_ids: 1 to {MAX_ASSIGNEES} people", field="user_ids")
    wanted = sorted(set(user_ids))
    members = set(
        session.scalars(
            select(Member.user_id)
            .join(User, User.id == Member.user_id)
            .where(
                Member.project_id == project_id,
                Member.user_id.in_(wanted),
                User.is_active.is_(True),
            )
        )
    )
    for position, user_id in enumerate(user_ids):
        if user_id not in members:
            raise InvalidInput(
                f"user_ids[{position}]: user {user_id} is not an active member of this project",
                field=f"user_ids[{position}]",
            )
    return wanted


def assign(
    session: Session, actor: Actor, project_id: int, selection: Selection, user_ids: list[int]
) -> Outcome:
    """Assign the selected items to these annotators: the queue serves each of
    them their assigned items first, and these items to their assignees only
    (:mod:`labelwell.work.queue.assignees`). Gold items are skipped (they are
    drawn for everyone); items already assigned to a person stay so."""
    authorize(session, actor, project_id, Permission.manage)
    people = _annotators(session, project_id, user_ids)
    ids = selected_ids(session, project_id, selection)
    regular = [
        item_id
        for part in _chunks(ids)
        for item_id in session.scalars(
            select(Item.id).where(Item.id.in_(part), Item.is_gold.is_(False)).order_by(Item.id)
        )
    ]
    added = assignees.assign(session, project_id, regular, people)
    outcome = Outcome("assign", len(ids), added, len(ids) - len(regular))
    _record(session, actor, project_id, outcome, selection, user_ids=people)
    return outcome


def unassign(
    session: Session,
    actor: Actor,
    project_id: int,
    selection: Selection,
    user_ids: list[int] | None = None,
) -> Outcome:
    """Take the selected items away from these people (from everyone when
    ``user_ids`` is None): with no assignee left an item goes to anyone again."""
    authorize(session, actor, project_id, Permission.manage)
    if user_ids is not None and not 1 <= len(set(user_ids)) <= MAX_ASSIGNEES:
        raise InvalidInput(f"user_ids: 1 to {MAX_ASSIGNEES} people", field="user_ids")
    ids = selected_ids(session, project_id, selection)
    removed = assignees.unassign(session, ids, user_ids)
    outcome = Outcome("unassign", len(ids), removed)
    people = sorted(set(user_ids)) if user_ids is not None else "all"
    _record(session, actor, project_id, outcome, selection, user_ids=people)
    return outcome
