"""Labels accepted without a person: auto-approved pre-labels
(:func:`labelwell.work.assist.route`) and weak labels
(:func:`labelwell.work.weak.fit_label_model`), written once.

Each item takes every slot at once (:func:`labelwell.work.queue.slots.settle`)
and gets one accepted annotation that says which route, score and threshold
decided it; an item a person leased or answered meanwhile is left to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from labelwell.store.tables import Annotation, Project, table_of, utcnow
from labelwell.work.queue import slots

#: items settled per statement, annotations written per statement
SETTLE_CHUNK = 5_000
INSERT_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class MachineLabel:
    """A label for ``item_id`` from ``agent`` (``model:NAME@VERSION``, a label model
    and version), with its confidence ``score`` and provenance ``details``."""

    item_id: int
    agent: str
    result: dict[str, Any]
    score: float | None
    details: dict[str, Any] = field(default_factory=dict)


def auto_approve(
    session: Session,
    project: Project,
    labels: Sequence[MachineLabel],
    *,
    source: str,
    threshold: float,
) -> list[int]:
    """Accept ``labels`` as their items' labels (annotations of ``source``, route
    ``auto_approve``); returns the item ids labelled, in the order given. An item
    no longer untouched (leased or answered meanwhile) is left out."""
    ids = sorted({label.item_id for label in labels})
    taken: set[int] = set()
    for start in range(0, len(ids), SETTLE_CHUNK):
        part = ids[start : start + SETTLE_CHUNK]
        taken.update(session.scalars(slots.settle(project.overlap, part)).all())
    now = utcnow()
    done: list[int] = []
    rows: list[dict[str, Any]] = []
    for label in labels:
        if label.item_id not in taken:
            continue
        taken.discard(label.item_id)  # one annotation an item
        done.append(label.item_id)
        rows.append(
            {
                "item_id": label.item_id,
                "project_id": project.id,
                "user_id": None,
                "source": source,
                "agent": label.agent,
                "result": label.result,
                "status": "accepted",
                "revision": 1,
                "is_current": True,
                "is_gold_check": False,
                "details": {
                    **label.details,
                    "route": "auto_approve",
                    "score": label.score,
                    "threshold": threshold,
                },
                "created_at": now,
            }
        )
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(table_of(Annotation)), rows[start : start + INSERT_CHUNK])
    return done
