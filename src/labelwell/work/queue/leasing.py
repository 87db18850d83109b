"""Leasing: the next task for an annotator, gold mixed in, lapsed leases returned."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from labelwell.errors import Conflict, Forbidden
from labelwell.store.raw import Raw, Unit, raw_of
from labelwell.store.tables import utcnow
from labelwell.work.accounts import actor_of
from labelwell.work.actors import Actor, Bearer
from labelwell.work.cost import budget_reached, check_budget
from labelwell.work.projects import archived
from labelwell.work.qualification import qualification, rule
from labelwell.work.queue import postgres
from labelwell.work.queue import statements as sql
from labelwell.work.queue.project import QueueProject, check_eligible, queue_project
from labelwell.work.queue.records import Task, task_of

_rng = random.SystemRandom()
_last_reclaim: dict[int, float] = {}
RECLAIM_EVERY_S = 1.0


def _reclaim_due(project_id: int) -> bool:
    """Lapsed leases are looked for at most once a second per project and process
    (correctness does not depend on it: submit re-checks)."""
    now_s = time.monotonic()
    if now_s - _last_reclaim.get(project_id, 0.0) < RECLAIM_EVERY_S:
        return False
    _last_reclaim[project_id] = now_s
    return True


def reclaim_expired(work: Session | Unit, project_id: int, *, force: bool = False) -> int:
    """Return the slots of lapsed leases to the queue (at most once a second
    unless ``force``)."""
    if not _reclaim_due(project_id) and not force:
        return 0
    db = raw_of(work)
    now = db.stamp(utcnow())
    lapsed = db.all(sql.EXPIRE_LEASES, (now, project_id, now))
    per_item = Counter(item_id for item_id, is_gold in lapsed if not is_gold)
    for item_id, n in per_item.items():
        db.run(sql.RETURN_SLOTS, (n, item_id))
    return len(lapsed)


def next_task(work: Session | Unit, who: Actor | Bearer, project_id: int) -> Task | None:
    """Lease the next item for ``who`` (an actor, or an API token to resolve);
    ``None`` when nothing is left for them.

    A live lease the annotator already holds is returned again, so asking twice
    never hoards items. ``work`` is an ORM session or a :class:`Unit`; on
    PostgreSQL one function call does it all, except in projects with a
    qualification rule (then an autocommit unit goes on in a transaction).
    """
    unit = Unit.of(work)
    db = unit.raw
    now = utcnow()
    if db.postgresql:
        outcome, actor, project, task = postgres.lease(
            db,
            who,
            project_id,
            now=now,
            reclaim=_reclaim_due(project_id),
            draw=_rng.random(),
            pick=_rng.random(),
        )
        if outcome == "ineligible":
            check_eligible(actor, project)
        if outcome == "stopped":
            raise budget_reached(project)
        if outcome == "archived":
            raise archived(project.name)
        if outcome != "qualification":
            return task
        unit.require_transaction()
    else:
        actor = actor_of(unit, who)
    project = queue_project(db, actor, project_id)
    check_eligible(actor, project)
    live = db.one(sql.LIVE_LEASE, (actor.id, project_id, db.stamp(now)))
    if live is not None:
        return _task(db, project, live)
    row = db.one(sql.ARCHIVED, (project_id,))
    if row is not None and row[0] is not None:
        raise archived(project.name)
    check_budget(db, project)
    reclaim_expired(unit, project_id)

    qualifying = _qualifying(unit, project, actor)
    want_gold = qualifying or (project.gold_ratio > 0 and _rng.random() < project.gold_ratio)
    item_id, is_gold = _candidate(db, project, actor, want_gold=want_gold, gold_only=qualifying)
    if qualifying and not is_gold:
        raise Conflict(
            f"project {project.name!r} has too few gold items left for its qualification; "
            "a manager must add gold items"
        )
    if item_id is None:
        return None
    expires_at = now + timedelta(seconds=project.lease_seconds)
    created = db.one(
        sql.NEW_LEASE,
        (
            item_id,
            project_id,
            actor.id,
            is_gold,
            db.stamp(now),
            db.stamp(expires_at),
            project.guideline_version,
        ),
    )
    assert created is not None
    return _task(db, project, (created[0], item_id, expires_at, project.guideline_version))


def _candidate(
    db: Raw, project: QueueProject, actor: Actor, *, want_gold: bool, gold_only: bool
) -> tuple[int | None, bool]:
    """The item to lease and whether it is gold. Every lease sends the same
    statements, gold or not (a gold-only step would show in the timing of
    ``tasks/next``): every candidate lookup, with ``LIMIT 0`` where it is not
    needed, then the slot update, which leaves a gold item's row as it is.
    ``gold_only`` (qualification) never falls back on a regular item."""
    gold_ids = [
        row[0]
        for row in db.all(sql.GOLD_CANDIDATES, (project.id, actor.id, 50 if want_gold else 0))
    ]
    # Random gold order so that two annotators do not see the same gold sequence.
    gold_id = _rng.choice(gold_ids) if gold_ids else None
    for _ in range(5):  # a slot lost to a concurrent lease is retried
        limit = 0 if gold_id or gold_only else 1
        # the items assigned to this annotator first, then those assigned to nobody
        row = db.one(sql.ASSIGNED_CANDIDATE, (actor.id, project.id, False, actor.id, limit))
        anyone = db.one(sql.CANDIDATE, (project.id, False, actor.id, 0 if row else limit))
        row = row or anyone
        item_id = gold_id if gold_id is not None else (None if row is None else row[0])
        if item_id is None:
            return None, False
        slots = 0 if gold_id is not None else 1
        if db.run(sql.TAKE_SLOT, (slots, slots, project.overlap, item_id, slots, project.overlap)):
            return item_id, gold_id is not None
    return None, False


def _qualifying(unit: Unit, project: QueueProject, actor: Actor) -> bool:
    """True while the annotator still answers qualification gold; refuses one who failed."""
    if rule(project) is None:  # type: ignore[arg-type]
        return False
    state = qualification(unit.session, project, actor.id)  # type: ignore[arg-type]
    if state is None or state.status == "passed":
        return False
    if state.status == "failed":
        raise Forbidden(
            f"qualification for project {project.name!r} not passed: {state.correct} of "
            f"{state.answered} gold answers correct, {state.pass_mark:.0%} needed; "
            "ask a manager about retraining"
        )
    return True


def _task(db: Raw, project: QueueProject, lease: tuple[Any, ...]) -> Task:
    """The task of a lease ``(assignment id, item id, expires at, guideline version)``."""
    item = db.one(sql.ITEM_VIEW, (lease[1],))
    assert item is not None
    predictions = db.all(sql.SUGGESTIONS, (lease[1],)) if project.show_predictions else []
    return task_of(
        project, (lease[0], lease[1], lease[2], lease[3]), (item[0], item[1]), predictions
    )
