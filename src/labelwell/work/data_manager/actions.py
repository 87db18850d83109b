"""Acting on a selection of the item table: the ids ticked, or every item a
filter selects. Each action is one audited change, written in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, case, delete, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput
from labelwell.store.db import rows_changed
from labelwell.store.tables import Annotation, GoldAnswer, Item
from labelwell.work import audit, labels
from labelwell.work.actors import Actor
from labelwell.work.data_manager.query import TableQuery, where
from labelwell.work.events import ITEMS_CHANGED, ids, publish
from labelwell.work.export import export_to
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

#: ids given one by one, at most
MAX_IDS = 10_000
#: items changed per statement (and per IN list)
CHUNK = 2_000
ACTIONS = ("gold_set", "gold_clear", "review", "requeue", "delete", "prelabel")


@dataclass(frozen=True, slots=True)
class Selection:
    """The ids ticked (``item_ids``) or, when None, every item of ``query``."""

    item_ids: tuple[int, ...] | None = None
    query: TableQuery | None = None

    def check(self) -> None:
        if self.item_ids is None and self.query is None:
            raise InvalidInput("selection: give item_ids or a filter", field="item_ids")
        if self.item_ids is not None and not 1 <= len(self.item_ids) <= MAX_IDS:
            raise InvalidInput(f"item_ids: 1 to {MAX_IDS} ids", field="item_ids")

    def describe(self) -> dict[str, Any]:
        if self.item_ids is not None:
            return {"item_ids": len(self.item_ids)}
        assert self.query is not None
        return {"filter": self.query.as_state()}


@dataclass(frozen=True, slots=True)
class Outcome:
    action: str
    selected: int
    changed: int
    skipped: int = 0
    #: the background job queued (pre-labeling)
    job_id: int | None = None


def selected_ids(session: Session, project_id: int, selection: Selection) -> list[int]:
    """The selection's items of this project (ids of other projects drop out), in id order."""
    selection.check()
    conditions = where(session, project_id, selection.query or TableQuery())
    query = select(Item.id).where(*conditions).order_by(Item.id)
    if selection.item_ids is None:
        return list(session.scalars(query))
    wanted = sorted(set(selection.item_ids))
    found: list[int] = []
    for part in _chunks(wanted):
        found.extend(session.scalars(query.where(Item.id.in_(part))))
    return found


def conditions(
    session: Session, project_id: int, selection: Selection
) -> list[ColumnElement[bool]]:
    """The selection as conditions on ``items`` (for a reader that pages through
    the project itself, as the export does)."""
    selection.check()
    found = where(session, project_id, selection.query or TableQuery())
    if selection.item_ids is not None:
        found.append(Item.id.in_(sorted(set(selection.item_ids))))
    return found


def export(
    session: Session,
    actor: Actor,
    project_id: int,
    selection: Selection,
    exporter: Any,
    out: BinaryIO,
) -> int:
    """Write the selected items with their labels in ``exporter``'s format (the
    project export, restricted to the selection); returns the items written."""
    project = authorize(session, actor, project_id, Permission.manage)
    only = conditions(session, project_id, selection)
    written = export_to(session, project_id, exporter, out, ontology_of(project), only=only)
    return written


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _record(
    session: Session,
    actor: Actor,
    project_id: int,
    outcome: Outcome,
    selection: Selection,
    **extra: Any,
) -> None:
    audit.record(
        session,
        actor,
        f"items.{outcome.action}",
        project_id=project_id,
        target_type="items",
        details={
            **selection.describe(),
            "selected": outcome.selected,
            "changed": outcome.changed,
            "skipped": outcome.skipped,
            **extra,
        },
    )
    changed: dict[str, Any] = {"action": outcome.action, "count": outcome.changed}
    if selection.item_ids is not None:
        changed["item_ids"] = ids(sorted(selection.item_ids))
    publish(session, project_id, ITEMS_CHANGED, changed)


def set_gold(
    session: Session, actor: Actor, project_id: int, selection: Selection, result: dict[str, Any]
) -> Outcome:
    """Make the selected items gold with the answer ``result`` (checked against the
    ontology). Items already being labeled are skipped: gold items must be fresh."""
    authorize(session, actor, project_id, Permission.manage)
    ids = selected_ids(session, project_id, selection)
    if len(ids) > MAX_IDS:
        raise InvalidInput(
            f"selection: {len(ids)} items; gold answers are set on at most {MAX_IDS} at once",
            field="item_ids",
        )
    changed = skipped = 0
    for item_id in ids:
        try:
            with session.begin_nested():
                labels.set_gold(session, actor, item_id, result)
            changed += 1
        except Conflict:
            skipped += 1
    outcome = Outcome("gold_set", len(ids), changed, skipped)
    _record(session, actor, project_id, outcome, selection)
    return outcome


