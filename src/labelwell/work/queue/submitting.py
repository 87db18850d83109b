"""Giving work back: submit (idempotent, validated, with gold feedback) and skip."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput, LeaseExpired, NotFound
from labelwell.store.raw import Raw, Unit, dumps, loads, raw_of, when
from labelwell.store.tables import Assignment, utcnow
from labelwell.work import audit, consensus, cost, webhooks
from labelwell.work.accounts import actor_of
from labelwell.work.actors import Actor, Bearer
from labelwell.work.events import SUBMITTED, publish
from labelwell.work.policies import Permission, authorize
from labelwell.work.queue import postgres
from labelwell.work.queue import statements as sql
from labelwell.work.queue.project import QueueProject, queue_project
from labelwell.work.queue.records import Draft, Pending, Submitted, Written, submitted_event

SUGGESTION_OUTCOMES = ("accepted", "edited", "rejected")


def submit(
    work: Session | Unit,
    who: Actor | Bearer,
    assignment_id: int,
    result: dict[str, Any],
    *,
    time_spent_ms: int | None = None,
    idempotency_key: str | None = None,
    suggestion: dict[str, Any] | None = None,
) -> tuple[Submitted, bool]:
    """Store the annotation for a lease held by ``who`` (an actor, or an API
    token to resolve). Returns ``(annotation, created)``;
    a retry with the same idempotency key returns the stored one with ``False``.

    ``suggestion`` records what the annotator did with a machine suggestion:
    ``{"prediction_id": id, "outcome": "accepted" | "edited" | "rejected"}``
    (kept in the annotation's ``details``). ``work`` is an ORM session or a
    :class:`Unit`. On PostgreSQL the checks are read in one function call and
    the writes made in another; in an autocommit unit that call commits on its
    own, except for the submit that completes its item at ``overlap`` 2 or
    more: the checks forecast it and a transaction is opened first, which
    consensus then joins (one the forecast missed is made again in one). That
    transaction is pipelined (:meth:`Unit.require_transaction`): ``BEGIN``
    goes with the call and the decision's writes with ``COMMIT``, two round
    trips in all."""
    unit = Unit.of(work)
    db = unit.raw
    prediction_id = suggestion.get("prediction_id") if isinstance(suggestion, dict) else None
    if not isinstance(prediction_id, int) or isinstance(prediction_id, bool):
        prediction_id = None
    if db.postgresql:
        actor, todo = postgres.pending(db, who, assignment_id, idempotency_key, prediction_id)
    else:
        actor = actor_of(unit, who)
        todo = _pending(db, actor, assignment_id, idempotency_key, prediction_id)
    if todo is None:
        raise NotFound(f"no assignment {assignment_id} of yours")
    if todo.stored is not None:
        return _retried(todo, assignment_id, idempotency_key), False
    project = todo.project
    if todo.status == "submitted":
        raise Conflict(f"assignment {assignment_id} was already submitted")
    if todo.status == "skipped":
        raise Conflict(f"assignment {assignment_id} was skipped")
    if time_spent_ms is not None and (not isinstance(time_spent_ms, int) or time_spent_ms < 0):
        raise InvalidInput("time_spent_ms: must be a non-negative integer", field="time_spent_ms")
    project.compiled.validate(result, todo.data)
    details: dict[str, Any] = {}
    if suggestion is not None:
        details["suggestion"] = _checked_suggestion(suggestion, todo.prediction_ok)
    now = utcnow()
    if time_spent_ms is None and todo.leased_at is not None:
        time_spent_ms = int((now - todo.leased_at).total_seconds() * 1000)
    if todo.is_gold and todo.gold is not None:
        per_control = consensus.gold_matches(project.compiled, result, todo.gold)
        details["gold_correct"] = all(per_control.values())
        details["gold_controls"] = per_control
    draft = Draft(result, details, time_spent_ms, idempotency_key, now)
    if db.postgresql:
        if _completes(project, todo):  # consensus follows, in the same transaction
            unit.require_transaction(pipelined=True)
        written = postgres.write(
            db, actor, assignment_id, todo, draft, complete=not unit.autocommit
        )
        if written.outcome == "completes":  # an answer came since the checks were read
            unit.require_transaction(pipelined=True)
            written = postgres.write(db, actor, assignment_id, todo, draft, complete=True)
    else:
        written = _write(db, actor, assignment_id, todo, draft)
    outcome, annotation_id, n_done = written.outcome, written.annotation_id, written.n_done
    if outcome == "submitted" and db.postgresql and idempotency_key is not None:
        # a retry with the same key may have stored it meanwhile (SQLite's write
        # lock, held from the unit's first statement, rules that out there)
        _, again = postgres.pending(db, actor, assignment_id, idempotency_key, None)
        if again is not None and again.stored is not None:
            return _retried(again, assignment_id, idempotency_key), False
    if outcome != "stored":
        _refuse(outcome, assignment_id, todo)
    assert annotation_id is not None
    cost.charge(db, project, actor, time_spent_ms)
    event = {"annotation_id": annotation_id, "done": n_done}
    publish(unit, project.id, SUBMITTED, {**submitted_event(todo, actor), **event})
    if n_done is not None and project.overlap >= 2 and n_done >= project.overlap:
        consensus.on_submitted(db, project, todo.item_id, n_done, written.votes)
    if n_done == project.overlap:
        webhooks.item_completed(db, project.id, todo.item_id, written.hooks)
    done = Submitted(
        id=annotation_id,
        item_id=todo.item_id,
        project_id=project.id,
        user_id=actor.id,
        assignment_id=assignment_id,
        source="human",
        agent=actor.email,
        result=result,
        guideline_version=todo.guideline_version,
        time_spent_ms=time_spent_ms,
        status="submitted",
        is_gold_check=todo.is_gold,
        revision=1,
        supersedes_id=None,
        is_current=True,
        idempotency_key=idempotency_key,
        details=details,
        created_at=now,
    )
    feedback = _feedback(project, done, todo.gold)
    return replace(done, feedback=feedback, flywheel=project.settings.flywheel), True


def _completes(project: QueueProject, todo: Pending) -> bool:
    """Whether this answer will bring its item to the project's overlap (2 or
    more), as the item's count read with the checks forecasts it (PostgreSQL,
    migration 0029; gold checks never count)."""
    return (
        project.overlap >= 2
        and not todo.is_gold
        and todo.n_done is not None
        and todo.n_done + 1 >= project.overlap
    )


def _retried(todo: Pending, assignment_id: int, key: str | None) -> Submitted:
    """The stored submission a retry returns (a key names one lease only)."""
    done = todo.stored
    assert done is not None
    if done.assignment_id != assignment_id:
        raise Conflict(
            f"idempotency key {key!r} was already used for assignment {done.assignment_id}"
        )
    return replace(done, feedback=_feedback(todo.project, done, todo.gold))


def _refuse(outcome: str, assignment_id: int, todo: Pending) -> None:
    """Raise the error for a write refused because of the lease's status."""
    if outcome == "submitted":
        raise Conflict(f"assignment {assignment_id} was already submitted")
    if outcome == "skipped":
        raise Conflict(f"assignment {assignment_id} was skipped")
    if outcome == "expired":
        expired = todo.expires_at
        raise LeaseExpired(
            f"the lease on assignment {assignment_id} expired at "
            f"{expired.isoformat() if expired else '?'} and the item has since been "
            "labeled by others"
        )
    raise NotFound(f"no assignment {assignment_id} of yours")


