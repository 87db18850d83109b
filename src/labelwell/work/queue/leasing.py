"""Leasing: the next task for an annotator, gold mixed in, lapsed leases returned."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from labelwell.errors import Conflict, Forbidden
from labelwell.store.raw import Raw, Unit, loads, raw_of, when
from labelwell.store.tables import utcnow
from labelwell.work.actors import Actor
from labelwell.work.qualification import qualification, rule
from labelwell.work.queue import statements as sql
from labelwell.work.queue.project import QueueProject, check_eligible, queue_project

_rng = random.SystemRandom()
_last_reclaim: dict[int, float] = {}
RECLAIM_EVERY_S = 1.0


@dataclass(slots=True)
class Suggestion:
    id: int
    model_name: str
    model_version: str
    source: str
    score: float | None
    result: dict[str, Any]


@dataclass(slots=True)
class Task:
    """What an annotator receives: the item, its lease and the machine suggestions.
    Gold items look exactly like every other task."""

    assignment_id: int
    item_id: int
    project_id: int
    data: dict[str, Any]
    media: list[str]
    expires_at: datetime
    guideline_version: int | None
    suggestions: list[Suggestion] = field(default_factory=list)


def reclaim_expired(work: Session | Unit, project_id: int, *, force: bool = False) -> int:
    """Return the slots of lapsed leases to the queue. Throttled per process to
    once a second (correctness does not depend on it: submit re-checks)."""
    now_s = time.monotonic()
    if not force and now_s - _last_reclaim.get(project_id, 0.0) < RECLAIM_EVERY_S:
        return 0
    _last_reclaim[project_id] = now_s
    db = raw_of(work)
    now = db.stamp(utcnow())
    lapsed = db.all(sql.EXPIRE_LEASES, (now, project_id, now))
    per_item = Counter(item_id for item_id, is_gold in lapsed if not is_gold)
    for item_id, n in per_item.items():
        db.run(sql.RETURN_SLOTS, (n, item_id))
    return len(lapsed)


def next_task(work: Session | Unit, actor: Actor, project_id: int) -> Task | None:
    """Lease the next item for ``actor``; ``None`` when nothing is left for them.

    A live lease the annotator already holds is returned again, so asking twice
    never hoards items. ``work`` is an ORM session or a :class:`Unit`.
    """
    unit = Unit.of(work)
    db = unit.raw
    project = queue_project(db, actor, project_id)
    check_eligible(actor, project)
    now = utcnow()
    live = db.one(sql.LIVE_LEASE, (actor.id, project_id, db.stamp(now)))
    if live is not None:
        assignment_id, item_id, expires_at, guideline_version = live
        return _task(db, project, assignment_id, item_id, when(expires_at), guideline_version)
    reclaim_expired(unit, project_id)

    qualifying = _qualifying(unit, project, actor)
    want_gold = qualifying or (project.gold_ratio > 0 and _rng.random() < project.gold_ratio)
    item_id: int | None = None
    is_gold = False
    if want_gold:
        ids = [row[0] for row in db.all(sql.GOLD_CANDIDATES, (project_id, True, actor.id))]
        # Random gold order so that two annotators do not see the same gold sequence.
        item_id = _rng.choice(ids) if ids else None
        is_gold = item_id is not None
    if qualifying and item_id is None:
        raise Conflict(
            f"project {project.name!r} has too few gold items left for its qualification; "
            "a manager must add gold items"
        )
    if item_id is None:
        for _ in range(5):  # a slot lost to a concurrent lease is retried
            row = db.one(sql.CANDIDATE, (project_id, False, actor.id))
            item_id = None if row is None else row[0]
            if item_id is None or db.run(
                sql.TAKE_SLOT, (project.overlap, item_id, project.overlap)
            ):
                break
            item_id = None
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
    return _task(db, project, created[0], item_id, expires_at, project.guideline_version)


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


def _task(
    db: Raw,
    project: QueueProject,
    assignment_id: int,
    item_id: int,
    expires_at: datetime | None,
    guideline_version: int | None,
) -> Task:
    row = db.one(sql.ITEM_VIEW, (item_id,))
    assert row is not None and expires_at is not None
    suggestions: list[Suggestion] = []
    if project.show_predictions:
        # confidence routing hides model suggestions below this score (label from scratch)
        hide_below = project.settings.get("suggestion_min_score")
        # One suggestion per model: the newest version's (rows come oldest first).
        latest: dict[tuple[str, str], tuple[Any, ...]] = {}
        for p in db.all(sql.SUGGESTIONS, (item_id,)):
            if hide_below is None or p[1] != "model" or (p[4] or 0.0) >= hide_below:
                latest[(p[1], p[2])] = p
        suggestions = [
            Suggestion(p[0], p[2], p[3], p[1], p[4], loads(p[5]))
            for p in sorted(latest.values(), key=lambda p: p[0])
        ]
    return Task(
        assignment_id=assignment_id,
        item_id=item_id,
        project_id=project.id,
        data=annotator_view(loads(row[0])),
        media=loads(row[1]) or [],
        expires_at=expires_at,
        guideline_version=guideline_version,
        suggestions=suggestions,
    )


def annotator_view(data: dict[str, Any]) -> dict[str, Any]:
    """The item as an annotator sees it: generated responses lose their provenance
    (model, sampling settings), so comparisons stay blind to which model wrote
    what; a ``model`` field is shown only where the project put one in on purpose
    (``labelwell rlhf generate --show-models``)."""
    responses = data.get("responses")
    if not isinstance(responses, list):
        return data
    return {
        **data,
        "responses": [
            {k: v for k, v in r.items() if k != "provenance"} if isinstance(r, dict) else r
            for r in responses
        ],
    }
