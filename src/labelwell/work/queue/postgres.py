"""The queue on PostgreSQL: each step is one call of a server-side function
(migration 0004), not one round trip per statement.

The functions run the statements of :mod:`labelwell.work.queue.statements` in
the server and return the columns the Python queue reads on SQLite, so the
rules (and their wording) stay in Python: what is refused, and why, is decided
by :mod:`.leasing` and :mod:`.submitting` from what these calls return.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from psycopg import errors as pg_errors

from labelwell.errors import Conflict, Unauthorized
from labelwell.store.raw import Raw, Statement, dumps, loads, when
from labelwell.work.accounts import INVALID_TOKEN, bearer_hash
from labelwell.work.actors import Actor, Bearer
from labelwell.work.queue.project import QueueProject, project_of
from labelwell.work.queue.records import Draft, Pending, Submitted, Task, task_of

NEXT_TASK = Statement("SELECT * FROM labelwell_next_task(?, ?, ?, ?json, ?, ?, ?, ?, ?)")
SUBMISSION = Statement("SELECT * FROM labelwell_submission(?, ?, ?, ?json, ?, ?, ?)")
SUBMIT = Statement("SELECT * FROM labelwell_submit(?, ?, ?, ?json, ?json, ?, ?, ?, ?)")

#: the project's columns in the functions' results (after the outcome)
_PROJECT = slice(1, 13)
_BIGINT = 2**63 - 1


def _caller(who: Actor | Bearer) -> tuple[Any, ...]:
    """The functions' first parameters: a token's hash, or who calls."""
    if isinstance(who, Bearer):
        return (bearer_hash(who), None, False, None)
    return (None, who.id, who.is_admin, dumps(list(who.skills)))


def _actor(who: Actor | Bearer, row: tuple[Any, ...]) -> Actor:
    """``who``, or the owner of the token the function resolved (its last
    four columns); ``Unauthorized`` for a token it did not accept."""
    if row[0] == "unauthorized":
        raise Unauthorized(INVALID_TOKEN)
    if isinstance(who, Actor):
        return who
    user_id, email, role, skills = row[-4:]
    return Actor(user_id, email, role, tuple(loads(skills) or ()))


def lease(
    db: Raw,
    who: Actor | Bearer,
    project_id: int,
    *,
    now: datetime,
    reclaim: bool,
    draw: float,
    pick: float,
) -> tuple[str, Actor, QueueProject, Task | None]:
    """Lease the next task in one call. Returns ``(outcome, actor, project, task)``:
    ``leased`` or ``held`` (a live lease given again) with the task, ``empty``
    (nothing left for the annotator), ``ineligible`` (a required skill
    missing) or ``qualification`` (the Python queue leases) without one.
    ``draw`` decides gold (gold when below the project's ``gold_ratio``) and
    ``pick`` which gold item; both uniform in [0, 1)."""
    row = db.one(NEXT_TASK, (*_caller(who), project_id, now, reclaim, draw, pick))
    assert row is not None
    actor = _actor(who, row)
    outcome = row[0]
    project = project_of(row[_PROJECT], actor, project_id)
    if outcome not in ("leased", "held"):
        return outcome, actor, project, None
    task = task_of(
        project, (row[13], row[14], row[15], row[16]), (row[17], row[18]), loads(row[19]) or []
    )
    return outcome, actor, project, task


def pending(
    db: Raw,
    who: Actor | Bearer,
    assignment_id: int,
    key: str | None,
    prediction_id: int | None,
) -> tuple[Actor, Pending | None]:
    """Who submits and what the submit checks, in one call; no ``Pending`` when
    the caller holds no such lease."""
    if prediction_id is not None and not 0 < prediction_id <= _BIGINT:
        prediction_id = 0  # no such prediction
    row = db.one(SUBMISSION, (*_caller(who), assignment_id, key, prediction_id))
    assert row is not None
    actor = _actor(who, row)
    if row[0] == "no_lease":
        return actor, None
    project = project_of(row[_PROJECT], actor, row[1])
    gold = loads(row[21])
    if row[0] == "stored":
        return actor, Pending(project, stored=Submitted.of_row(orjson.loads(row[13])), gold=gold)
    return actor, Pending(
        project,
        item_id=row[14],
        status=row[15],
        is_gold=bool(row[16]),
        leased_at=when(row[17]),
        expires_at=when(row[18]),
        guideline_version=row[19],
        data=loads(row[20]),
        gold=gold,
        prediction_ok=row[22],
    )


def write(
    db: Raw,
    actor: Actor,
    assignment_id: int,
    todo: Pending,
    draft: Draft,
) -> tuple[str, int | None, int | None]:
    """Store the submission in one call, the lease locked and its status checked
    again. Returns ``(outcome, annotation id, item's n_done)``; the outcome is
    ``stored``, or the lease's status that refused it (``submitted``,
    ``skipped``, ``expired``: lapsed with its item labeled by others since,
    ``no_lease``)."""
    try:
        row = db.one(
            SUBMIT,
            (
                actor.id,
                assignment_id,
                actor.email,
                dumps(draft.result),
                dumps(draft.details),
                draft.time_spent_ms,
                draft.key,
                draft.now,
                todo.project.overlap,
            ),
        )
    except pg_errors.UniqueViolation:
        raise Conflict(
            f"idempotency key {draft.key!r} was already used for another assignment"
        ) from None
    assert row is not None
    return row[0], row[1], row[2]