def _pending(
    db: Raw, actor: Actor, assignment_id: int, key: str | None, prediction_id: int | None
) -> Pending | None:
    """What a submit checks, statement by statement (SQLite: the unit holds the
    write lock from its first statement, so nothing changes before the writes)."""
    if key is not None:
        stored = db.one(sql.BY_IDEMPOTENCY_KEY, (actor.id, key))
        if stored is not None:
            done = Submitted.of_row(dict(zip(sql.ANNOTATION_FIELDS, stored, strict=True)))
            project = queue_project(db, actor, done.project_id)
            return Pending(project, stored=done, gold=_gold(db, done.item_id, done.is_gold_check))
    lease = db.one(sql.LEASE_FOR_SUBMIT, (assignment_id,))
    if lease is None or lease[0] != actor.id:
        return None
    _, project_id, item_id, status, is_gold, leased_at, expires_at, guideline_version, data = lease
    prediction_ok = None
    if prediction_id is not None:
        found = db.one(sql.PREDICTION_OF_ITEM, (prediction_id, item_id))
        prediction_ok = found is not None
    return Pending(
        queue_project(db, actor, project_id),
        item_id=item_id,
        status=status,
        is_gold=bool(is_gold),
        leased_at=when(leased_at),
        expires_at=when(expires_at),
        guideline_version=guideline_version,
        data=loads(data),
        gold=_gold(db, item_id, bool(is_gold)),
        prediction_ok=prediction_ok,
    )


