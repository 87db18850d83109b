"""The task queue: leasing items to annotators, gold injection, submit and skip.

Invariants, under any concurrency and across server processes:

* no item receives more than ``overlap`` accepted submissions (gold excepted):
  ``items.n_active`` counts live leases plus accepted submissions and a lease
  is only granted by a guarded ``UPDATE ... WHERE n_active < overlap``;
* no annotator receives the same item twice: ``assignments`` is unique on
  ``(item_id, user_id)``;
* no acknowledged submission is lost or stored twice: a submit commits in one
  transaction, and a client-chosen idempotency key makes a retry return the
  stored annotation.

The database does the locking: every SQLite transaction is ``BEGIN IMMEDIATE``
(one writer at a time), and on PostgreSQL candidate items are taken with
``SELECT ... FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, Forbidden, InvalidInput, LeaseExpired, NotFound
from labelwell.store.tables import Annotation, Assignment, Item, Prediction, Project, utcnow
from labelwell.work import audit, consensus
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import current_guideline, ontology_of
from labelwell.work.qualification import qualification

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


def reclaim_expired(session: Session, project_id: int, *, force: bool = False) -> int:
    """Return the slots of lapsed leases to the queue. Throttled per process to
    once a second (correctness does not depend on it: submit re-checks)."""
    now_s = time.monotonic()
    if not force and now_s - _last_reclaim.get(project_id, 0.0) < RECLAIM_EVERY_S:
        return 0
    _last_reclaim[project_id] = now_s
    now = utcnow()
    lapsed = session.execute(
        update(Assignment)
        .where(
            Assignment.project_id == project_id,
            Assignment.status == "leased",
            Assignment.expires_at < now,
        )
        .values(status="expired", finished_at=now)
        .returning(Assignment.item_id, Assignment.is_gold)
    ).all()
    per_item = Counter(item_id for item_id, is_gold in lapsed if not is_gold)
    for item_id, n in per_item.items():
        session.execute(
            update(Item)
            .where(Item.id == item_id)
            .values(
                n_active=Item.n_active - n,
                status=case((Item.status == "done", "done"), else_="open"),
            )
        )
    return len(lapsed)


def _check_eligible(actor: Actor, project: Project) -> None:
    missing = set(project.required_skills or ()) - set(actor.skills)
    if missing:
        raise Forbidden(
            f"project {project.name!r} needs the skill(s) {', '.join(sorted(missing))}, "
            "which your profile lacks"
        )


def _live_assignment(session: Session, actor: Actor, project_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment)
        .where(
            Assignment.user_id == actor.id,
            Assignment.project_id == project_id,
            Assignment.status == "leased",
            Assignment.expires_at > utcnow(),
        )
        .order_by(Assignment.id)
        .limit(1)
    )


def _candidate(session: Session, project: Project, actor: Actor, *, gold: bool) -> int | None:
    seen = exists().where(Assignment.item_id == Item.id, Assignment.user_id == actor.id)
    query = select(Item.id).where(Item.project_id == project.id, Item.is_gold == gold, ~seen)
    if not gold:
        query = query.where(Item.status == "open")
    if gold:
        # Random gold order so that two annotators do not see the same gold sequence.
        query = query.order_by(Item.priority.desc(), Item.id)
        ids = list(session.scalars(query.limit(50)))
        return _rng.choice(ids) if ids else None
    query = query.order_by(Item.priority.desc(), Item.id).limit(1)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Item)
    return session.scalar(query)


def _take_slot(session: Session, item_id: int, overlap: int) -> bool:
    taken = session.execute(
        update(Item)
        .where(Item.id == item_id, Item.n_active < overlap, Item.status == "open")
        .values(
            n_active=Item.n_active + 1,
            status=case((Item.n_active + 1 >= overlap, "full"), else_="open"),
        )
    ).rowcount
    return bool(taken)


def next_task(session: Session, actor: Actor, project_id: int) -> Task | None:
    """Lease the next item for ``actor``; ``None`` when nothing is left for them.

    A live lease the annotator already holds is returned again, so asking twice
    never hoards items.
    """
    project = authorize(session, actor, project_id, Permission.annotate)
    _check_eligible(actor, project)
    live = _live_assignment(session, actor, project_id)
    if live is not None:
        return _task(session, project, live)
    reclaim_expired(session, project_id)

    qualifying = _qualifying(session, project, actor)
    want_gold = qualifying or (project.gold_ratio > 0 and _rng.random() < project.gold_ratio)
    item_id: int | None = None
    is_gold = False
    if want_gold:
        item_id = _candidate(session, project, actor, gold=True)
        is_gold = item_id is not None
    if qualifying and item_id is None:
        raise Conflict(
            f"project {project.name!r} has too few gold items left for its qualification; "
            "a manager must add gold items"
        )
    if item_id is None:
        for _ in range(5):  # lost races on SQLite's snapshot are retried
            item_id = _candidate(session, project, actor, gold=False)
            if item_id is None or _take_slot(session, item_id, project.overlap):
                break
            item_id = None
    if item_id is None:
        return None
    guideline = current_guideline(session, project_id)
    now = utcnow()
    assignment = Assignment(
        item_id=item_id,
        project_id=project_id,
        user_id=actor.id,
        status="leased",
        is_gold=is_gold,
        leased_at=now,
        expires_at=now + timedelta(seconds=project.lease_seconds),
        guideline_version=guideline.version if guideline else None,
    )
    session.add(assignment)
    session.flush()
    return _task(session, project, assignment)


def _qualifying(session: Session, project: Project, actor: Actor) -> bool:
    """True while the annotator still answers qualification gold; refuses one who failed."""
    state = qualification(session, project, actor.id)
    if state is None or state.status == "passed":
        return False
    if state.status == "failed":
        raise Forbidden(
            f"qualification for project {project.name!r} not passed: {state.correct} of "
            f"{state.answered} gold answers correct, {state.pass_mark:.0%} needed; "
            "ask a manager about retraining"
        )
    return True


def _task(session: Session, project: Project, assignment: Assignment) -> Task:
    item = session.get(Item, assignment.item_id)
    assert item is not None
    suggestions: list[Suggestion] = []
    if project.show_predictions:
        rows = session.scalars(
            select(Prediction).where(Prediction.item_id == item.id).order_by(Prediction.id)
        )
        # confidence routing hides model suggestions below this score (label from scratch)
        hide_below = (project.settings or {}).get("suggestion_min_score")
        # One suggestion per model: the newest version's (rows come oldest first).
        latest = {
            (p.source, p.model_name): p
            for p in rows
            if hide_below is None or p.source != "model" or (p.score or 0.0) >= hide_below
        }
        suggestions = [
            Suggestion(p.id, p.model_name, p.model_version, p.source, p.score, p.result)
            for p in sorted(latest.values(), key=lambda p: p.id)
        ]
    return Task(
        assignment_id=assignment.id,
        item_id=item.id,
        project_id=project.id,
        data=annotator_view(item.data, project),
        media=item.media or [],
        expires_at=assignment.expires_at,
        guideline_version=assignment.guideline_version,
        suggestions=suggestions,
    )


def annotator_view(data: dict[str, Any], project: Project) -> dict[str, Any]:
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


def _own_assignment(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    query = select(Assignment).where(Assignment.id == assignment_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    assignment = session.scalar(query)
    if assignment is None or assignment.user_id != actor.id:
        raise NotFound(f"no assignment {assignment_id} of yours")
    return assignment


def submit(
    session: Session,
    actor: Actor,
    assignment_id: int,
    result: dict[str, Any],
    *,
    time_spent_ms: int | None = None,
    idempotency_key: str | None = None,
) -> tuple[Annotation, bool]:
    """Store the annotation for a lease. Returns ``(annotation, created)``;
    a retry with the same idempotency key returns the stored one with ``False``."""
    if idempotency_key is not None:
        stored = session.scalar(
            select(Annotation).where(
                Annotation.user_id == actor.id, Annotation.idempotency_key == idempotency_key
            )
        )
        if stored is not None:
            if stored.assignment_id != assignment_id:
                raise Conflict(
                    f"idempotency key {idempotency_key!r} was already used for assignment "
                    f"{stored.assignment_id}"
                )
            return stored, False
    assignment = _own_assignment(session, actor, assignment_id)
    project = authorize(session, actor, assignment.project_id, Permission.annotate)
    if assignment.status == "submitted":
        raise Conflict(f"assignment {assignment_id} was already submitted")
    if assignment.status == "skipped":
        raise Conflict(f"assignment {assignment_id} was skipped")
    if time_spent_ms is not None and (not isinstance(time_spent_ms, int) or time_spent_ms < 0):
        raise InvalidInput("time_spent_ms: must be a non-negative integer", field="time_spent_ms")
    item = session.get(Item, assignment.item_id)
    assert item is not None
    ontology_of(project).validate(result, item.data)

    now = utcnow()
    # A lapsed lease whose slot went back to the queue takes it again if still free.
    if (
        assignment.status == "expired"
        and not assignment.is_gold
        and not _retake_slot(session, item.id, project.overlap)
    ):
        raise LeaseExpired(
            f"the lease on assignment {assignment_id} expired at "
            f"{assignment.expires_at.isoformat()} and the item has since been "
            "labeled by others"
        )
    if time_spent_ms is None:
        time_spent_ms = int((now - assignment.leased_at).total_seconds() * 1000)
    annotation = Annotation(
        item_id=item.id,
        project_id=project.id,
        user_id=actor.id,
        assignment_id=assignment.id,
        source="human",
        agent=actor.email,
        result=result,
        guideline_version=assignment.guideline_version,
        time_spent_ms=time_spent_ms,
        status="submitted",
        is_gold_check=assignment.is_gold,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(annotation)
    assignment.status = "submitted"
    assignment.finished_at = now
    if not assignment.is_gold:
        session.execute(
            update(Item)
            .where(Item.id == item.id)
            .values(
                n_done=Item.n_done + 1,
                status=case(
                    (Item.n_done + 1 >= project.overlap, "done"),
                    (Item.n_active >= project.overlap, "full"),
                    else_="open",
                ),
            )
        )
        consensus.on_submitted(session, project, item.id)
    else:
        consensus.check_gold(session, project, annotation)
    session.flush()
    return annotation, True


def _retake_slot(session: Session, item_id: int, overlap: int) -> bool:
    return bool(
        session.execute(
            update(Item)
            .where(and_(Item.id == item_id, Item.n_active < overlap, Item.status != "done"))
            .values(
                n_active=Item.n_active + 1,
                status=case((Item.n_active + 1 >= overlap, "full"), else_="open"),
            )
        ).rowcount
    )


def skip(session: Session, actor: Actor, assignment_id: int, reason: str) -> Assignment:
    """Give an item back with a reason; it is never served to this annotator again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason: say why the item is skipped", field="reason")
    assignment = _own_assignment(session, actor, assignment_id)
    authorize(session, actor, assignment.project_id, Permission.annotate)
    if assignment.status != "leased" and assignment.status != "expired":
        raise Conflict(f"assignment {assignment_id} is already {assignment.status}")
    was_holding = assignment.status == "leased"
    assignment.status = "skipped"
    assignment.finished_at = utcnow()
    assignment.skip_reason = reason[:2000]
    if was_holding and not assignment.is_gold:
        session.execute(
            update(Item)
            .where(Item.id == assignment.item_id)
            .values(
                n_active=Item.n_active - 1,
                status=case((Item.status == "done", "done"), else_="open"),
            )
        )
    audit.record(
        session,
        actor,
        "task.skip",
        project_id=assignment.project_id,
        target_type="item",
        target_id=assignment.item_id,
        details={"reason": reason},
    )
    session.flush()
    return assignment
