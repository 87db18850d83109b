"""Giving work back: submit (idempotent, validated, with gold feedback) and skip."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, LeaseExpired, NotFound
from labelwell.store.raw import Raw, Unit, dumps, loads, when
from labelwell.store.tables import Assignment, Item, utcnow
from labelwell.work import audit, consensus
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.queue import statements as sql
from labelwell.work.queue.project import QueueProject, queue_project

SUGGESTION_OUTCOMES = ("accepted", "edited", "rejected")


@dataclass(slots=True)
class Submitted:
    """A stored submission, as the annotator may see it (the fields of an
    annotation) plus ``feedback`` after a gold item where the project shows it."""

    id: int
    item_id: int
    project_id: int
    user_id: int | None
    assignment_id: int | None
    source: str
    agent: str
    result: dict[str, Any]
    guideline_version: int | None
    time_spent_ms: int | None
    status: str
    is_gold_check: bool
    revision: int
    supersedes_id: int | None
    is_current: bool
    idempotency_key: str | None
    details: dict[str, Any]
    created_at: datetime
    feedback: dict[str, Any] | None = field(default=None)
    #: the project retrains its model after new labels (``settings["flywheel"]``)
    flywheel: bool = False


def submit(
    work: Session | Unit,
    actor: Actor,
    assignment_id: int,
    result: dict[str, Any],
    *,
    time_spent_ms: int | None = None,
    idempotency_key: str | None = None,
    suggestion: dict[str, Any] | None = None,
) -> tuple[Submitted, bool]:
    """Store the annotation for a lease. Returns ``(annotation, created)``;
    a retry with the same idempotency key returns the stored one with ``False``.

    ``suggestion`` records what the annotator did with a machine suggestion:
    ``{"prediction_id": id, "outcome": "accepted" | "edited" | "rejected"}``
    (kept in the annotation's ``details``). ``work`` is an ORM session or a
    :class:`Unit`."""
    unit = Unit.of(work)
    db = unit.raw
    if idempotency_key is not None:
        stored = db.one(sql.BY_IDEMPOTENCY_KEY, (actor.id, idempotency_key))
        if stored is not None:
            if stored[4] != assignment_id:
                raise Conflict(
                    f"idempotency key {idempotency_key!r} was already used for assignment "
                    f"{stored[4]}"
                )
            done = _submitted(stored)
            project = queue_project(db, actor, done.project_id)
            done.feedback = _feedback(db, project, done)
            return done, False
    lease = db.one(sql.LEASE_FOR_SUBMIT, (assignment_id,))
    if lease is None or lease[0] != actor.id:
        raise NotFound(f"no assignment {assignment_id} of yours")
    _, project_id, item_id, status, is_gold, leased_at, expires_at, guideline_version, data = lease
    is_gold = bool(is_gold)
    project = queue_project(db, actor, project_id)
    if status == "submitted":
        raise Conflict(f"assignment {assignment_id} was already submitted")
    if status == "skipped":
        raise Conflict(f"assignment {assignment_id} was skipped")
    if time_spent_ms is not None and (not isinstance(time_spent_ms, int) or time_spent_ms < 0):
        raise InvalidInput("time_spent_ms: must be a non-negative integer", field="time_spent_ms")
    project.compiled.validate(result, loads(data))
    details: dict[str, Any] = {}
    if suggestion is not None:
        details["suggestion"] = _checked_suggestion(db, suggestion, item_id)

    now = utcnow()
    # A lapsed lease whose slot went back to the queue takes it again if still free.
    if (
        status == "expired"
        and not is_gold
        and not db.run(sql.RETAKE_SLOT, (project.overlap, item_id, project.overlap))
    ):
        expired = when(expires_at)
        raise LeaseExpired(
            f"the lease on assignment {assignment_id} expired at "
            f"{expired.isoformat() if expired else '?'} and the item has since been "
            "labeled by others"
        )
    if time_spent_ms is None:
        started = when(leased_at)
        time_spent_ms = int((now - started).total_seconds() * 1000) if started else None
    if is_gold:
        gold = db.one(sql.GOLD_ANSWER, (item_id,))
        if gold is not None:
            per_control = consensus.gold_matches(project.compiled, result, loads(gold[0]))
            details["gold_correct"] = all(per_control.values())
            details["gold_controls"] = per_control
    created = db.one(
        sql.NEW_ANNOTATION,
        (
            item_id,
            project_id,
            actor.id,
            assignment_id,
            actor.email,
            dumps(result),
            guideline_version,
            time_spent_ms,
            is_gold,
            True,
            idempotency_key,
            dumps(details),
            db.stamp(now),
        ),
    )
    assert created is not None
    db.run(sql.LEASE_SUBMITTED, (db.stamp(now), assignment_id))
    if not is_gold:
        labeled = db.one(sql.ITEM_LABELED, (project.overlap, project.overlap, item_id))
        if labeled is not None and project.overlap >= 2 and labeled[0] >= project.overlap:
            consensus.on_submitted(unit.session, project, item_id, labeled[0])  # type: ignore[arg-type]
    done = Submitted(
        id=created[0],
        item_id=item_id,
        project_id=project_id,
        user_id=actor.id,
        assignment_id=assignment_id,
        source="human",
        agent=actor.email,
        result=result,
        guideline_version=guideline_version,
        time_spent_ms=time_spent_ms,
        status="submitted",
        is_gold_check=is_gold,
        revision=1,
        supersedes_id=None,
        is_current=True,
        idempotency_key=idempotency_key,
        details=details,
        created_at=now,
    )
    done.feedback = _feedback(db, project, done)
    done.flywheel = bool(project.settings.get("flywheel"))
    return done, True


def _checked_suggestion(db: Raw, suggestion: dict[str, Any], item_id: int) -> dict[str, Any]:
    prediction_id, outcome = suggestion.get("prediction_id"), suggestion.get("outcome")
    if outcome not in SUGGESTION_OUTCOMES:
        raise InvalidInput(
            f"suggestion.outcome: must be one of {', '.join(SUGGESTION_OUTCOMES)}",
            field="suggestion.outcome",
        )
    if (
        not isinstance(prediction_id, int)
        or isinstance(prediction_id, bool)
        or db.one(sql.PREDICTION_OF_ITEM, (prediction_id, item_id)) is None
    ):
        raise InvalidInput(
            f"suggestion.prediction_id: no suggestion {prediction_id!r} on this item",
            field="suggestion.prediction_id",
        )
    return {"prediction_id": prediction_id, "outcome": outcome}


def _feedback(db: Raw, project: QueueProject, done: Submitted) -> dict[str, Any] | None:
    """After a gold item, where the project enables ``gold_feedback``: whether the
    answer matched and what the expected answer was."""
    if not done.is_gold_check or not project.settings.get("gold_feedback"):
        return None
    gold = db.one(sql.GOLD_ANSWER, (done.item_id,))
    if gold is None:
        return None
    correct = bool(done.details.get("gold_correct"))
    wrong = sorted(name for name, ok in done.details.get("gold_controls", {}).items() if not ok)
    message = (
        "Correct: this was a check item and your answer matches the expected one."
        if correct
        else "This was a check item; your answer differs from the expected one in: "
        + ", ".join(wrong)
    )
    return {"correct": correct, "expected": loads(gold[0]), "message": message}


def _submitted(row: tuple[Any, ...]) -> Submitted:
    created_at = when(row[17])
    assert created_at is not None
    return Submitted(
        id=row[0],
        item_id=row[1],
        project_id=row[2],
        user_id=row[3],
        assignment_id=row[4],
        source=row[5],
        agent=row[6],
        result=loads(row[7]),
        guideline_version=row[8],
        time_spent_ms=row[9],
        status=row[10],
        is_gold_check=bool(row[11]),
        revision=row[12],
        supersedes_id=row[13],
        is_current=bool(row[14]),
        idempotency_key=row[15],
        details=loads(row[16]) or {},
        created_at=created_at,
    )


def _own_assignment(session: Session, actor: Actor, assignment_id: int) -> Assignment:
    query = select(Assignment).where(Assignment.id == assignment_id)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    assignment = session.scalar(query)
    if assignment is None or assignment.user_id != actor.id:
        raise NotFound(f"no assignment {assignment_id} of yours")
    return assignment


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