def _gold(db: Raw, item_id: int, is_gold: bool) -> dict[str, Any] | None:
    if not is_gold:
        return None
    row = db.one(sql.GOLD_ANSWER, (item_id,))
    return None if row is None else loads(row[0])


def _write(
    db: Raw,
    actor: Actor,
    assignment_id: int,
    todo: Pending,
    draft: Draft,
) -> Written:
    """The writes of a submit, statement by statement; returns what
    :func:`labelwell.work.queue.postgres.write` returns (consensus and the
    webhooks then read what they need themselves)."""
    overlap = todo.project.overlap
    # A lapsed lease whose slot went back to the queue takes it again if still free.
    if (
        todo.status == "expired"
        and not todo.is_gold
        and not db.run(sql.RETAKE_SLOT, (overlap, todo.item_id, overlap))
    ):
        return Written("expired")
    created = db.one(
        sql.NEW_ANNOTATION,
        (
            todo.item_id,
            todo.project.id,
            actor.id,
            assignment_id,
            actor.email,
            dumps(draft.result),
            todo.guideline_version,
            draft.time_spent_ms,
            todo.is_gold,
            True,
            draft.key,
            dumps(draft.details),
            db.stamp(draft.now),
        ),
    )
    assert created is not None
    db.run(sql.LEASE_SUBMITTED, (db.stamp(draft.now), assignment_id))
    n_done = None
    if not todo.is_gold:
        labeled = db.one(sql.ITEM_LABELED, (overlap, overlap, todo.item_id))
        n_done = None if labeled is None else labeled[0]
    return Written("stored", created[0], n_done)


def _checked_suggestion(suggestion: dict[str, Any], prediction_ok: bool | None) -> dict[str, Any]:
    prediction_id, outcome = suggestion.get("prediction_id"), suggestion.get("outcome")
    if outcome not in SUGGESTION_OUTCOMES:
        raise InvalidInput(
            f"suggestion.outcome: must be one of {', '.join(SUGGESTION_OUTCOMES)}",
            field="suggestion.outcome",
        )
    if not isinstance(prediction_id, int) or isinstance(prediction_id, bool) or not prediction_ok:
        raise InvalidInput(
            f"suggestion.prediction_id: no suggestion {prediction_id!r} on this item",
            field="suggestion.prediction_id",
        )
    return {"prediction_id": prediction_id, "outcome": outcome}


def _feedback(
    project: QueueProject, done: Submitted, gold: dict[str, Any] | None
) -> dict[str, Any] | None:
    """After a gold item, where the project enables ``gold_feedback``: whether the
    answer matched and what the expected answer was."""
    if not done.is_gold_check or not project.settings.gold_feedback or gold is None:
        return None
    correct = bool(done.details.get("gold_correct"))
    wrong = sorted(name for name, ok in done.details.get("gold_controls", {}).items() if not ok)
    message = (
        "Correct: this was a check item and your answer matches the expected one."
        if correct
        else "This was a check item; your answer differs from the expected one in: "
        + ", ".join(wrong)
    )
    return {"correct": correct, "expected": gold, "message": message}


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
        raw_of(session).run(sql.RETURN_SLOTS, (1, assignment.item_id))
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