def clear_gold(session: Session, actor: Actor, project_id: int, selection: Selection) -> Outcome:
    """The selected items stop being gold; their gold answers are removed."""
    authorize(session, actor, project_id, Permission.manage)
    ids = selected_ids(session, project_id, selection)
    changed = 0
    for part in _chunks(ids):
        session.execute(delete(GoldAnswer).where(GoldAnswer.item_id.in_(part)))
        changed += rows_changed(
            session,
            update(Item).where(Item.id.in_(part), Item.is_gold.is_(True)).values(is_gold=False),
        )
    outcome = Outcome("gold_clear", len(ids), changed)
    _record(session, actor, project_id, outcome, selection)
    return outcome


def send_to_review(
    session: Session, actor: Actor, project_id: int, selection: Selection
) -> Outcome:
    """Put the selected items with labels in the review queue (``review_state =
    review``); items without labels, and gold items, are skipped."""
    authorize(session, actor, project_id, Permission.manage)
    ids = selected_ids(session, project_id, selection)
    changed = 0
    for part in _chunks(ids):
        changed += rows_changed(
            session,
            update(Item)
            .where(Item.id.in_(part), Item.n_done > 0, Item.is_gold.is_(False))
            .values(review_state="review"),
        )
    outcome = Outcome("review", len(ids), changed, len(ids) - changed)
    _record(session, actor, project_id, outcome, selection)
    return outcome


def requeue(session: Session, actor: Actor, project_id: int, selection: Selection) -> Outcome:
    """Send the selected labeled items back to the queue for a fresh round: their
    current human and consensus answers become history (``is_current`` false,
    kept and exported as revisions), their done slots are freed and their review
    state cleared. Live leases keep their slots. Whoever answered an item before
    is not given it again (one assignment per person and item, ever)."""
    project = authorize(session, actor, project_id, Permission.manage)
    ids = selected_ids(session, project_id, selection)
    overlap = project.overlap
    changed = 0
    for part in _chunks(ids):
        again = list(
            session.scalars(
                update(Item)
                .where(Item.id.in_(part), Item.n_done > 0, Item.status != "staged")
                .values(
                    n_done=0,
                    n_active=Item.n_active - Item.n_done,
                    review_state=None,
                    status=case((Item.n_active - Item.n_done >= overlap, "full"), else_="open"),
                )
                .returning(Item.id)
                .execution_options(synchronize_session=False)
            )
        )
        if again:
            session.execute(
                update(Annotation)
                .where(
                    Annotation.item_id.in_(again),
                    Annotation.is_current.is_(True),
                    Annotation.source.in_(("human", "consensus")),
                )
                .values(is_current=False)
            )
        changed += len(again)
    outcome = Outcome("requeue", len(ids), changed, len(ids) - changed)
    _record(session, actor, project_id, outcome, selection)
    return outcome


def delete_items(
    session: Session, actor: Actor, project_id: int, selection: Selection, confirm: int
) -> Outcome:
    """Delete the selected items with their labels. ``confirm`` must be the number
    of items selected: a filter that selects more than the person saw is refused."""
    authorize(session, actor, project_id, Permission.manage)
    ids = selected_ids(session, project_id, selection)
    if confirm != len(ids):
        raise Conflict(
            f"confirm: the selection holds {len(ids)} items, not {confirm}; "
            "confirm the number of items to delete",
            details={"field": "confirm", "selected": len(ids)},
        )
    for part in _chunks(ids):
        session.execute(delete(Item).where(Item.id.in_(part)))
    outcome = Outcome("delete", len(ids), len(ids))
    _record(session, actor, project_id, outcome, selection, item_ids=ids[:1000])
    return outcome


def prelabel(
    session: Session,
    actor: Actor,
    project_id: int,
    selection: Selection,
    options: dict[str, Any] | None = None,
) -> Outcome:
    """Queue pre-labeling of the selected items for ``labelwell worker`` (the
    ``prelabel`` job with ``item_ids``; ``options`` as that job takes them: the
    saved model by default). One live pre-labeling per project: while one is
    queued or running, its job is returned."""
    from labelwell.work import jobs

    authorize(session, actor, project_id, Permission.manage)
    ids = selected_ids(session, project_id, selection)
    if not ids:
        raise InvalidInput("selection: no items selected", field="item_ids")
    if len(ids) > MAX_IDS:
        raise InvalidInput(
            f"selection: {len(ids)} items; pre-labeling takes at most {MAX_IDS} at once "
            "(or run it on the whole project)",
            field="item_ids",
        )
    job, new = jobs.enqueue(
        session, actor, "prelabel", project_id, {**(options or {}), "item_ids": ids}
    )
    outcome = Outcome("prelabel", len(ids), len(ids) if new else 0, 0 if new else len(ids), job.id)
    _record(session, actor, project_id, outcome, selection, job_id=job.id)
    return outcome
